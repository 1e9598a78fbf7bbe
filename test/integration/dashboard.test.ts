/**
 * The dashboard: figures written through the API come back from the counters kept on write, equal
 * to what the API's own lists hold; the service and campaign sections equal GET /v1/reports/service
 * and GET /v1/campaigns/{id}/stats; a sales rep sees only their own figures (no service or campaign
 * section); the number of database requests does not grow with the data (10 vs 200 customers);
 * the page is self-contained under a strict CSP; the counter backfill rebuilds them from the records.
 */
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Window } from 'happy-dom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMonthOf } from '../../functions/calendar/business-calendar';
import { businessTimeZone } from '../../functions/config';
import { backfillDashboard, type BackfillProgress, type ProgressStore } from '../../functions/dashboard/backfill';
import { csatToken } from '../../functions/service-desk/csat-token';
import { SALES_REPS } from '../../local/demo-users';
import { injectSesEvent } from '../../local/ses-event';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep = SALES_REPS[0]!.id;
const otherRep = SALES_REPS[1]!.id;
const now = new Date();
const month = now.toISOString().slice(0, 7);
const run = Math.random().toString(36).slice(2, 8);

async function createCustomer(i: number, ownerId: string, tier: string, lifecycleStage: string): Promise<string> {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Dash ${run} ${i}`, ownerId, tier, lifecycleStage } });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function dashboard(role: 'manager' | 'sales' | 'analyst', query = '', period = month) {
  const res = await crm.request('GET', `/v1/reports/dashboard?period=${period}${query}`, { role });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
}

async function createDeal(customerId: string, ownerId: string, amount: number) {
  const res = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: `Deal ${run}`, customerId, ownerId, amount: { amount, currency: 'EUR' }, expectedCloseDate: `${month}-28` } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

let customerIds: string[] = [];
const tiers = ['A', 'B', 'B', 'C', 'A', 'D', 'B', 'A', 'C', 'B'];

beforeAll(async () => {
  // SES: the satisfaction survey and the campaign go out by email (service and campaign sections).
  crm = await startTestStack({ ses: true });
  for (const [i, tier] of tiers.entries()) customerIds.push(await createCustomer(i, i % 2 ? otherRep : rep, tier, i < 6 ? 'customer' : 'prospect'));
  // One archived: it leaves the live distribution.
  expect((await crm.request('DELETE', `/v1/customers/${customerIds[9]}`, { role: 'admin' })).status).toBe(200);
  // A tier change moves one customer between tiers (C → A).
  const current = await crm.request('GET', `/v1/customers/${customerIds[3]}`, { role: 'admin' });
  expect((await crm.request('PATCH', `/v1/customers/${customerIds[3]}`, { role: 'admin', body: { tier: 'A' }, headers: { 'if-match': current.headers.get('etag')! } })).status).toBe(200);

  // Deals: rep has 3 (one won, one lost, one open moved to the second stage); the other rep 1 open.
  const won = await createDeal(customerIds[0]!, rep, 100_000);
  const lost = await createDeal(customerIds[2]!, rep, 50_000);
  const moved = await createDeal(customerIds[4]!, rep, 30_000);
  await createDeal(customerIds[1]!, otherRep, 20_000);
  expect((await crm.request('POST', `/v1/deals/${won.id}/won`, { role: 'admin', body: {} })).status).toBe(200);
  expect((await crm.request('POST', `/v1/deals/${lost.id}/lost`, { role: 'admin', body: { reason: 'Price' } })).status).toBe(200);
  const pipeline = await crm.request('GET', `/v1/pipelines/${moved.pipelineId}`, { role: 'admin' });
  expect((await crm.request('POST', `/v1/deals/${moved.id}/stage`, { role: 'admin', body: { stageId: pipeline.body.stages[1].id } })).status).toBe(200);

  // Leads: 3 for rep, one converted with a deal (a new customer, contact and deal in one go).
  const leads = [];
  for (let i = 0; i < 3; i++) {
    const res = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: `Lead ${run} ${i}`, companyName: `Lead Co ${run} ${i}`, ownerId: rep } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    leads.push(res.body);
  }
  const converted = await crm.request('POST', `/v1/leads/${leads[0].id}/convert`, { role: 'admin', body: { createDeal: { name: `Converted ${run}`, amount: { amount: 7_000, currency: 'EUR' } } } });
  expect(converted.status, JSON.stringify(converted.body)).toBe(200);

  expect((await crm.request('PUT', `/v1/quotas/${rep}/${month}`, { role: 'admin', body: { amount: { amount: 200_000, currency: 'EUR' } } })).status).toBe(200);
}, 180_000);

afterAll(async () => {
  await crm?.stop();
});

describe('dashboard', () => {
  it('shows every figure as the API holds it (manager: everyone)', async () => {
    const { body } = await dashboard('manager');
    expect(body.ownerId).toBeNull();

    // Customers: the API's own lists agree with the counters.
    const live = await crm.request('GET', '/v1/customers?limit=100', { role: 'manager' });
    expect(body.customers.live).toBe(live.body.items.length);
    expect(body.customers.archived).toBe(1);
    const byTier = Object.fromEntries(body.customers.byTier.map((t: { tier: string; customers: number }) => [t.tier, t.customers]));
    for (const tier of ['A', 'B', 'C', 'D']) {
      const list = await crm.request('GET', `/v1/customers?tier=${tier}&limit=100`, { role: 'manager' });
      expect(byTier[tier] ?? 0, `tier ${tier}`).toBe(list.body.items.length);
    }
    expect(byTier).toMatchObject({ A: 4, B: 3, C: 1, D: 1 });
    const byStage = Object.fromEntries(body.customers.byLifecycleStage.map((t: { lifecycleStage: string; customers: number }) => [t.lifecycleStage, t.customers]));
    // The converted lead's new customer counts too (lifecycle stage set by the conversion).
    expect(byStage.prospect).toBe(3);
    expect(body.customers.live).toBe(10);

    // Funnel: 3 leads created, 1 converted; 5 deals created (4 + the conversion's), 1 won, 1 lost.
    expect(body.funnel).toEqual({ leadsCreated: 3, leadsConverted: 1, dealsCreated: 5, dealsWon: 1, dealsLost: 1, leadToDeal: 0.3333, dealToWon: 0.5 });

    // Open pipeline by stage equals the open deals the API lists.
    const open = await crm.request('GET', '/v1/deals?status=open&limit=100', { role: 'manager' });
    const stages = body.pipeline.flatMap((p: { stages: { stageId: string; deals: number; value: { amount: number }[] }[] }) => p.stages);
    expect(stages.reduce((n: number, s: { deals: number }) => n + s.deals, 0)).toBe(open.body.items.length);
    expect(stages.reduce((n: number, s: { value: { amount: number }[] }) => n + s.value.reduce((m, v) => m + v.amount, 0), 0))
      .toBe(open.body.items.reduce((n: number, d: { amount: { amount: number } }) => n + d.amount.amount, 0));
    expect(stages.length).toBe(2);
    expect(stages[1].deals).toBe(1); // the moved deal, in the second stage, after the first

    // Revenue and forecast vs quota.
    expect(body.revenue.byMonth).toEqual([{ month, currency: 'EUR', amount: 100_000, deals: 1 }]);
    expect(body.revenue.byOwner).toEqual([{ ownerId: rep, currency: 'EUR', amount: 100_000, deals: 1 }]);
    const mine = body.forecast.find((f: { ownerId: string }) => f.ownerId === rep);
    expect(mine).toMatchObject({ closedWon: 100_000, quota: { amount: 200_000, currency: 'EUR' }, attainment: 0.5 });
    const forecast = await crm.request('GET', `/v1/forecast?period=${month}&ownerId=${rep}`, { role: 'manager' });
    expect(mine.pipeline).toBe(forecast.body.owners[0].totals[0].pipeline);
  });

  it('scopes a sales rep to their own figures, and refuses someone else\'s', async () => {
    const { body } = await dashboard('sales');
    expect(body.ownerId).toBe(rep);
    const own = await crm.request('GET', '/v1/customers?limit=100', { role: 'sales' });
    expect(body.customers.live).toBe(own.body.items.length);
    expect(body.revenue.byOwner.every((r: { ownerId: string }) => r.ownerId === rep)).toBe(true);
    expect(body.forecast.every((r: { ownerId: string }) => r.ownerId === rep)).toBe(true);
    expect(body.funnel.dealsCreated).toBe(4);
    const forbidden = await crm.request('GET', `/v1/reports/dashboard?period=${month}&ownerId=${otherRep}`, { role: 'sales' });
    expect(forbidden.status).toBe(403);
    const manager = await dashboard('manager', `&ownerId=${otherRep}`);
    expect(manager.body.ownerId).toBe(otherRep);
    expect(manager.body.revenue.byOwner).toEqual([]);
    expect((await crm.request('GET', `/v1/reports/dashboard?period=2026-13`, { role: 'manager' })).status).toBe(400);
    // No period: the current quarter (UTC), as the page opens with.
    const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
    const byDefault = await crm.request('GET', '/v1/reports/dashboard', { role: 'sales' });
    expect(byDefault.status, JSON.stringify(byDefault.body)).toBe(200);
    expect(byDefault.body.period).toBe(quarter);
    expect(byDefault.body.months).toContain(month);
    expect(byDefault.body.funnel.dealsCreated).toBeGreaterThanOrEqual(body.funnel.dealsCreated);
    expect((await crm.request('GET', '/v1/reports/dashboard', { role: 'marketing' })).status).toBe(403);
  });

  it('rebuilds the counters from the records (backfill): resumable after a crash, a second run writes nothing', async () => {
    const before = { manager: (await dashboard('manager')).body, sales: (await dashboard('sales')).body };
    // Data from before the counters: no counter item at all.
    const year = month.slice(0, 4);
    for (const pk of ['DASH#PIPELINE', 'DASH#CUSTOMERS', `DASH#LEADS#${year}`, `DASH#DEALS#${year}`]) {
      const items = (await crm.ddb.send(new QueryCommand({ TableName: crm.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }))).Items ?? [];
      for (const item of items) await crm.ddb.send(new DeleteCommand({ TableName: crm.tableName, Key: { pk: item.pk, sk: item.sk } }));
    }
    expect((await dashboard('manager')).body.customers.live).toBe(0);

    let saved: BackfillProgress | undefined;
    const progress: ProgressStore = { load: () => saved, save: (p) => { saved = structuredClone(p); }, clear: () => { saved = undefined; } };
    const options = { ddb: crm.ddb, tableName: crm.tableName, progress, pageSize: 4, rate: 1000 };
    // Crash after the third page: the progress holds the totals so far and where to go on.
    let pages = 0;
    await expect(backfillDashboard({ ...options, afterPage: () => { if (++pages === 3) throw new Error('crash'); } })).rejects.toThrow('crash');
    expect(saved).toMatchObject({ phase: 'read' });
    const resumed = await backfillDashboard(options);
    expect(resumed.resumed).toBe(true);
    expect(resumed.updated).toBeGreaterThan(0);
    expect(saved).toBeUndefined();
    expect((await dashboard('manager')).body).toEqual(before.manager);
    expect((await dashboard('sales')).body).toEqual(before.sales);

    // Safe to run twice: absolute values, nothing left to write.
    const again = await backfillDashboard(options);
    expect(again).toMatchObject({ resumed: false, updated: 0 });
    expect((await dashboard('manager')).body).toEqual(before.manager);
  }, 120_000);

  it('costs the same few requests with 10 and with 200 customers', async () => {
    // Seven reads of the sales counters, one of the service counters, one campaign page (no campaign
    // sent yet: no stats read); at most ten (docs/analytics.md, "Dashboard").
    const before = Number((await dashboard('manager')).headers.get('x-db-requests'));
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThanOrEqual(10);
    for (let i = 0; i < 190; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => createCustomer(100 + i + j, (i + j) % 2 ? rep : otherRep, 'ABCD'[(i + j) % 4]!, 'lead')));
    }
    const res = await dashboard('manager');
    expect(res.body.customers.live).toBe(200);
    expect(Number(res.headers.get('x-db-requests'))).toBe(before);
    expect(Number((await dashboard('sales')).headers.get('x-db-requests'))).toBeLessThanOrEqual(7);
  }, 120_000);

  it('shows SLA compliance, CSAT and campaign performance as their own reports give them, to those who may read them', async () => {
    // Made after the customer figures above were checked: these customers change no expectation there.
    const period = localMonthOf(new Date(), businessTimeZone());
    const tag = `dash${run}`;
    const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Dash service ${run}`, tags: [tag] } });
    expect(customer.status, customer.text).toBe(201);
    const email = `dash.${run}@example.com`;
    const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { firstName: 'Dana', lastName: 'Dash', email } });
    expect(contact.status, contact.text).toBe(201);
    const ticket = async (priority: string) => {
      const res = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: `Dash ${run}`, channel: 'phone', priority, customerId: customer.body.id, contactId: contact.body.id } });
      expect(res.status, res.text).toBe(201);
      return res.body;
    };
    // One ticket answered and resolved within its SLA, rated 5; one left open past its deadlines.
    const resolved = await ticket('normal');
    expect((await crm.request('POST', `/v1/tickets/${resolved.id}/messages`, { role: 'service', body: { visibility: 'public', body: 'On it' } })).status).toBe(201);
    expect((await crm.request('PATCH', `/v1/tickets/${resolved.id}`, { role: 'service', body: { status: 'resolved' } })).status).toBe(200);
    const token = await csatToken(resolved.id, new Date(Date.now() + 86_400_000));
    const rated = await crm.request('POST', `/v1/csat?token=${token}`, { rawBody: 'rating=5', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(rated.status, rated.text).toBe(200);
    const late = await ticket('high');
    await crm.runJob('sla', new Date(Date.parse(late.sla.resolution.dueAt) + 60_000));
    const breachedAt = (await crm.request('GET', `/v1/tickets/${late.id}`, { role: 'service' })).body.sla.firstResponse.breachedAt;
    expect(breachedAt).toBeTruthy();

    // One campaign to the customer's contact, delivered and opened.
    expect((await crm.request('PUT', `/v1/contacts/${contact.body.id}/consent/email`, { role: 'marketing', body: { status: 'opted_in', source: 'form' } })).status).toBe(200);
    const template = await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: `Dash ${run}`, subject: 'Hi', html: '<p>Hi</p>', text: 'Hi' } });
    const segment = await crm.request('POST', '/v1/segments', { role: 'marketing', body: { name: `Dash ${run}`, rules: { tagsAny: [tag] } } });
    const campaign = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: `Dash ${run}`, channel: 'email', templateId: template.body.id, audience: { segmentIds: [segment.body.id] } } });
    expect(campaign.status, campaign.text).toBe(201);
    expect((await crm.request('POST', `/v1/campaigns/${campaign.body.id}/schedule`, { role: 'marketing', body: {} })).status).toBe(200);
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    const ledger = await crm.request('GET', `/v1/campaigns/${campaign.body.id}/recipients`, { role: 'admin' });
    const messageId = ledger.body.items[0].messageId;
    for (const type of ['delivery', 'open'] as const) await injectSesEvent(type, messageId, { sesEndpoint: process.env.AWS_ENDPOINT_URL_SESV2! });

    // The service section: the service report's own figures for the same period.
    const res = await dashboard('manager', '', period);
    expect(Number(res.headers.get('x-db-requests'))).toBeLessThanOrEqual(10);
    const { service, campaigns } = res.body;
    const report = (await crm.request('GET', `/v1/reports/service?period=${period}`, { role: 'manager' })).body;
    expect(service.sla).toEqual({ resolved: report.sla.resolved, compliant: report.sla.compliant, compliance: report.sla.compliance, breaches: report.sla.breaches });
    expect(service.firstResponse).toEqual({ count: report.firstResponse.count, withinTarget: report.firstResponse.withinTarget, compliance: report.firstResponse.compliance });
    const { byAgent: _a, byQueue: _q, byCategory: _c, ...csat } = report.csat;
    expect(service.csat).toEqual({ ...csat, satisfied: 1, satisfaction: 1 });
    expect(service.sla).toMatchObject({ resolved: 1, compliant: 1, compliance: 1 });
    expect(service.csat).toMatchObject({ responses: 1, average: 5 });
    // The breaches, in their deadline's month.
    const breachMonth = localMonthOf(breachedAt, businessTimeZone());
    const breaches = (await dashboard('analyst', '', breachMonth)).body.service.sla.breaches;
    expect(breaches).toEqual((await crm.request('GET', `/v1/reports/service?period=${breachMonth}`, { role: 'analyst' })).body.sla.breaches);
    expect(breaches.firstResponse).toBeGreaterThanOrEqual(1);

    // The campaign section: the campaign's own stats, rates rounded to 4 places.
    const stats = (await crm.request('GET', `/v1/campaigns/${campaign.body.id}/stats`, { role: 'marketing' })).body;
    expect(stats).toMatchObject({ sent: 1, delivered: 1, opened: 1 });
    expect(campaigns.truncated).toBe(false);
    expect(campaigns.items).toHaveLength(1);
    const [shown] = campaigns.items;
    expect(shown).toMatchObject({ campaignId: campaign.body.id, name: `Dash ${run}`, status: 'sent' });
    const counts = ['sent', 'delivered', 'opened', 'clicked', 'bounced', 'complained', 'unsubscribed'];
    for (const k of counts) expect(shown[k], k).toBe(stats[k]);
    for (const [k, v] of Object.entries(stats.rates as Record<string, number | null>)) expect(shown.rates[k], k).toBe(v === null ? null : Math.round(v * 10_000) / 10_000);
    expect(campaigns.totals).toMatchObject({ campaigns: 1, sent: 1, opened: 1, rates: shown.rates });
    // Another period: no campaign sent then.
    expect((await dashboard('manager', '', '2020-Q1')).body.campaigns).toMatchObject({ items: [], totals: { campaigns: 0, sent: 0 } });

    // A sales rep may read neither report: no service or campaign section, and none of their reads.
    const sales = await dashboard('sales', '', period);
    expect(sales.body.service).toBeNull();
    expect(sales.body.campaigns).toBeNull();
    expect(Number(sales.headers.get('x-db-requests'))).toBeLessThanOrEqual(7);
    expect((await crm.request('GET', `/v1/reports/service?period=${period}`, { role: 'sales' })).status).toBe(403);
  }, 180_000);

  it('serves a self-contained page under a strict CSP', async () => {
    const res = await crm.request('GET', '/dashboard');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
    expect(res.text).toContain('/v1/reports/dashboard?period=');
  });

  it('draws every section the API sends (the page in a DOM, its fetches answered by this CRM)', async () => {
    const page = await crm.request('GET', '/dashboard');
    const window = new Window({ url: 'http://crm.test/dashboard', settings: { enableJavaScriptEvaluation: true, suppressInsecureJavaScriptEnvironmentWarning: true } });
    try {
      const asked: string[] = [];
      const errors: string[] = [];
      Object.defineProperty(window, 'fetch', {
        value: async (target: string) => {
          asked.push(String(target));
          const res = await crm.request('GET', String(target), { role: 'manager' });
          return new window.Response(res.text, { status: res.status, headers: { 'content-type': 'application/json' } });
        },
      });
      window.addEventListener('error', (event) => { errors.push('message' in event ? String(event.message) : event.type); });
      // A token kept by /docs in this tab: the page loads the figures at once.
      window.sessionStorage.setItem('crm.docs.token', 'token-of-the-tab');
      window.document.write(page.text);
      await expect.poll(() => window.document.querySelectorAll('section').length, { timeout: 120_000, interval: 100 }).toBeGreaterThan(0);
      await window.happyDOM.waitUntilComplete();
      const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
      expect(asked).toEqual([`/v1/reports/dashboard?period=${quarter}`]);
      expect(errors).toEqual([]);
      expect(window.document.getElementById('status')?.textContent).toBe('Everyone\'s figures');
      const titles = [...window.document.querySelectorAll('section h2')].map((h) => h.textContent ?? '');
      for (const title of ['Open pipeline by stage', 'Funnel: lead → deal → won', 'Revenue by month', 'Revenue by owner', 'Forecast vs quota', 'Customers by tier', 'Customers by lifecycle stage', 'Service: SLA compliance', 'Satisfaction:', 'Campaigns sent in']) {
        expect(titles.some((t) => t.startsWith(title)), `${title} in ${JSON.stringify(titles)}`).toBe(true);
      }
      // The campaign sent above is a row of the campaigns table; charts are SVG bars, never HTML.
      expect(window.document.body.textContent).toContain(`Dash ${run}`);
      expect(window.document.querySelectorAll('section svg rect').length).toBeGreaterThan(0);
    } finally {
      await window.happyDOM.close();
    }
  }, 180_000);
});
