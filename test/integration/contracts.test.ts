/**
 * Service contracts against DynamoDB Local: CRUD with number uniqueness and asset validation,
 * the status workflow (illegal moves → 409), row level for sales, the contract-renewals job
 * (exactly one renewal task per contract end under repeated and concurrent runs and after a gap;
 * expiry) and entitlements (contract first, else warranty).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;
const DAY = 86_400_000;
/** A UTC date n days from now (the business time zone is UTC in this file). */
const day = (n: number, from = Date.now()) => new Date(from + n * DAY).toISOString().slice(0, 10);
const noonOf = (date: string) => new Date(`${date}T12:00:00Z`);

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

async function customer(ownerId = rep1) {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Contract Co ${Math.random()}`, ownerId } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function asset(customerId: string, extra: Record<string, unknown> = {}) {
  const res = await crm.request('POST', `/v1/customers/${customerId}/assets`, { role: 'admin', body: { productName: 'Boiler', category: 'boiler', purchaseDate: day(-400), ...extra } });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

let numbers = 0;
const nextNumber = () => `SC-${process.pid}-${++numbers}`;

async function contract(customerId: string, body: Record<string, unknown> = {}, role: 'admin' | 'service' = 'service') {
  const res = await crm.request('POST', '/v1/contracts', {
    role,
    body: { number: nextNumber(), customerId, startDate: day(-300), endDate: day(65), value: { amount: 120000, currency: 'EUR' }, billingCycle: 'yearly', ...body },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

const patch = (id: string, body: Record<string, unknown>, role: 'admin' | 'service' | 'sales' = 'service') => crm.request('PATCH', `/v1/contracts/${id}`, { role, body });

async function renewalTasks(customerId: string) {
  const res = await crm.request('GET', `/v1/tasks?customerId=${customerId}&status=open&limit=100`, { role: 'admin' });
  expect(res.status, res.text).toBe(200);
  return (res.body.items as any[]).filter((t) => String(t.sourceKey ?? '').startsWith('contract-renewal#'));
}

describe('contracts', () => {
  it('creates, reads and lists a contract; the number is unique (case-insensitive); assets must be the customer\'s', async () => {
    const c = await customer();
    const other = await customer();
    const a = await asset(c);
    const foreign = await asset(other);
    const number = nextNumber().toLowerCase();
    const created = await contract(c, { number, assetIds: [a], status: 'active', renewalReminderDays: 30, notes: 'Gold support' });
    expect(created).toMatchObject({ number: number.toUpperCase(), customerId: c, assetIds: [a], status: 'active', renewalReminderDays: 30, renewalReminderOn: day(35), version: 1 });

    const dup = await crm.request('POST', '/v1/contracts', { role: 'service', body: { number: number.toUpperCase(), customerId: other, startDate: day(0), endDate: day(10), value: { amount: 1, currency: 'EUR' }, billingCycle: 'monthly' } });
    expect(dup.status).toBe(409);
    expect(dup.headers.get('content-type')).toBe('application/problem+json');
    expect(dup.body.existingId).toBe(created.id);

    const wrongAsset = await crm.request('POST', '/v1/contracts', { role: 'service', body: { number: nextNumber(), customerId: c, assetIds: [a, foreign], startDate: day(0), endDate: day(10), value: { amount: 1, currency: 'EUR' }, billingCycle: 'monthly' } });
    expect(wrongAsset.status).toBe(400);
    expect(wrongAsset.body.errors).toEqual([{ path: 'assetIds.1', message: expect.any(String) }]);
    const backwards = await crm.request('POST', '/v1/contracts', { role: 'service', body: { number: nextNumber(), customerId: c, startDate: day(10), endDate: day(0), value: { amount: 1, currency: 'EUR' }, billingCycle: 'monthly' } });
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors[0].path).toBe('endDate');
    expect((await patch(created.id, { assetIds: [a, foreign] })).status).toBe(400);

    const read = await crm.request('GET', `/v1/contracts/${created.id}`, { role: 'analyst' });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created);
    expect(read.headers.get('x-db-requests')).toBe('1');

    await contract(c, { startDate: day(-100) });
    const list = await crm.request('GET', `/v1/customers/${c}/contracts?limit=1`, { role: 'manager' });
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: any) => x.startDate)).toEqual([day(-100)]);
    expect(list.headers.get('x-db-requests')).toBe('2'); // the customer (visibility) + one Query
    const next = await crm.request('GET', `/v1/customers/${c}/contracts?limit=1&cursor=${encodeURIComponent(list.body.nextCursor)}`, { role: 'manager' });
    expect(next.body.items.map((x: any) => x.id)).toEqual([created.id]);
    expect(next.headers.get('x-db-requests')).toBe('2');

    const all = await crm.request('GET', '/v1/contracts?status=active&limit=5', { role: 'service' });
    expect(all.status).toBe(200);
    expect(all.body.items.every((x: any) => x.status === 'active')).toBe(true);
    expect(all.headers.get('x-db-requests')).toBe('1');
  });

  it('allows only legal status moves (409 otherwise) and freezes a final contract but for notes', async () => {
    const c = await customer();
    const draft = await contract(c);
    expect(draft.status).toBe('draft');
    expect(draft.renewalReminderOn).toBeUndefined();
    for (const illegal of ['expired', 'renewed']) {
      const res = await patch(draft.id, { status: illegal });
      expect(res.status, illegal).toBe(409);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    const active = await patch(draft.id, { status: 'active', value: { amount: 99, currency: 'EUR' } });
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ status: 'active', value: { amount: 99, currency: 'EUR' }, version: 2 });
    expect((await patch(draft.id, { status: 'draft' })).status).toBe(409);
    expect((await patch(draft.id, { status: 'cancelled' })).body.status).toBe('cancelled');
    expect((await patch(draft.id, { status: 'active' })).status).toBe(409);
    expect((await patch(draft.id, { endDate: day(400) })).status).toBe(409);
    const noted = await patch(draft.id, { notes: 'Customer moved away' });
    expect(noted.status).toBe(200);
    expect(noted.body).toMatchObject({ status: 'cancelled', notes: 'Customer moved away' });

    // Stale If-Match is a 412.
    const stale = await crm.request('PATCH', `/v1/contracts/${draft.id}`, { role: 'service', body: { notes: 'x' }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
  });

  it('refuses contract writes for an archived customer (409)', async () => {
    const c = await customer();
    const existing = await contract(c);
    expect((await crm.request('DELETE', `/v1/customers/${c}`, { role: 'admin' })).status).toBe(200);
    const res = await crm.request('POST', '/v1/contracts', { role: 'service', body: { number: nextNumber(), customerId: c, startDate: day(0), endDate: day(10), value: { amount: 1, currency: 'EUR' }, billingCycle: 'monthly' } });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('archived');
    expect((await patch(existing.id, { status: 'active' })).status).toBe(409);
  });

  it('shows a sales rep the contracts of customers they own, and nobody else\'s', async () => {
    const mine = await contract(await customer(rep1));
    const theirs = await contract(await customer(rep2));
    expect((await crm.request('GET', `/v1/contracts/${mine.id}`, { role: 'sales', userId: rep1 })).status).toBe(200);
    expect((await crm.request('GET', `/v1/contracts/${theirs.id}`, { role: 'sales', userId: rep1 })).status).toBe(404);
    expect((await crm.request('GET', `/v1/customers/${theirs.customerId}/contracts`, { role: 'sales', userId: rep1 })).status).toBe(404);
    expect((await crm.request('GET', '/v1/contracts', { role: 'sales', userId: rep1 })).status).toBe(403);
    expect((await patch(mine.id, { notes: 'x' }, 'sales')).status).toBe(403);
  });
});

describe('contract-renewals job', () => {
  it('creates exactly one renewal task per contract end under concurrent and repeated runs, then expires the contract', async () => {
    const c = await customer(rep1);
    const end = day(40);
    const k = await contract(c, { status: 'active', endDate: end, renewalReminderDays: 30 });
    const reminderDay = day(-30, Date.parse(`${end}T00:00:00Z`));
    expect(k.renewalReminderOn).toBe(reminderDay);

    await crm.runJob('contract-renewals', noonOf(day(-1, Date.parse(`${reminderDay}T00:00:00Z`))));
    expect(await renewalTasks(c)).toHaveLength(0);

    const at = noonOf(reminderDay);
    await Promise.all([1, 2, 3, 4].map(() => crm.runJob('contract-renewals', at)));
    await crm.runJob('contract-renewals', at);
    await crm.runJob('contract-renewals', new Date(at.getTime() + 5 * DAY));
    const tasks = await renewalTasks(c);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      sourceKey: `contract-renewal#${k.id}#${end}`,
      assigneeId: rep1,
      dueAt: `${end}T09:00:00.000Z`,
      related: { type: 'contract', id: k.id },
    });
    expect(tasks[0].title).toContain(k.number);
    const reminded = (await crm.request('GET', `/v1/contracts/${k.id}`, { role: 'admin' })).body;
    expect(reminded.status).toBe('active');
    expect(reminded.renewalReminderOn).toBeUndefined();

    // Past its end it reads as expired at once, and the job stores it.
    const after = noonOf(day(1, Date.parse(`${end}T00:00:00Z`)));
    await Promise.all([crm.runJob('contract-renewals', after), crm.runJob('contract-renewals', after)]);
    const stored = await crm.request('GET', `/v1/contracts?status=expired&limit=100`, { role: 'admin' });
    expect(stored.body.items.map((x: any) => x.id)).toContain(k.id);
    expect(await renewalTasks(c)).toHaveLength(1);
    // An expired contract can still be renewed.
    expect((await patch(k.id, { status: 'renewed' })).body.status).toBe('renewed');
  });

  it('catches up after a gap: one task and expiry in the same run; an extended end gets its own task', async () => {
    const c = await customer(rep1);
    const end = day(20);
    const k = await contract(c, { status: 'active', endDate: end, renewalReminderDays: 60 });
    // The job was down from before the reminder day until after the end.
    const late = noonOf(day(10, Date.parse(`${end}T00:00:00Z`)));
    await crm.runJob('contract-renewals', late);
    await crm.runJob('contract-renewals', late);
    expect(await renewalTasks(c)).toHaveLength(1);
    expect((await crm.request('GET', `/v1/contracts?status=expired&limit=100`, { role: 'admin' })).body.items.map((x: any) => x.id)).toContain(k.id);

    // A contract that is extended before its reminder was sent is reminded for the new end only.
    const other = await contract(c, { status: 'active', endDate: day(50), renewalReminderDays: 10 });
    const extended = await patch(other.id, { endDate: day(80) });
    expect(extended.body.renewalReminderOn).toBe(day(70));
    await crm.runJob('contract-renewals', noonOf(day(71)));
    const keys = (await renewalTasks(c)).map((t) => t.sourceKey).sort();
    expect(keys).toEqual([`contract-renewal#${k.id}#${end}`, `contract-renewal#${other.id}#${day(80)}`].sort());
  });
});

describe('entitlements', () => {
  it('names the active contract covering the asset, else the asset\'s warranty', async () => {
    const c = await customer(rep1);
    const covered = await asset(c);
    const warranted = await asset(c, { warrantyEndsOn: day(100) });
    const bare = await asset(c);
    const foreign = await asset(await customer(rep1));
    const k = await contract(c, { status: 'active', assetIds: [covered] });
    await contract(c, { status: 'draft' }); // drafts cover nothing

    const { entitlementFor } = await import('../../functions/contracts/entitlement');
    expect(await entitlementFor(c, covered)).toMatchObject({ entitled: true, source: 'contract', contract: { id: k.id, number: k.number } });
    expect(await entitlementFor(c, warranted)).toMatchObject({ entitled: true, source: 'warranty', warranty: { assetId: warranted, endsOn: day(100) } });
    expect(await entitlementFor(c, bare)).toMatchObject({ entitled: false, source: null });
    expect(await entitlementFor(c)).toMatchObject({ entitled: true, source: 'contract' });

    const viaApi = await crm.request('GET', `/v1/customers/${c}/entitlements?assetId=${warranted}`, { role: 'sales', userId: rep1 });
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toMatchObject({ customerId: c, assetId: warranted, source: 'warranty' });
    const wrong = await crm.request('GET', `/v1/customers/${c}/entitlements?assetId=${foreign}`, { role: 'service' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].path).toBe('query.assetId');

    // A contract without listed assets covers all of them; a cancelled one covers nothing.
    const blanket = await contract(c, { status: 'active' });
    expect(await entitlementFor(c, bare)).toMatchObject({ source: 'contract', contract: { id: blanket.id } });
    await patch(blanket.id, { status: 'cancelled' });
    expect(await entitlementFor(c, bare)).toMatchObject({ entitled: false });
  });
});
