/**
 * Communication records and the customer timeline end to end: HTTP through the local gateway into
 * the real handlers, against DynamoDB Local. Request counts come from the x-db-* headers.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/data/keys';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

async function customer(ownerId = rep1, extra: Record<string, unknown> = {}) {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Timeline ${Math.random()}`, ownerId, ...extra } });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number; createdAt: string };
}

async function record(body: Record<string, unknown>, role: 'admin' | 'sales' | 'manager' | 'service' = 'admin', userId?: string) {
  const res = await crm.request('POST', '/v1/activities', { role, userId, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function timeline(customerId: string, query = '', role: 'admin' | 'sales' | 'analyst' = 'admin') {
  return crm.request('GET', `/v1/customers/${customerId}/timeline${query}`, { role });
}

const tracker = async (customerId: string) =>
  (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.customerActivity.primary(customerId), ConsistentRead: true }))).Item;

describe('recording activities', () => {
  it('records a call linked to a contact, with version 1, ETag and Location; reads it back in one request', async () => {
    const c = await customer();
    const contact = await crm.request('POST', `/v1/customers/${c.id}/contacts`, { role: 'admin', body: { lastName: 'Meier', email: 'meier@example.com' } });
    const res = await crm.request('POST', '/v1/activities', {
      role: 'sales',
      body: {
        customerId: c.id, type: 'call', direction: 'outbound', channel: 'phone', subject: 'Renewal', content: 'Talked about the renewal',
        outcome: 'Wants a quote', durationSeconds: 600, occurredAt: ago(30), links: { contactId: contact.body.id },
        participants: [{ contactId: contact.body.id }, { name: 'Eva Meier', email: 'eva@example.com' }],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ customerId: c.id, type: 'call', direction: 'outbound', version: 1, createdBy: rep1, links: { contactId: contact.body.id } });
    expect(res.body.id).toMatch(/^act_[0-9A-Z]{26}$/);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe(`/v1/activities/${res.body.id}`);
    expect(res.headers.get('x-db-commands')).toBe('BatchGetItem,TransactWriteItems');

    const admin = await crm.request('GET', `/v1/activities/${res.body.id}`, { role: 'admin' });
    expect(admin.status).toBe(200);
    expect(admin.body.content).toBe('Talked about the renewal');
    expect(admin.headers.get('x-db-requests')).toBe('1');
    // A rep's visibility depends on who owns the customer now: one more GetItem.
    const sales = await crm.request('GET', `/v1/activities/${res.body.id}`, { role: 'sales' });
    expect(sales.status).toBe(200);
    expect(sales.headers.get('x-db-requests')).toBe('2');
  });

  it('defaults occurredAt to now and lets notes go without a direction', async () => {
    const c = await customer();
    const before = Date.now();
    const note = await record({ customerId: c.id, type: 'note', content: 'Prefers email' });
    expect(Date.parse(note.occurredAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(note.direction).toBeUndefined();
  });

  it('rejects invalid input precisely and writes nothing', async () => {
    const c = await customer();
    const other = await customer();
    const foreign = await crm.request('POST', `/v1/customers/${other.id}/contacts`, { role: 'admin', body: { lastName: 'Elsewhere' } });
    const cases: [Record<string, unknown>, string[]][] = [
      [{ customerId: c.id, type: 'call' }, ['direction']],
      [{ customerId: c.id, type: 'visit', direction: 'outbound', occurredAt: new Date(Date.now() + 26 * 3600_000).toISOString() }, ['occurredAt']],
      [{ customerId: c.id, type: 'fax', direction: 'sideways', durationSeconds: -1 }, ['type', 'direction', 'durationSeconds']],
      [{ customerId: c.id, type: 'note', links: { quoteId: 'quo_1' } }, ['links']],
      [{ customerId: c.id, type: 'note', participants: [{}] }, ['participants.0']],
      [{ customerId: c.id, type: 'note', occurredAt: 'yesterday' }, ['occurredAt']],
      [{ customerId: c.id, type: 'email', direction: 'inbound', links: { contactId: foreign.body.id } }, ['links.contactId']],
      [{ customerId: c.id, type: 'email', direction: 'inbound', participants: [{ contactId: foreign.body.id }] }, ['participants.0.contactId']],
      [{ customerId: c.id, type: 'email', direction: 'inbound', links: { contactId: 'con_01J0000000000000000000000Z' } }, ['links.contactId']],
    ];
    for (const [body, paths] of cases) {
      const res = await crm.request('POST', '/v1/activities', { role: 'admin', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(res.body)).toEqual(expect.arrayContaining(paths));
    }
    const page = await timeline(c.id, '?type=email');
    expect(page.body.items).toEqual([]);
    expect(await tracker(c.id)).toBeUndefined();
  });

  it('answers 404 for an unknown or invisible customer and 409 for an archived one', async () => {
    expect((await crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId: 'cus_01J0000000000000000000000Z', type: 'note' } })).status).toBe(404);
    const theirs = await customer(rep2);
    expect((await crm.request('POST', '/v1/activities', { role: 'sales', body: { customerId: theirs.id, type: 'note' } })).status).toBe(404);
    const archived = await customer();
    await crm.request('DELETE', `/v1/customers/${archived.id}`, { role: 'admin' });
    const res = await crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId: archived.id, type: 'note' } });
    expect(res.status).toBe(409);
  });

  it('replays a POST with the same Idempotency-Key instead of recording twice', async () => {
    const c = await customer();
    const key = `act-${Math.random()}`;
    const body = { customerId: c.id, type: 'sms', direction: 'outbound', content: 'On my way' };
    const first = await crm.request('POST', '/v1/activities', { role: 'admin', body, headers: { 'idempotency-key': key } });
    const second = await crm.request('POST', '/v1/activities', { role: 'admin', body, headers: { 'idempotency-key': key } });
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await timeline(c.id, '?type=sms')).body.items).toHaveLength(1);
  });
});

describe('changing and deleting activities', () => {
  it('updates with If-Match (412 when stale), clears fields with null, and keeps the customer', async () => {
    const c = await customer();
    const a = await record({ customerId: c.id, type: 'meeting', direction: 'outbound', subject: 'Kick-off', outcome: 'Good' });
    const stale = await crm.request('PATCH', `/v1/activities/${a.id}`, { role: 'admin', body: { subject: 'x' }, headers: { 'if-match': '"7"' } });
    expect(stale.status).toBe(412);
    const res = await crm.request('PATCH', `/v1/activities/${a.id}`, { role: 'admin', body: { subject: 'Kick-off meeting', outcome: null }, headers: { 'if-match': '"1"' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subject: 'Kick-off meeting', version: 2 });
    expect(res.body.outcome).toBeUndefined();
    expect((await crm.request('PATCH', `/v1/activities/${a.id}`, { role: 'admin', body: { customerId: c.id } })).status).toBe(400);
    expect((await crm.request('PATCH', `/v1/activities/${a.id}`, { role: 'admin', body: { direction: null } })).status).toBe(400);
    expect((await crm.request('PATCH', `/v1/activities/${a.id}`, { role: 'admin', body: {} })).status).toBe(400);
  });

  it('deletes an activity: it leaves the timeline, a second delete is 404, a stale If-Match 412', async () => {
    const c = await customer();
    const a = await record({ customerId: c.id, type: 'visit', direction: 'outbound' });
    expect((await crm.request('DELETE', `/v1/activities/${a.id}`, { role: 'admin', headers: { 'if-match': '"2"' } })).status).toBe(412);
    expect((await timeline(c.id, '?type=visit')).body.items).toHaveLength(1);
    const res = await crm.request('DELETE', `/v1/activities/${a.id}`, { role: 'admin', headers: { 'if-match': '"1"' } });
    expect(res.status).toBe(204);
    expect((await timeline(c.id, '?type=visit')).body.items).toHaveLength(0);
    expect((await crm.request('GET', `/v1/activities/${a.id}`, { role: 'admin' })).status).toBe(404);
    expect((await crm.request('DELETE', `/v1/activities/${a.id}`, { role: 'admin' })).status).toBe(404);
  });
});

describe('row level and masking', () => {
  it('lets a rep see and change only activities of customers they own, and follows an owner change', async () => {
    const c = await customer(rep1);
    const a = await record({ customerId: c.id, type: 'call', direction: 'inbound' });
    const asRep2 = { role: 'sales' as const, userId: rep2 };
    expect((await crm.request('GET', `/v1/activities/${a.id}`, asRep2)).status).toBe(404);
    expect((await crm.request('PATCH', `/v1/activities/${a.id}`, { ...asRep2, body: { subject: 'x' } })).status).toBe(404);
    expect((await crm.request('DELETE', `/v1/activities/${a.id}`, asRep2)).status).toBe(404);
    expect((await crm.request('GET', `/v1/customers/${c.id}/timeline`, asRep2)).status).toBe(404);

    await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'manager', body: { ownerId: rep2 } });
    expect((await crm.request('GET', `/v1/activities/${a.id}`, asRep2)).status).toBe(200);
    expect((await crm.request('GET', `/v1/activities/${a.id}`, { role: 'sales', userId: rep1 })).status).toBe(404);
  });

  it('masks content and participants for roles without the personal-data permission', async () => {
    const c = await customer();
    const a = await record({ customerId: c.id, type: 'email', direction: 'inbound', subject: 'Order', content: 'My card ends 1234', participants: [{ name: 'Eva Meier', email: 'eva@example.com' }] });
    const analyst = await crm.request('GET', `/v1/activities/${a.id}`, { role: 'analyst' });
    expect(analyst.status).toBe(200);
    expect(analyst.body).toMatchObject({ subject: 'Order', content: '***', participants: [{ name: '***', email: 'e***@example.com' }] });
    expect(analyst.body.masked).toEqual(['content', 'participants']);
    const onTimeline = await timeline(c.id, '?type=email', 'analyst');
    expect(onTimeline.body.items[0].activity.content).toBe('***');
    const service = await crm.request('GET', `/v1/activities/${a.id}`, { role: 'service' });
    expect(service.body.content).toBe('My card ends 1234');
  });
});

describe('customer timeline', () => {
  it('interleaves back-dated activities with record events, newest first, one Query per page', async () => {
    const c = await customer(rep1, { tier: 'B' });
    const callOld = await record({ customerId: c.id, type: 'call', direction: 'outbound', occurredAt: ago(60 * 24 * 3), subject: 'old call' });
    const contact = await crm.request('POST', `/v1/customers/${c.id}/contacts`, { role: 'admin', body: { lastName: 'Kim' } });
    const mail = await record({ customerId: c.id, type: 'email', direction: 'inbound', occurredAt: ago(60 * 24 * 2), subject: 'mail' });
    await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { industry: 'Retail' } }); // not a key event
    await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { ownerId: rep2 } });
    const note = await record({ customerId: c.id, type: 'note', subject: 'note' });
    await crm.request('DELETE', `/v1/contacts/${contact.body.id}`, { role: 'admin' });
    const asset = await crm.request('POST', `/v1/customers/${c.id}/assets`, { role: 'admin', body: { productName: 'Dryer', category: 'dryer', purchaseDate: '2024-05-01' } });
    expect(asset.status).toBe(201);
    await crm.request('DELETE', `/v1/customers/${c.id}`, { role: 'admin' });
    await crm.request('POST', `/v1/customers/${c.id}/restore`, { role: 'admin' });

    const seen: { type: string; id: string; occurredAt: string; event?: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await timeline(c.id, `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-db-commands')).toBe('GetItem,Query');
      for (const item of res.body.items) seen.push({ type: item.type, id: item.id, occurredAt: item.occurredAt, event: item.record?.event });
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.map((s) => s.occurredAt)).toEqual([...seen.map((s) => s.occurredAt)].sort().reverse());
    expect(seen.map((s) => s.event ?? s.type)).toEqual([
      'customer.restored', 'customer.archived', 'asset.created', 'contact.deleted', 'note', 'customer.owner_changed',
      'contact.created', 'customer.created', 'email', 'call',
    ]);
    expect(seen.find((s) => s.type === 'call')!.id).toBe(callOld.id);
    expect(seen.find((s) => s.type === 'email')!.id).toBe(mail.id);
    expect(seen.find((s) => s.type === 'note')!.id).toBe(note.id);
  });

  it('filters by activity type or record events, paginates the filtered list, and rejects a cursor of another filter', async () => {
    const c = await customer();
    for (let i = 0; i < 3; i++) await record({ customerId: c.id, type: 'call', direction: 'outbound', occurredAt: ago(10 + i) });
    await record({ customerId: c.id, type: 'meeting', direction: 'outbound' });
    const calls = await timeline(c.id, '?type=call&limit=2');
    expect(calls.body.items.map((i: { type: string }) => i.type)).toEqual(['call', 'call']);
    expect(calls.headers.get('x-db-requests')).toBe('2');
    const rest = await timeline(c.id, `?type=call&limit=2&cursor=${encodeURIComponent(calls.body.nextCursor)}`);
    expect(rest.body.items).toHaveLength(1);
    const records = await timeline(c.id, '?type=record');
    expect(records.body.items.map((i: { record: { event: string } }) => i.record.event)).toEqual(['customer.created']);
    expect((await timeline(c.id, `?type=meeting&cursor=${encodeURIComponent(calls.body.nextCursor)}`)).status).toBe(400);
    expect((await timeline(c.id, `?type=call&cursor=${encodeURIComponent(calls.body.nextCursor)}x`)).status).toBe(400);
    expect((await timeline(c.id, '?type=fax')).status).toBe(400);
    expect((await timeline('cus_01J0000000000000000000000Z')).status).toBe(404);
  });

  it('keeps lastActivityAt on a separate tracker item: only forward, notes do not count', async () => {
    const c = await customer(rep1, { tier: 'A' });
    const recent = await record({ customerId: c.id, type: 'call', direction: 'outbound', occurredAt: ago(5) });
    await record({ customerId: c.id, type: 'visit', direction: 'outbound', occurredAt: ago(60 * 24) }); // back-dated
    await record({ customerId: c.id, type: 'note', occurredAt: ago(1) });
    const item = await tracker(c.id);
    expect(item?.lastActivityAt).toBe(recent.occurredAt);
    // The dormancy clock starts at the later of creation and last activity (created after that call).
    expect(item?.touchedAt).toBe(c.createdAt);
    // The customers feature's profile writes do not clobber it.
    await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { industry: 'Energy' } });
    expect((await tracker(c.id))?.lastActivityAt).toBe(recent.occurredAt);
    // Concurrent activities: the latest wins, none is lost.
    const times = [ago(4), ago(3), ago(2)];
    await Promise.all(times.map((t) => crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId: c.id, type: 'sms', direction: 'outbound', occurredAt: t } })));
    expect((await tracker(c.id))?.lastActivityAt).toBe(times[2]);
    expect((await timeline(c.id, '?type=sms')).body.items).toHaveLength(3);
    // The customer shows it, still read with one request.
    const read = await crm.request('GET', `/v1/customers/${c.id}`, { role: 'admin' });
    expect(read.body.lastActivityAt).toBe(times[2]);
    expect(read.headers.get('x-db-requests')).toBe('1');
  });
});
