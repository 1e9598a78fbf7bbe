/**
 * Marketing (C6) on the real local engines: consent and its history, the suppression list,
 * templates (sandboxed, escaped), segments and lists, and campaigns that send each address at most
 * once — also when two job runs go at the same time or a run is repeated — with consent and
 * suppression checked at send time, the RFC 8058 headers in the email, and the public one-click
 * unsubscribe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/data/keys';
import { statsShard } from '../../functions/marketing/campaigns';
import { addressHash } from '../../functions/marketing/token';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
const run = Date.now().toString(36);

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
  // Links in the emails point at this gateway (the deployed API's URL in AWS).
  process.env.PUBLIC_API_URL = crm.baseUrl;
}, 120_000);

afterAll(async () => {
  await crm?.stop();
});

interface Person { customerId: string; contactId: string; email: string }

async function person(name: string, customer: Record<string, unknown> = {}, ownerId?: string): Promise<Person> {
  const c = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `${name} ${run}`, tier: 'A', ...(ownerId ? { ownerId } : {}), ...customer } });
  expect(c.status, c.text).toBe(201);
  const email = `${name.replace(/[^a-z0-9]/gi, '').toLowerCase()}.${run}@example.com`;
  const contact = await crm.request('POST', `/v1/customers/${c.body.id}/contacts`, { role: 'admin', body: { firstName: name, lastName: 'Tester', email } });
  expect(contact.status, contact.text).toBe(201);
  return { customerId: c.body.id, contactId: contact.body.id, email };
}

const mailTo = async (email: string) => (await crm.sentEmails()).filter((e: any) => e.destination.to.includes(email));

describe('consent per contact and channel', () => {
  it('starts unknown, records changes with their source and keeps a history; own scope for sales', async () => {
    const p = await person('Consent');
    const before = await crm.request('GET', `/v1/contacts/${p.contactId}/consent`, { role: 'marketing' });
    expect(before.status).toBe(200);
    expect(before.body.channels).toEqual([{ channel: 'email', status: 'unknown', version: 0 }, { channel: 'sms', status: 'unknown', version: 0 }]);

    const put = await crm.request('PUT', `/v1/contacts/${p.contactId}/consent/email`, { role: 'marketing', body: { status: 'opted_in', source: 'form' } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ channel: 'email', status: 'opted_in', source: 'form', version: 1 });
    const same = await crm.request('PUT', `/v1/contacts/${p.contactId}/consent/email`, { role: 'marketing', body: { status: 'opted_in', source: 'form' } });
    expect(same.body.version).toBe(1);
    await crm.request('PUT', `/v1/contacts/${p.contactId}/consent/email`, { role: 'admin', body: { status: 'opted_out', source: 'phone', note: 'Asked on the phone' } });

    const history = await crm.request('GET', `/v1/contacts/${p.contactId}/consent/history`, { role: 'marketing' });
    expect(history.body.items.map((h: any) => [h.from, h.to, h.source])).toEqual([['opted_in', 'opted_out', 'phone'], ['unknown', 'opted_in', 'form']]);

    expect((await crm.request('PUT', `/v1/contacts/${p.contactId}/consent/fax`, { role: 'marketing', body: { status: 'opted_in', source: 'form' } })).status).toBe(404);
    expect((await crm.request('PUT', `/v1/contacts/${p.contactId}/consent/sms`, { role: 'marketing', body: { status: 'maybe', source: 'form' } })).status).toBe(400);
    // A rep who does not own the customer sees no such contact.
    expect((await crm.request('GET', `/v1/contacts/${p.contactId}/consent`, { role: 'sales' })).status).toBe(404);
  });
});

describe('templates', () => {
  it('refuses what is not plain personalisation and escapes values in HTML', async () => {
    const bad = await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: 'Bad', subject: 'Hi {{contact.password}}', html: '<p>{{{contact.firstName}}}</p>{{> partial}}', text: '{{lookup contact "email"}}' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path).sort()).toEqual(['html', 'html', 'subject', 'text']);
    expect((await crm.request('POST', '/v1/templates', { role: 'sales', body: { name: 'x', subject: 'x', html: 'x', text: 'x' } })).status).toBe(403);

    const p = await person('<script>alert(1)</script>');
    const t = await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: `T ${run}`, subject: 'Hello {{default contact.firstName "friend"}}', html: '<p>Hi {{contact.firstName}} at {{customer.name}}, {{contact.email}}</p>{{#if contact.jobTitle}}<p>{{contact.jobTitle}}</p>{{else}}<p>no title</p>{{/if}}', text: 'Hi {{default contact.jobTitle "there"}}' } });
    expect(t.status, t.text).toBe(201);
    const render = await crm.request('POST', `/v1/templates/${t.body.id}/render`, { role: 'marketing', body: { contactId: p.contactId } });
    expect(render.status, render.text).toBe(200);
    expect(render.body.html).toContain('Hi &lt;script&gt;alert(1)&lt;/script&gt; at');
    expect(render.body.html).not.toContain('<script>');
    expect(render.body.html).toContain('<p>no title</p>');
    expect(render.body.text).toContain('Hi there');
    // Marketing has no pii:read: the address renders masked.
    expect(render.body.html).toContain(', s***@example.com</p>');
    expect(render.body.masked).toContain('email');
    expect(render.body.html).toContain('Unsubscribe');
    const admin = await crm.request('POST', `/v1/templates/${t.body.id}/render`, { role: 'admin', body: { contactId: p.contactId } });
    expect(admin.body.html).toContain(`, ${p.email}</p>`);
    expect(admin.body.masked).toBeUndefined();
  });
});

describe('segments and lists', () => {
  it('previews a segment by index with counts and masked members; lists add and remove members', async () => {
    const tag = `seg${run}`;
    const a = await person('Seg1', { tier: 'B', tags: [tag], address: { line1: 'x', city: 'Berlin', country: 'DE' } });
    await person('Seg2', { tier: 'B', tags: [tag], address: { line1: 'x', city: 'Paris', country: 'FR' } });
    const seg = await crm.request('POST', '/v1/segments', { role: 'marketing', body: { name: 'DE tagged', rules: { tagsAny: [tag], countries: ['DE'] } } });
    expect(seg.status, seg.text).toBe(201);
    expect(seg.body.plan).toContain(`customers tagged "${tag}"`);
    const preview = await crm.request('POST', `/v1/segments/${seg.body.id}/preview`, { role: 'marketing' });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body).toMatchObject({ count: 1, complete: true, nextCursor: null });
    expect(preview.body.items).toEqual([expect.objectContaining({ contactId: a.contactId, email: `s***@example.com`, masked: ['email'] })]);

    const list = await crm.request('POST', '/v1/lists', { role: 'marketing', body: { name: 'VIP' } });
    const add = await crm.request('POST', `/v1/lists/${list.body.id}/members`, { role: 'marketing', body: { contactIds: [a.contactId] } });
    expect(add.body).toMatchObject({ changed: 1, unchanged: 0 });
    expect((await crm.request('POST', `/v1/lists/${list.body.id}/members`, { role: 'marketing', body: { contactIds: [a.contactId] } })).body).toMatchObject({ changed: 0, unchanged: 1 });
    const missing = await crm.request('POST', `/v1/lists/${list.body.id}/members`, { role: 'marketing', body: { contactIds: ['con_00000000000000000000000000'] } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].path).toBe('contactIds.0');
    const members = await crm.request('GET', `/v1/lists/${list.body.id}/members`, { role: 'analyst' });
    expect(members.body.items.map((m: any) => m.contactId)).toEqual([a.contactId]);
    expect((await crm.request('POST', `/v1/lists/${list.body.id}/members/remove`, { role: 'marketing', body: { contactIds: [a.contactId] } })).body.changed).toBe(1);
  });
});

describe('campaigns', () => {
  const tag = `cmp${run}`;
  let people: Record<'inSegmentAndList' | 'optedIn' | 'optedOut' | 'suppressed' | 'unknown' | 'crashed', Person>;
  let campaignId: string;
  let templateId: string;
  let segmentId: string;
  let listId: string;

  beforeAll(async () => {
    const names = ['inSegmentAndList', 'optedIn', 'optedOut', 'suppressed', 'unknown', 'crashed'] as const;
    const created = await Promise.all(names.map((n) => person(`Cmp${n}`, { tier: 'C', tags: [tag] })));
    people = Object.fromEntries(names.map((n, i) => [n, created[i]!])) as typeof people;
    for (const n of ['inSegmentAndList', 'optedIn', 'suppressed', 'crashed'] as const) {
      await crm.request('PUT', `/v1/contacts/${people[n].contactId}/consent/email`, { role: 'marketing', body: { status: 'opted_in', source: 'form' } });
    }
    await crm.request('PUT', `/v1/contacts/${people.optedOut.contactId}/consent/email`, { role: 'marketing', body: { status: 'opted_out', source: 'email' } });
    const supp = await crm.request('POST', '/v1/suppressions', { role: 'marketing', body: { email: people.suppressed.email.toUpperCase() } });
    expect(supp.status, supp.text).toBe(200);
    expect(supp.body).toMatchObject({ reason: 'manual', masked: ['email'] });

    templateId = (await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: 'News', subject: 'News for {{default contact.firstName "you"}}', html: '<p>Hello {{contact.firstName}}</p>', text: 'Hello {{contact.firstName}}' } })).body.id;
    segmentId = (await crm.request('POST', '/v1/segments', { role: 'marketing', body: { name: 'Campaign tag', rules: { tagsAny: [tag] } } })).body.id;
    listId = (await crm.request('POST', '/v1/lists', { role: 'marketing', body: { name: 'Overlap' } })).body.id;
    await crm.request('POST', `/v1/lists/${listId}/members`, { role: 'marketing', body: { contactIds: [people.inSegmentAndList.contactId] } });
  }, 120_000);

  it('validates references and refuses to schedule twice', async () => {
    const bad = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: 'Bad', channel: 'email', templateId: 'tpl_00000000000000000000000000', audience: { segmentIds: [segmentId] } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path)).toEqual(['templateId']);
    expect((await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: 'Empty', channel: 'email', templateId, audience: {} } })).status).toBe(400);

    const created = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: `Launch ${run}`, goal: 'Leads', budget: { amount: 50000, currency: 'EUR' }, channel: 'email', templateId, audience: { segmentIds: [segmentId], listIds: [listId] }, sendRatePerSecond: 20 } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', consentPolicy: 'opted_in' });
    campaignId = created.body.id;
    const scheduled = await crm.request('POST', `/v1/campaigns/${campaignId}/schedule`, { role: 'marketing', body: {} });
    expect(scheduled.status, scheduled.text).toBe(200);
    expect(scheduled.body.status).toBe('scheduled');
    expect((await crm.request('POST', `/v1/campaigns/${campaignId}/schedule`, { role: 'marketing', body: {} })).status).toBe(409);
    expect((await crm.request('POST', `/v1/campaigns/${campaignId}/schedule`, { role: 'sales', body: {} })).status).toBe(403);
  });

  it('sends each address exactly once under two concurrent runs and a repeat, honouring consent and suppression', async () => {
    const now = new Date(Date.now() + 1000);
    // A run that crashed between claiming a recipient and sending: the ledger holds it as claimed
    // (and counted), never confirmed. Materialising finds the address taken and leaves it alone.
    const hash = addressHash(people.crashed.email);
    await crm.ddb.send(new PutCommand({ TableName: crm.tableName, Item: {
      ...keys.campaign.recipient(campaignId, hash), kind: 'campaign-recipient', campaignId, addressHash: hash, email: people.crashed.email,
      contactId: people.crashed.contactId, customerId: people.crashed.customerId, status: 'claimed', leaseId: 'crashed-run', claimedAt: now.toISOString(),
    } }));
    await crm.ddb.send(new UpdateCommand({ TableName: crm.tableName, Key: keys.campaign.stats(campaignId, statsShard(hash)), UpdateExpression: 'ADD recipients :one', ExpressionAttributeValues: { ':one': 1 } }));

    await Promise.all([crm.runJob('campaigns', now), crm.runJob('campaigns', now)]);
    await crm.runJob('campaigns', now);

    const counts = Object.fromEntries(await Promise.all(Object.entries(people).map(async ([n, p]) => [n, (await mailTo(p.email)).length])));
    expect(counts).toEqual({ inSegmentAndList: 1, optedIn: 1, optedOut: 0, suppressed: 0, unknown: 0, crashed: 0 });
    // Not complete yet: one recipient is neither sent nor skipped, and the ledger has not settled.
    expect((await crm.request('GET', `/v1/campaigns/${campaignId}`, { role: 'marketing' })).body).toMatchObject({ status: 'sending', stats: { pending: 1, unknown: 0 } });

    const [mail] = await mailTo(people.optedIn.email);
    expect(mail.subject).toBe(`News for Cmp${'optedIn'}`);
    const header = (name: string) => mail.headers?.find((h: any) => h.name.toLowerCase() === name.toLowerCase())?.value as string | undefined;
    expect(header('List-Unsubscribe')).toMatch(new RegExp(`^<${crm.baseUrl}/v1/unsubscribe\\?token=[A-Za-z0-9_-]+>, <mailto:unsubscribe@example\\.com\\?subject=unsubscribe%20[A-Za-z0-9_-]+>$`));
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(mail.body.html).toContain(`${crm.baseUrl}/v1/unsubscribe?token=`);
    expect(mail.body.text).toContain('Unsubscribe from marketing email: ');

    // Settled: the unconfirmed claim is "unknown" and the campaign completes without sending it.
    await crm.runJob('campaigns', new Date(now.getTime() + 120_000));
    const campaign = await crm.request('GET', `/v1/campaigns/${campaignId}`, { role: 'analyst' });
    expect(campaign.body.status).toBe('sent');
    const s = campaign.body.stats;
    expect(s.recipients).toBe(6);
    expect(s.sent + s.skippedConsent + s.skippedSuppressed + s.failed + s.unknown).toBe(s.recipients);
    expect(s).toMatchObject({ sent: 2, skippedConsent: 2, skippedSuppressed: 1, failed: 0, pending: 0, unknown: 1 });
    expect((await mailTo(people.crashed.email)).length).toBe(0);

    const ledger = await crm.request('GET', `/v1/campaigns/${campaignId}/recipients`, { role: 'marketing' });
    expect(ledger.body.items).toHaveLength(6);
    for (const r of ledger.body.items) expect(r.email).toMatch(/^c\*\*\*@example\.com$/);
  });

  it('unsubscribes with a bare one-click POST (no login), idempotently; tampered tokens are 400; the next campaign skips the address', async () => {
    const [mail] = await mailTo(people.optedIn.email);
    const url = /<(http[^>]+)>/.exec(mail.headers.find((h: any) => h.name === 'List-Unsubscribe').value)![1]!;
    const path = url.slice(crm.baseUrl.length);
    const token = new URL(url).searchParams.get('token')!;

    const page = await crm.request('GET', path);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('<form method="post"');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");

    const flipped = token.slice(0, 20) + (token[20] === 'A' ? 'B' : 'A') + token.slice(21);
    for (const bad of [flipped, token.slice(0, -2), `${token}AA`, 'garbage']) {
      const res = await crm.request('POST', `/v1/unsubscribe?token=${bad}`, { rawBody: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status, bad).toBe(400);
      expect(res.body.errors[0].path).toBe('query.token');
    }
    expect((await crm.request('GET', `/v1/unsubscribe?token=${flipped}`)).status).toBe(400);

    for (let i = 0; i < 2; i++) {
      const res = await crm.request('POST', path, { rawBody: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status, res.text).toBe(200);
      expect(res.text).toContain('You are unsubscribed');
    }
    const consent = await crm.request('GET', `/v1/contacts/${people.optedIn.contactId}/consent`, { role: 'admin' });
    expect(consent.body.channels[0]).toMatchObject({ status: 'opted_out', source: 'unsubscribe_link' });
    const suppressions = await crm.request('GET', '/v1/suppressions', { role: 'admin' });
    expect(suppressions.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ email: people.optedIn.email, reason: 'unsubscribe', campaignId })]));
    expect((await crm.request('GET', `/v1/campaigns/${campaignId}`, { role: 'marketing' })).body.stats.unsubscribed).toBe(1);

    // A second campaign to the same audience: only the contact still opted in and not suppressed.
    const again = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: `Again ${run}`, channel: 'email', templateId, audience: { segmentIds: [segmentId] }, consentPolicy: 'not_opted_out' } });
    await crm.request('POST', `/v1/campaigns/${again.body.id}/schedule`, { role: 'marketing', body: {} });
    const before = (await crm.sentEmails()).length;
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    const sentNow = (await crm.sentEmails()).slice(before).map((e: any) => e.destination.to[0]).sort();
    expect(sentNow).toEqual([people.inSegmentAndList.email, people.unknown.email, people.crashed.email].sort());
  });
});
