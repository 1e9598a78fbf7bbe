/**
 * The campaign feedback loop and campaign actions on the real local engines: SES events of the AWS
 * shape (test/fixtures/ses-events, injected as `npm run ses-event` does) update the ledger, the
 * counters, the suppression list and consent, each event counted once; a bounce or complaint rate
 * past the settings pauses a sending campaign and notifies once; pause, resume and cancel never
 * send anyone twice; the stats add up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Budget } from '../../functions/jobs/budget';
import { runCampaigns } from '../../functions/marketing/send';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../../functions/data/client';
import { keys } from '../../functions/data/keys';
import { phoneHash } from '../../functions/marketing/sms';
import { queryPage } from '../../functions/marketing/store';
import { buildSesEvent, injectSesEvent, storedEmail, type SesEventType } from '../../local/ses-event';
import { deadLetters, replay } from '../../scripts/replay-marketing';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
const run = Date.now().toString(36);
const ses = () => process.env.AWS_ENDPOINT_URL_SESV2!;

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
  process.env.PUBLIC_API_URL = crm.baseUrl;
}, 120_000);

afterAll(async () => {
  await crm?.stop();
});

interface Person { contactId: string; email: string }

async function people(prefix: string, n: number, tag: string): Promise<Person[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => {
    const c = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `${prefix}${i} ${run}`, tags: [tag] } });
    expect(c.status, c.text).toBe(201);
    const email = `${prefix.toLowerCase()}${i}.${run}@example.com`;
    const contact = await crm.request('POST', `/v1/customers/${c.body.id}/contacts`, { role: 'admin', body: { firstName: `${prefix}${i}`, lastName: 'Tester', email } });
    expect(contact.status, contact.text).toBe(201);
    await crm.request('PUT', `/v1/contacts/${contact.body.id}/consent/email`, { role: 'marketing', body: { status: 'opted_in', source: 'form' } });
    return { contactId: contact.body.id, email };
  }));
}

let templateId: string;
async function campaign(name: string, tag: string, extra: Record<string, unknown> = {}, schedule = true): Promise<string> {
  const segmentId = (await crm.request('POST', '/v1/segments', { role: 'marketing', body: { name, rules: { tagsAny: [tag] } } })).body.id;
  const created = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: `${name} ${run}`, channel: 'email', templateId, audience: { segmentIds: [segmentId] }, ...extra } });
  expect(created.status, created.text).toBe(201);
  if (schedule) expect((await crm.request('POST', `/v1/campaigns/${created.body.id}/schedule`, { role: 'marketing', body: {} })).status).toBe(200);
  return created.body.id;
}

const mailTo = async (email: string) => (await crm.sentEmails()).filter((e: any) => e.destination.to.includes(email));
/** Message ids by address, from the ledger (admin sees addresses in clear). */
async function messageIds(campaignId: string): Promise<Map<string, string>> {
  const ledger = await crm.request('GET', `/v1/campaigns/${campaignId}/recipients?limit=100`, { role: 'admin' });
  return new Map(ledger.body.items.filter((r: any) => r.messageId).map((r: any) => [r.email, r.messageId]));
}
const inject = async (type: SesEventType, messageId: string, bounceType?: 'Transient') => (await injectSesEvent(type, messageId, { sesEndpoint: ses(), ...(bounceType ? { bounceType } : {}) })).result as any;
const stats = async (id: string, role: 'marketing' | 'sales' | 'service' = 'marketing') => crm.request('GET', `/v1/campaigns/${id}/stats`, { role });

let group: Person[];
const tag = `fb${run}`;

beforeAll(async () => {
  templateId = (await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: 'FB', subject: 'Hi {{contact.firstName}}', html: '<p>Hi <a href="https://www.example.com/offer">offer</a></p>', text: 'Hi' } })).body.id;
  group = await people('Fb', 4, tag);
}, 120_000);

describe('SES feedback', () => {
  it('counts each event once; a permanent bounce suppresses, a complaint opts out; later sends skip them', async () => {
    const id = await campaign('Feedback', tag, { budget: { amount: 10_000, currency: 'EUR' } });
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    const ids = await messageIds(id);
    expect(ids.size).toBe(4);
    const [a, b, c, d] = group.map((p) => ids.get(p.email)!);

    expect(await inject('delivery', a!)).toMatchObject({ outcome: 'applied', campaignId: id });
    expect(await inject('delivery', a!)).toMatchObject({ outcome: 'duplicate' });
    await inject('open', a!);
    await inject('open', a!);
    await inject('click', a!);
    expect(await inject('bounce', b!)).toMatchObject({ outcome: 'applied' });
    expect(await inject('bounce', b!)).toMatchObject({ outcome: 'duplicate' });
    await inject('complaint', c!);
    await inject('bounce', d!, 'Transient');

    const s = await stats(id);
    expect(s.status, s.text).toBe(200);
    expect(s.body).toMatchObject({ recipients: 4, sent: 4, delivered: 1, opened: 1, clicked: 1, bounced: 1, complained: 1, unsubscribed: 0, leads: 0, deals: 0, wonRevenue: [] });
    expect(s.body.rates).toMatchObject({ bounce: 0.25, complaint: 0.25, delivery: 0.25, open: 1, click: 1 });
    // One response (a click, no attributed lead): the whole budget per response; nothing won yet.
    expect(s.body).toMatchObject({ responses: 1, costPerResponse: { amount: 10_000, currency: 'EUR' }, returnOnBudget: -1 });
    expect((await stats(id, 'sales')).status).toBe(200);
    expect((await stats(id, 'service')).status).toBe(403);

    const suppressions = (await crm.request('GET', '/v1/suppressions', { role: 'admin' })).body.items;
    expect(suppressions).toEqual(expect.arrayContaining([
      expect.objectContaining({ email: group[1]!.email, reason: 'bounce', campaignId: id }),
      expect.objectContaining({ email: group[2]!.email, reason: 'complaint', campaignId: id }),
    ]));
    // A soft bounce suppresses nothing.
    expect(suppressions.some((x: any) => x.email === group[3]!.email)).toBe(false);
    const consent = await crm.request('GET', `/v1/contacts/${group[2]!.contactId}/consent`, { role: 'admin' });
    expect(consent.body.channels[0]).toMatchObject({ status: 'opted_out', source: 'complaint' });
    const ledger = await crm.request('GET', `/v1/campaigns/${id}/recipients`, { role: 'marketing' });
    for (const r of ledger.body.items) expect(r.email).toMatch(/^f\*\*\*@example\.com$/);
    expect(ledger.body.items.filter((r: any) => r.bouncedAt)).toHaveLength(1);

    // The next campaign to the same people skips the bounced and the complaining address.
    const next = await campaign('Feedback again', tag, { consentPolicy: 'not_opted_out' });
    const before = (await crm.sentEmails()).length;
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    const sentNow = (await crm.sentEmails()).slice(before).map((e: any) => e.destination.to[0]).sort();
    expect(sentNow).toEqual([group[0]!.email, group[3]!.email].sort());
    expect((await stats(next)).body).toMatchObject({ sent: 2, skipped: 2 });
  });

  it('pauses a sending campaign once its bounce rate passes the threshold after the minimum sends, and notifies once', async () => {
    const put = await crm.request('PUT', '/v1/settings/marketing', { role: 'admin', body: { maxBounceRate: 0.05, maxComplaintRate: 0.001, minSends: 2, notifyUserIds: [] } });
    expect(put.status, put.text).toBe(200);
    const ppl = await people('Ap', 4, `ap${run}`);
    const id = await campaign('Auto-pause', `ap${run}`);
    // A run with no time left sends exactly one email and leaves the campaign sending.
    await runCampaigns(new Date(Date.now() + 1000), { budget: Budget.ofMs(0) });
    const firstRun = [...(await messageIds(id)).values()];
    expect(firstRun).toHaveLength(1);
    const first = firstRun[0]!;
    // One bounce out of one send: above 5 %, but below the minimum number of sends.
    expect(await inject('bounce', first)).toMatchObject({ outcome: 'applied' });
    expect((await crm.request('GET', `/v1/campaigns/${id}`, { role: 'marketing' })).body.status).toBe('sending');

    await runCampaigns(new Date(Date.now() + 1000), { budget: Budget.ofMs(0) });
    const ids = [...(await messageIds(id)).values()];
    expect(ids).toHaveLength(2);
    const second = ids.find((m) => m !== first)!;
    // Two events past the thresholds at once: exactly one of them pauses the campaign.
    const results = await Promise.all([inject('bounce', second), inject('complaint', first)]);
    expect(results.filter((r) => r.autoPaused)).toHaveLength(1);
    expect(await inject('complaint', second)).not.toHaveProperty('autoPaused');

    const paused = (await crm.request('GET', `/v1/campaigns/${id}`, { role: 'marketing' })).body;
    expect(paused).toMatchObject({ status: 'paused', autoPause: { sent: 2 } });
    const notes = (await crm.request('GET', '/v1/notifications', { role: 'marketing' })).body.items.filter((n: any) => n.type === 'campaign.auto-paused' && n.link.includes(id));
    expect(notes).toHaveLength(1);

    // Paused: a run sends nothing more.
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    expect([...(await messageIds(id)).values()]).toHaveLength(2);
    expect((await Promise.all(ppl.map((p) => mailTo(p.email)))).flat()).toHaveLength(2);
  });
});

describe('campaign actions', () => {
  it('pause stops sending within seconds, resume finishes without resending, cancel is final', async () => {
    const ppl = await people('Pr', 5, `pr${run}`);
    const id = await campaign('Pause', `pr${run}`, { sendRatePerSecond: 0.5 });
    const sending = crm.runJob('campaigns', new Date(Date.now() + 1000));
    // Wait (generously) for the first email, then pause while the run waits for its next send slot.
    for (let i = 0; i < 3000 && (await Promise.all(ppl.map((p) => mailTo(p.email)))).flat().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const paused = await crm.request('POST', `/v1/campaigns/${id}/pause`, { role: 'marketing' });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.body.status).toBe('paused');
    expect((await crm.request('POST', `/v1/campaigns/${id}/pause`, { role: 'marketing' })).status).toBe(200);
    await sending;
    const sentWhilePausing = (await Promise.all(ppl.map((p) => mailTo(p.email)))).flat().length;
    expect(sentWhilePausing).toBeGreaterThan(0);
    expect(sentWhilePausing).toBeLessThan(5);
    expect((await stats(id)).body).toMatchObject({ status: 'paused', sent: sentWhilePausing, pending: 5 - sentWhilePausing });

    const resumed = await crm.request('POST', `/v1/campaigns/${id}/resume`, { role: 'marketing' });
    expect(resumed.body.status).toBe('sending');
    await Promise.all([crm.runJob('campaigns', new Date(Date.now() + 1000)), crm.runJob('campaigns', new Date(Date.now() + 1000))]);
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    expect(await Promise.all(ppl.map(async (p) => (await mailTo(p.email)).length))).toEqual([1, 1, 1, 1, 1]);
    expect((await stats(id)).body).toMatchObject({ status: 'sent', sent: 5, pending: 0, unknown: 0 });
    expect((await crm.request('POST', `/v1/campaigns/${id}/pause`, { role: 'marketing' })).status).toBe(409);
    expect((await crm.request('POST', `/v1/campaigns/${id}/cancel`, { role: 'marketing' })).status).toBe(409);

    // Cancel a paused campaign: final; resume refuses; nothing is sent.
    const other = await campaign('Cancel', `pr${run}`);
    expect((await crm.request('POST', `/v1/campaigns/${other}/pause`, { role: 'marketing' })).status).toBe(200);
    expect((await crm.request('POST', `/v1/campaigns/${other}/cancel`, { role: 'marketing' })).body.status).toBe('cancelled');
    expect((await crm.request('POST', `/v1/campaigns/${other}/resume`, { role: 'marketing' })).status).toBe(409);
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    expect(await Promise.all(ppl.map(async (p) => (await mailTo(p.email)).length))).toEqual([1, 1, 1, 1, 1]);
    // A draft cannot be paused.
    expect((await crm.request('POST', `/v1/campaigns/${await campaign('Draft', `pr${run}`, {}, false)}/pause`, { role: 'marketing' })).status).toBe(409);
  });
});

describe('open-deals segments, audit entries and dead-letter replay', () => {
  const auditOf = async (partition: string) => (await queryPage({ partition, prefix: 'AUD#', limit: 100, consistent: true })).items;

  it('selects customers with or without an open deal (pipeline, minimum amount) from the open-deals index', async () => {
    const dealTag = `od${run}`;
    const [withDeal, without] = await people('Od', 2, dealTag);
    const customerOf = async (p: Person) => (await crm.request('GET', `/v1/contacts/${p.contactId}`, { role: 'admin' })).body.customerId;
    const deal = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Open', customerId: await customerOf(withDeal!), amount: { amount: 50_000, currency: 'EUR' } } });
    expect(deal.status, deal.text).toBe(201);
    const preview = async (openDeals: Record<string, unknown>) => {
      const seg = await crm.request('POST', '/v1/segments', { role: 'marketing', body: { name: `od ${JSON.stringify(openDeals)}`, rules: { tagsAny: [dealTag], openDeals } } });
      expect(seg.status, seg.text).toBe(201);
      const res = await crm.request('POST', `/v1/segments/${seg.body.id}/preview`, { role: 'marketing' });
      expect(res.status, res.text).toBe(200);
      return { plan: seg.body.plan as string, ids: res.body.items.map((i: any) => i.contactId) };
    };
    const has = await preview({ has: true });
    expect(has.ids).toEqual([withDeal!.contactId]);
    expect(has.plan).toMatch(/open deal/);
    expect((await preview({ has: false })).ids).toEqual([without!.contactId]);
    expect((await preview({ has: true, minAmount: { currency: 'EUR', amount: 50_001 } })).ids).toEqual([]);
    expect((await preview({ has: true, minAmount: { currency: 'EUR', amount: 50_000 } })).ids).toEqual([withDeal!.contactId]);
    expect((await preview({ has: true, pipelineIds: [deal.body.pipelineId] })).ids).toEqual([withDeal!.contactId]);
    expect((await preview({ has: true, pipelineIds: ['pip_00000000000000000000000001'] })).ids).toEqual([]);
  });

  it('writes audit entries for campaign actions, templates, segments, lists, consent and suppression — ids only', async () => {
    const [p] = await people('Au', 1, `au${run}`);
    const id = await campaign('Audit', `au${run}`, {}, false);
    expect((await crm.request('POST', `/v1/campaigns/${id}/schedule`, { role: 'marketing', body: { sendAt: new Date(Date.now() + 3_600_000).toISOString() } })).status).toBe(200);
    expect((await crm.request('POST', `/v1/campaigns/${id}/pause`, { role: 'marketing' })).status).toBe(200);
    expect((await crm.request('POST', `/v1/campaigns/${id}/pause`, { role: 'marketing' })).status).toBe(200); // a repeat writes nothing
    expect((await crm.request('POST', `/v1/campaigns/${id}/resume`, { role: 'marketing' })).status).toBe(200);
    expect((await crm.request('POST', `/v1/campaigns/${id}/cancel`, { role: 'marketing' })).status).toBe(200);
    const campaignEntries = await auditOf(`CMP#${id}`);
    expect(campaignEntries.map((e) => e.action).sort()).toEqual(['cancelled', 'created', 'paused', 'resumed', 'scheduled']);
    expect(campaignEntries.find((e) => e.action === 'paused')!.changes).toEqual(expect.arrayContaining([{ field: 'status', from: 'scheduled', to: 'paused' }]));

    const tpl = await crm.request('PATCH', `/v1/templates/${templateId}`, { role: 'marketing', body: { subject: 'New {{contact.firstName}}' } });
    expect(tpl.status, tpl.text).toBe(200);
    const tplEntries = await auditOf(`TPL#${templateId}`);
    expect(tplEntries.find((e) => e.action === 'updated')!.changes).toEqual([{ field: 'subject', redacted: true }]);

    const list = await crm.request('POST', '/v1/lists', { role: 'marketing', body: { name: `Audit ${run}` } });
    await crm.request('POST', `/v1/lists/${list.body.id}/members`, { role: 'marketing', body: { contactIds: [p!.contactId] } });
    await crm.request('POST', `/v1/lists/${list.body.id}/members`, { role: 'marketing', body: { contactIds: [p!.contactId] } });
    await crm.request('POST', `/v1/lists/${list.body.id}/members/remove`, { role: 'marketing', body: { contactIds: [p!.contactId] } });
    expect((await auditOf(`MLIST#${list.body.id}`)).map((e) => JSON.stringify([e.action, e.changes])).sort()).toEqual([
      JSON.stringify(['created', [{ field: 'name', to: `Audit ${run}` }]]),
      JSON.stringify(['updated', [{ field: 'members', to: { added: [p!.contactId] } }]]),
      JSON.stringify(['updated', [{ field: 'members', to: { removed: [p!.contactId] } }]]),
    ].sort());

    await crm.request('PUT', `/v1/contacts/${p!.contactId}/consent/email`, { role: 'marketing', body: { status: 'opted_out', source: 'phone' } });
    const consentEntries = await auditOf(`CONSENT#${p!.contactId}`);
    expect(consentEntries.map((e) => e.action)).toEqual(['opted-in', 'opted-out']);
    expect(consentEntries[1]!.changes).toEqual([{ field: 'channel', to: 'email' }, { field: 'status', from: 'opted_in', to: 'opted_out' }, { field: 'source', to: 'phone' }]);

    await crm.request('POST', '/v1/suppressions', { role: 'marketing', body: { email: p!.email } });
    const [supp] = await auditOf(`SUPP#${p!.email}`);
    expect(supp).toMatchObject({ action: 'suppressed', entityType: 'suppression', changes: [{ field: 'reason', to: 'manual' }] });
    // No personal data: the entry names the address's hash, never the address.
    expect(JSON.stringify({ ...supp, pk: undefined })).not.toContain(p!.email);
  });

  it('replays dead-lettered SES events and STOP replies; replaying twice changes nothing', async () => {
    const [p] = await people('Dl', 1, `dl${run}`);
    const id = await campaign('Replay', `dl${run}`);
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    const messageId = (await messageIds(id)).get(p!.email)!;
    const email = await storedEmail(ses(), messageId);
    const event = await buildSesEvent('complaint', email!, new Date());
    // As `aws sqs receive-message` saves the rule's dead-letter queue.
    const file = JSON.stringify({ Messages: [{ MessageId: 'm1', Body: JSON.stringify(event) }] });
    expect(await replay('ses-events', deadLetters(file), new Date())).toEqual({ applied: 1 });
    const after = { stats: (await stats(id)).body, audit: await auditOf(`CONSENT#${p!.contactId}`) };
    expect(after.stats).toMatchObject({ complained: 1 });
    expect(await replay('ses-events', deadLetters(file), new Date())).toEqual({ duplicate: 1 });
    // The same event as the failure queue keeps it (a Lambda on-failure record): unwrapped, still a duplicate.
    const failure = { version: '1.0', requestContext: { functionArn: 'arn:aws:lambda:eu-west-1:1:function:ses-events', condition: 'RetriesExhausted', approximateInvokeCount: 3 }, requestPayload: event, responseContext: { statusCode: 200, functionError: 'Unhandled' } };
    expect(await replay('ses-events', deadLetters(JSON.stringify({ Messages: [{ Body: JSON.stringify(failure) }] })), new Date())).toEqual({ duplicate: 1 });
    expect((await stats(id)).body).toMatchObject({ complained: 1 });
    expect(await auditOf(`CONSENT#${p!.contactId}`)).toHaveLength(after.audit.length);
    expect(await replay('ses-events', deadLetters('{"detail":{"eventType":"Bounce"}}'), new Date())).toEqual({ unreadable: 1 });

    const phone = `+4915${run.replace(/\D/g, '').padEnd(9, '7').slice(0, 9)}`;
    await ddb().send(new PutCommand({ TableName: process.env.TABLE_NAME!, Item: { ...keys.smsAddress(phoneHash(phone)), kind: 'sms-address', contactId: p!.contactId, campaignId: id } }));
    const sns = { Records: [{ Sns: { Message: JSON.stringify({ originationNumber: phone, messageBody: 'STOP' }) } }] };
    const lines = `${JSON.stringify(sns)}\n`;
    expect(await replay('sms-inbound', deadLetters(lines), new Date())).toEqual({ 'opted-out': 1 });
    expect(await replay('sms-inbound', deadLetters(lines), new Date())).toEqual({ already: 1 });
    const sms = (await crm.request('GET', `/v1/contacts/${p!.contactId}/consent`, { role: 'admin' })).body.channels[1];
    expect(sms).toMatchObject({ channel: 'sms', status: 'opted_out', source: 'sms_stop' });
    expect((await auditOf(`CONSENT#${p!.contactId}`)).filter((e) => (e.changes as any[]).some((c) => c.to === 'sms_stop'))).toHaveLength(1);

    // A failed campaigns run: replaying it runs the job, which sends nobody twice.
    const before = (await crm.sentEmails()).length;
    expect(await replay('campaigns', [], new Date(Date.now() + 1000))).toMatchObject({ sent: 0 });
    expect((await crm.sentEmails()).length).toBe(before);
  });
});
