/**
 * A campaign's audience exclusions, sender identity and run dates, on the real local engines: an
 * address any excluded segment or list reaches is not mailed (and is counted `excluded`, once, however
 * often the job runs); the campaign's sender is the From of its emails in the local SES inbox; a
 * sender the deployment may not use, an id both included and excluded, or dates out of order are a
 * 400 that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/data/keys';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
const run = Date.now().toString(36);
const tag = `excl-${run}`;
let templateId: string;
let allListId: string;
let excludedListId: string;
let excludedSegmentId: string;
const address = (who: string) => `${who}.${run}@example.com`;

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
  process.env.PUBLIC_API_URL = crm.baseUrl;
  const contactIds: Record<string, string> = {};
  // kept: mailed; listed: on the excluded list; tagged: its customer is in the excluded segment;
  // twin: another contact sharing listed's address (other case): excluded with it, as one address.
  for (const [who, email, tags] of [['kept', address('kept'), []], ['listed', address('listed'), []], ['tagged', address('tagged'), [tag]], ['twin', address('listed').toUpperCase(), []]] as const) {
    const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Excl ${who} ${run}`, tags: [...tags] } });
    expect(customer.status, customer.text).toBe(201);
    const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { firstName: who, lastName: 'Tester', email } });
    expect(contact.status, contact.text).toBe(201);
    await crm.request('PUT', `/v1/contacts/${contact.body.id}/consent/email`, { role: 'marketing', body: { status: 'opted_in', source: 'form' } });
    contactIds[who] = contact.body.id;
  }
  templateId = (await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: 'News', subject: 'News for {{contact.firstName}}', html: '<p>News</p>', text: 'News' } })).body.id;
  allListId = (await crm.request('POST', '/v1/lists', { role: 'marketing', body: { name: 'Everyone' } })).body.id;
  excludedListId = (await crm.request('POST', '/v1/lists', { role: 'marketing', body: { name: 'Do not market' } })).body.id;
  expect((await crm.request('POST', `/v1/lists/${allListId}/members`, { role: 'marketing', body: { contactIds: Object.values(contactIds) } })).status).toBeLessThan(300);
  expect((await crm.request('POST', `/v1/lists/${excludedListId}/members`, { role: 'marketing', body: { contactIds: [contactIds.listed] } })).status).toBeLessThan(300);
  const segment = await crm.request('POST', '/v1/segments', { role: 'marketing', body: { name: `Tagged ${run}`, rules: { tagsAny: [tag] } } });
  expect(segment.status, segment.text).toBe(201);
  excludedSegmentId = segment.body.id;
}, 120_000);

afterAll(async () => {
  await crm?.stop();
});

const create = (body: Record<string, unknown>) => crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: `Excl ${run}`, channel: 'email', templateId, audience: { listIds: [allListId] }, ...body } });
const read = async (id: string) => (await crm.request('GET', `/v1/campaigns/${id}`, { role: 'marketing' })).body;
const mailsTo = async (to: string) => (await crm.sentEmails()).filter((e: any) => e.destination.to.some((t: string) => t.toLowerCase() === to.toLowerCase()));

async function ledger(id: string) {
  const out = await crm.ddb.send(new QueryCommand({
    TableName: crm.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
    ExpressionAttributeValues: { ':pk': keys.campaign.partition(id), ':r': 'RCP#' }, ConsistentRead: true,
  }));
  return (out.Items ?? []).map((i) => ({ email: String(i.email), status: String(i.status), skipReason: i.skipReason }));
}

describe('campaign exclusions and sender identity', () => {
  it('leaves out exactly the excluded addresses, counts them once, and sends from the campaign\'s sender', async () => {
    const created = await create({
      audience: { listIds: [allListId], exclude: { listIds: [excludedListId], segmentIds: [excludedSegmentId] } },
      sender: { email: 'news@example.com', name: 'Acme "News"' },
      startsOn: '2026-03-01', endsOn: '2026-03-31',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      audience: { listIds: [allListId], segmentIds: [], exclude: { listIds: [excludedListId], segmentIds: [excludedSegmentId] } },
      sender: { email: 'news@example.com', name: 'Acme "News"' }, startsOn: '2026-03-01', endsOn: '2026-03-31',
    });
    const id = created.body.id;
    expect((await crm.request('POST', `/v1/campaigns/${id}/schedule`, { role: 'marketing', body: {} })).status).toBe(200);

    // Two runs at once, then more: the ledger and counters come out the same as from one run.
    let at = new Date(Date.now() + 1_000);
    await Promise.all([crm.runJob('campaigns', at), crm.runJob('campaigns', at)]);
    for (let i = 0; i < 5 && (await read(id)).status !== 'sent'; i++) {
      at = new Date(at.getTime() + 120_000);
      await crm.runJob('campaigns', at);
    }
    const after = await read(id);
    expect(after.status).toBe('sent');
    expect(after.stats).toMatchObject({ recipients: 1, excluded: 2, sent: 1, pending: 0, unknown: 0 });

    const entries = await ledger(id);
    expect(entries.filter((e) => e.status === 'sent').map((e) => e.email)).toEqual([address('kept')]);
    expect(entries.filter((e) => e.skipReason === 'excluded').map((e) => e.email).sort()).toEqual([address('listed'), address('tagged')].sort());
    expect(entries).toHaveLength(3);

    const kept = await mailsTo(address('kept'));
    expect(kept).toHaveLength(1);
    expect(kept[0].from).toBe('"Acme \\"News\\"" <news@example.com>');
    expect(await mailsTo(address('listed'))).toHaveLength(0);
    expect(await mailsTo(address('tagged'))).toHaveLength(0);

    const report = (await crm.request('GET', `/v1/campaigns/${id}/stats`, { role: 'marketing' })).body;
    expect(report).toMatchObject({ recipients: 1, excluded: 2, sent: 1, startsOn: '2026-03-01', endsOn: '2026-03-31' });
  });

  it('answers a bad sender, an id both included and excluded, an unknown exclusion or dates out of order with 400, changing nothing', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ sender: { email: 'news@elsewhere.test' } }, 'sender.email'],
      [{ sender: { email: 'not an address' } }, 'sender.email'],
      [{ audience: { listIds: [allListId], exclude: { listIds: [allListId] } } }, 'audience.exclude.listIds.0'],
      [{ audience: { listIds: [allListId], exclude: { segmentIds: ['seg_00000000000000000000000000'] } } }, 'audience.exclude.segmentIds.0'],
      [{ startsOn: '2026-04-01', endsOn: '2026-03-31' }, 'endsOn'],
      [{ startsOn: '2026-02-30' }, 'startsOn'],
    ];
    const before = (await crm.request('GET', '/v1/campaigns?limit=100', { role: 'marketing' })).body.items.length;
    for (const [body, path] of bad) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(path);
    }
    expect((await crm.request('GET', '/v1/campaigns?limit=100', { role: 'marketing' })).body.items.length).toBe(before);

    const c = await create({ sender: { email: 'news@example.com' }, startsOn: '2026-03-01', endsOn: '2026-03-31' });
    expect(c.status, c.text).toBe(201);
    const patches: [Record<string, unknown>, string][] = [
      [{ sender: { email: 'news@elsewhere.test', name: 'Elsewhere' } }, 'sender.email'],
      [{ endsOn: '2026-02-01' }, 'endsOn'],
      [{ startsOn: '2026-04-01' }, 'startsOn'],
      [{ audience: { listIds: [allListId], exclude: { listIds: [allListId] } } }, 'audience.exclude.listIds.0'],
    ];
    for (const [body, path] of patches) {
      const res = await crm.request('PATCH', `/v1/campaigns/${c.body.id}`, { role: 'marketing', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(path);
    }
    expect(await read(c.body.id)).toMatchObject({ version: c.body.version, sender: { email: 'news@example.com' }, startsOn: '2026-03-01', endsOn: '2026-03-31' });

    // Valid changes apply; null clears.
    const ok = await crm.request('PATCH', `/v1/campaigns/${c.body.id}`, { role: 'marketing', body: { sender: { email: 'Team@EXAMPLE.com', name: 'Team' }, endsOn: null } });
    expect(ok.status, ok.text).toBe(200);
    // The domain is stored lower-cased (the SES grant's From condition is case-sensitive); the local part as given.
    expect(ok.body).toMatchObject({ sender: { email: 'Team@example.com', name: 'Team' }, startsOn: '2026-03-01', version: c.body.version + 1 });
    expect(ok.body.endsOn).toBeUndefined();
  });
});
