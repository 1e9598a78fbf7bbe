/**
 * Audience intake, attribution and SMS (C6) on the real local engines: the public sign-up form
 * with double opt-in (the confirmation email in the local inbox, the confirm page, a tampered
 * link, the per-address rate limit), campaign attribution counters through lead conversion, a win
 * and its reversal, and an SMS campaign to the SMS sink with a STOP reply respected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAttribution } from '../../functions/marketing/attribution';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
const run = Date.now().toString(36);
let campaignId: string;
let templateId: string;

beforeAll(async () => {
  crm = await startTestStack({ ses: true, sms: true });
  process.env.PUBLIC_API_URL = crm.baseUrl;
  templateId = (await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: 'Intake', subject: 'Hi', html: '<p>Hi</p>', text: 'Hi {{default contact.firstName "there"}}, 20% off this week.' } })).body.id;
  const segmentId = (await crm.request('POST', '/v1/segments', { role: 'marketing', body: { name: 'Intake', rules: { tagsAny: [`sms${run}`] } } })).body.id;
  const created = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: `Intake ${run}`, channel: 'email', templateId, audience: { segmentIds: [segmentId] }, budget: { amount: 10000, currency: 'EUR' } } });
  expect(created.status, created.text).toBe(201);
  campaignId = created.body.id;
}, 120_000);

afterAll(async () => {
  await crm?.stop();
});

const mailTo = async (email: string) => (await crm.sentEmails()).filter((e: any) => e.destination.to.includes(email));
const linkIn = (mail: any) => /https?:\/\/[^\s"<>]+\/v1\/signup\/confirm\?token=[^\s"<>]+/.exec(mail.body.text)![0];
const pathOf = (url: string) => url.slice(crm.baseUrl.length);

describe('public sign-up with double opt-in', () => {
  const email = `signup.${run}@example.com`;

  it('creates a pending lead, emails a signed link, confirms once and carries the opt-in to the converted contact', async () => {
    const res = await crm.request('POST', '/v1/signup', { body: { email, firstName: 'Sina', lastName: 'Signup', campaignId } });
    expect(res.status, res.text).toBe(202);
    expect(res.body.status).toBe('pending');
    const [mail] = await mailTo(email);
    expect(mail.subject).toContain('confirm');
    const link = linkIn(mail);
    expect(link).not.toContain(email);

    const page = await crm.request('GET', pathOf(link));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*style-src 'sha256-/);
    expect(page.text).toContain('<form method="post"');
    expect(page.text).not.toContain(email);

    const confirmed = await crm.request('POST', pathOf(link));
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('Subscription confirmed');
    expect((await crm.request('POST', pathOf(link))).status).toBe(200);

    // The lead came from the form (source web) and its campaign counts it.
    const leads = await crm.request('GET', '/v1/leads?source=web', { role: 'admin' });
    const lead = leads.body.items.find((l: any) => l.email === email);
    expect(lead).toMatchObject({ status: 'new', campaignId, lastName: 'Signup' });
    const converted = await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'admin', body: {} });
    expect(converted.status, converted.text).toBe(200);
    const consent = await crm.request('GET', `/v1/contacts/${converted.body.contactId}/consent`, { role: 'admin' });
    expect(consent.body.channels[0]).toMatchObject({ channel: 'email', status: 'opted_in', source: 'form' });
    const history = await crm.request('GET', `/v1/contacts/${converted.body.contactId}/consent/history`, { role: 'admin' });
    expect(history.body.items).toHaveLength(1);
  });

  it('answers alike for a known address, limits per address with 429 + Retry-After, and refuses tampered links with a 400 problem', async () => {
    // Second and third sign-ups of the same address: same answer, no second lead.
    for (let i = 0; i < 2; i++) expect((await crm.request('POST', '/v1/signup', { body: { email, lastName: 'Again' } })).status).toBe(202);
    const limited = await crm.request('POST', '/v1/signup', { body: { email: email.toUpperCase(), lastName: 'Again' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const leads = await crm.request('GET', '/v1/leads?source=web', { role: 'admin' });
    expect(leads.body.items.filter((l: any) => l.email === email)).toHaveLength(1);

    expect((await crm.request('POST', '/v1/signup', { body: { email: 'x', lastName: 'Bad' } })).status).toBe(400);
    expect((await crm.request('POST', '/v1/signup', { body: { email: `other.${run}@example.com`, lastName: 'Bad', campaignId: 'cmp_00000000000000000000000000' } })).status).toBe(400);

    const other = `tamper.${run}@example.com`;
    expect((await crm.request('POST', '/v1/signup', { body: { email: other, lastName: 'Tamper' } })).status).toBe(202);
    const link = linkIn((await mailTo(other))[0]);
    const token = new URL(link).searchParams.get('token')!;
    const flipped = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
    for (const method of ['GET', 'POST']) {
      const bad = await crm.request(method, `/v1/signup/confirm?token=${flipped}`);
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toBe('application/problem+json');
      expect(bad.body.errors[0].path).toBe('query.token');
      expect(bad.text).toContain('not valid');
    }
    // An unsubscribe-style token is no confirmation token either.
    expect((await crm.request('POST', `/v1/signup/confirm?token=${token.slice(0, -4)}`)).status).toBe(400);
  });
});

describe('campaign attribution counters', () => {
  it('count leads and deals, and won revenue that a deleted won deal takes back', async () => {
    const bad = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Nobody', campaignId: 'cmp_00000000000000000000000000' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('campaignId');
    const before = await readAttribution(campaignId);

    const lead = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: `Attr ${run}`, companyName: `Attr ${run}`, campaignId } });
    expect(lead.status, lead.text).toBe(201);
    expect(await readAttribution(campaignId)).toMatchObject({ leads: before.leads + 1, deals: before.deals });

    const converted = await crm.request('POST', `/v1/leads/${lead.body.id}/convert`, { role: 'admin', body: { createDeal: { name: 'Attributed', amount: { amount: 120000, currency: 'EUR' } } } });
    expect(converted.status, converted.text).toBe(200);
    const deal = await crm.request('GET', `/v1/deals/${converted.body.dealId}`, { role: 'admin' });
    expect(deal.body.campaignId).toBe(campaignId);
    expect(await readAttribution(campaignId)).toMatchObject({ leads: before.leads + 1, deals: before.deals + 1, wonDeals: 0 });

    expect((await crm.request('POST', `/v1/deals/${converted.body.dealId}/won`, { role: 'admin', body: {} })).status).toBe(200);
    // A repeated win changes nothing (exactly once).
    expect((await crm.request('POST', `/v1/deals/${converted.body.dealId}/won`, { role: 'admin', body: {} })).status).toBe(200);
    expect(await readAttribution(campaignId)).toMatchObject({ deals: before.deals + 1, wonDeals: 1, wonRevenue: [{ currency: 'EUR', amount: 120000 }] });

    // A deal set to the campaign by the API, and the won deal leaving `won` (deleted by an admin).
    const direct = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Direct', customerId: converted.body.customerId, amount: { amount: 500, currency: 'EUR' }, campaignId } });
    expect(direct.status, direct.text).toBe(201);
    expect((await crm.request('DELETE', `/v1/deals/${converted.body.dealId}`, { role: 'admin' })).status).toBe(204);
    expect(await readAttribution(campaignId)).toMatchObject({ leads: before.leads + 1, deals: before.deals + 1, wonDeals: 0, wonRevenue: [] });
    const cleared = await crm.request('PATCH', `/v1/deals/${direct.body.id}`, { role: 'admin', body: { campaignId: null } });
    expect(cleared.status, cleared.text).toBe(200);
    expect((await readAttribution(campaignId)).deals).toBe(before.deals);
  });
});

describe('SMS campaigns', () => {
  it('send the template text to opted-in phones through the SMS sink, once, and honour a STOP reply', async () => {
    const tag = `sms${run}`;
    const people = [];
    for (const [i, name] of ['Stay', 'Stop'].entries()) {
      const c = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Sms ${name} ${run}`, tags: [tag] } });
      const phone = `+49151${String(Date.now()).slice(-6)}${i}`;
      const contact = await crm.request('POST', `/v1/customers/${c.body.id}/contacts`, { role: 'admin', body: { firstName: name, lastName: 'Phone', phone } });
      expect(contact.status, contact.text).toBe(201);
      await crm.request('PUT', `/v1/contacts/${contact.body.id}/consent/sms`, { role: 'marketing', body: { status: 'opted_in', source: 'form' } });
      people.push({ contactId: contact.body.id as string, phone });
    }
    const segmentId = (await crm.request('POST', '/v1/segments', { role: 'marketing', body: { name: 'SMS', rules: { tagsAny: [tag] } } })).body.id;
    const first = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: `SMS ${run}`, channel: 'sms', templateId, audience: { segmentIds: [segmentId] } } });
    expect(first.status, first.text).toBe(201);
    expect((await crm.request('POST', `/v1/campaigns/${first.body.id}/schedule`, { role: 'marketing', body: {} })).status).toBe(200);
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    await crm.runJob('campaigns', new Date(Date.now() + 2000));
    const sent = crm.sentSms().filter((m) => m.campaignId === first.body.id);
    expect(sent.map((m) => m.to).sort()).toEqual(people.map((p) => p.phone).sort());
    expect(sent[0]!.body).toMatch(/^Hi (Stay|Stop), 20% off this week\.\nReply STOP to opt out\.$/);

    // The second person replies STOP: their SMS consent is opted out, and the next campaign skips them.
    await crm.replySms({ originationNumber: people[1]!.phone, messageBody: 'stop please' });
    const consent = await crm.request('GET', `/v1/contacts/${people[1]!.contactId}/consent`, { role: 'admin' });
    expect(consent.body.channels[1]).toMatchObject({ channel: 'sms', status: 'opted_out', source: 'sms_stop' });
    const second = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: `SMS 2 ${run}`, channel: 'sms', templateId, audience: { segmentIds: [segmentId] } } });
    await crm.request('POST', `/v1/campaigns/${second.body.id}/schedule`, { role: 'marketing', body: {} });
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    expect(crm.sentSms().filter((m) => m.campaignId === second.body.id).map((m) => m.to)).toEqual([people[0]!.phone]);
    const stats = await crm.request('GET', `/v1/campaigns/${second.body.id}`, { role: 'marketing' });
    expect(stats.body.stats).toMatchObject({ recipients: 2, sent: 1, skippedConsent: 1 });
    const recipients = await crm.request('GET', `/v1/campaigns/${second.body.id}/recipients`, { role: 'marketing' });
    expect(recipients.body.items.every((r: any) => r.phone?.startsWith('***') && r.masked.includes('phone'))).toBe(true);
  });
});
