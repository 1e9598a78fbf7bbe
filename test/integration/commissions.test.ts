/**
 * Commission plans and statements against DynamoDB Local, with won deals and quotas stored where
 * the deals feature keeps them and read through its contract (wonDealsOf, quotaOf). The expected
 * figures are worked out by hand in the comments.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/data/keys';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';
import { createCustomer, putDeal } from './sales-fixtures';

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

async function putQuota(userId: string, period: string, amount: number) {
  const item = { userId, period, amount: { amount, currency: 'EUR' }, version: 1, updatedAt: new Date().toISOString(), updatedBy: 'fixture' };
  await crm.ddb.send(new PutCommand({ TableName: crm.tableName, Item: { ...keys.quota.primary(userId, period), ...keys.quota.byPeriod(period, userId), kind: 'quota', ...item } }));
}

const PLAN = { name: 'Field sales 2026', currency: 'EUR', rateBp: 500, acceleratorRateBp: 800, userIds: [rep1] };

describe('commission plans', () => {
  it('creates and replaces a plan with PUT (If-Match), lists and reads it', async () => {
    const created = await crm.request('PUT', '/v1/commissions/plans/field-2026', { role: 'admin', body: PLAN });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({ id: 'field-2026', version: 1, rateBp: 500, acceleratorRateBp: 800, userIds: [rep1] });
    expect((await crm.request('PUT', '/v1/commissions/plans/field-2026', { role: 'admin', body: { ...PLAN, rateBp: 600 }, headers: { 'if-match': '"9"' } })).status).toBe(412);
    const replaced = await crm.request('PUT', '/v1/commissions/plans/field-2026', { role: 'admin', body: { ...PLAN, rateBp: 500 }, headers: { 'if-match': '"1"' } });
    expect(replaced.body.version).toBe(1); // unchanged content: nothing written
    expect((await crm.request('GET', '/v1/commissions/plans/field-2026', { role: 'manager' })).body.name).toBe(PLAN.name);
    expect((await crm.request('GET', '/v1/commissions/plans', { role: 'sales' })).body.items.map((p: any) => p.id)).toContain('field-2026');
    expect((await crm.request('PUT', '/v1/commissions/plans/field-2026', { role: 'manager', body: PLAN })).status).toBe(403);
  });

  it('keeps a user on at most one plan (409) and validates rates', async () => {
    const other = await crm.request('PUT', '/v1/commissions/plans/other', { role: 'admin', body: { ...PLAN, name: 'Other', userIds: [rep1] } });
    expect(other.status).toBe(409);
    // A malformed id names no plan (404, like every unknown id); invalid fields are 400 each.
    expect((await crm.request('PUT', '/v1/commissions/plans/Bad_Id', { role: 'admin', body: PLAN })).status).toBe(404);
    const bad = await crm.request('PUT', '/v1/commissions/plans/bad', { role: 'admin', body: { ...PLAN, rateBp: 20_000, userIds: ['x', 'x'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['rateBp', 'userIds']));
    const below = await crm.request('PUT', '/v1/commissions/plans/bad', { role: 'admin', body: { ...PLAN, userIds: [], rateBp: 900, acceleratorRateBp: 100 } });
    expect(below.status).toBe(400);
    expect((await crm.request('GET', '/v1/commissions/plans/bad', { role: 'admin' })).status).toBe(404);
  });

  it('shows a sales rep only the plans they are on (rates and members are pay data)', async () => {
    const someoneElse = 'rep-on-another-plan';
    await crm.request('PUT', '/v1/commissions/plans/reps-two', { role: 'admin', body: { ...PLAN, name: 'Rep two', userIds: [someoneElse] } });
    expect((await crm.request('GET', '/v1/commissions/plans/reps-two', { role: 'sales', userId: rep1 })).status).toBe(404);
    expect((await crm.request('GET', '/v1/commissions/plans/reps-two', { role: 'sales', userId: someoneElse })).status).toBe(200);
    const listed = await crm.request('GET', '/v1/commissions/plans?limit=100', { role: 'sales', userId: rep1 });
    expect(listed.body.items.every((plan: { userIds: string[] }) => plan.userIds.includes(rep1))).toBe(true);
    expect((await crm.request('GET', '/v1/commissions/plans?limit=100', { role: 'manager' })).body.items.map((p: { id: string }) => p.id)).toContain('reps-two');
  });
});

describe('commission statements', () => {
  it('computes a statement from the won deals of the period, the quota and the accelerator (hand-computed)', async () => {
    const customerId = await createCustomer(crm, rep1);
    // Q3 2026 (UTC): 12 000.00 + 8 000.00 + 5 000.01 EUR counted; a USD deal listed but not counted;
    // a deal closed at the first instant of Q4 and an open deal are not part of the statement.
    const a = await putDeal(crm, { ownerId: rep1, customerId, status: 'won', closedAt: '2026-07-01T00:00:00.000Z', amount: { amount: 1_200_000, currency: 'EUR' }, name: 'A' });
    const b = await putDeal(crm, { ownerId: rep1, customerId, status: 'won', closedAt: '2026-08-15T12:00:00.000Z', amount: { amount: 800_000, currency: 'EUR' }, name: 'B' });
    const c = await putDeal(crm, { ownerId: rep1, customerId, status: 'won', closedAt: '2026-09-30T23:59:59.999Z', amount: { amount: 500_001, currency: 'EUR' }, name: 'C' });
    const usd = await putDeal(crm, { ownerId: rep1, customerId, status: 'won', closedAt: '2026-09-01T00:00:00.000Z', amount: { amount: 999_999, currency: 'USD' }, name: 'USD' });
    await putDeal(crm, { ownerId: rep1, customerId, status: 'won', closedAt: '2026-10-01T00:00:00.000Z', amount: { amount: 7_777_777, currency: 'EUR' } });
    await putDeal(crm, { ownerId: rep1, customerId, status: 'open', amount: { amount: 5_555_555, currency: 'EUR' } });
    await putDeal(crm, { ownerId: rep2, customerId, status: 'won', closedAt: '2026-08-01T00:00:00.000Z', amount: { amount: 3_333_333, currency: 'EUR' } });
    await putQuota(rep1, '2026-Q3', 2_000_000);

    const res = await crm.request('GET', '/v1/commissions/statements?period=2026-Q3', { role: 'sales' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const s = res.body;
    expect(s).toMatchObject({ userId: rep1, period: '2026-Q3', planId: 'field-2026', from: '2026-07-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z', currency: 'EUR' });
    expect(s.deals.map((d: any) => [d.id, d.counted]).sort()).toEqual([[a.id, true], [b.id, true], [c.id, true], [usd.id, false]].sort());
    // won 25 000.01; quota 20 000.00 → attainment 125.00 %
    expect(s.won).toEqual({ amount: 2_500_001, currency: 'EUR' });
    expect(s.quota).toEqual({ amount: 2_000_000, currency: 'EUR' });
    expect(s.attainmentBp).toBe(12_500);
    // 20 000.00 × 5 % = 1 000.00; 5 000.01 × 8 % = 400.0008; total 1 400.0008 → 1 400.00
    expect(s.baseAmount.amount).toBe(2_000_000);
    expect(s.acceleratedAmount.amount).toBe(500_001);
    expect(s.commission).toEqual({ amount: 140_000, currency: 'EUR' });
  });

  it('without a quota pays the base rate on everything', async () => {
    // Q3 figures above, no quota for the month of August: 8 000.00 × 5 % = 400.00
    const res = await crm.request('GET', `/v1/commissions/statements?period=2026-08&userId=${rep1}`, { role: 'manager' });
    expect(res.status).toBe(200);
    expect(res.body.quota).toBeUndefined();
    expect(res.body.commission).toEqual({ amount: 40_000, currency: 'EUR' });
  });

  it('lets sales read only their own statement; roles without commissions:read get 403; no plan is 404', async () => {
    expect((await crm.request('GET', `/v1/commissions/statements?period=2026-Q3&userId=${rep2}`, { role: 'sales' })).status).toBe(403);
    expect((await crm.request('GET', `/v1/commissions/statements?period=2026-Q3&userId=${rep2}`, { role: 'admin' })).status).toBe(404);
    expect((await crm.request('GET', '/v1/commissions/statements?period=2026-Q3', { role: 'analyst' })).status).toBe(403);
    expect((await crm.request('GET', '/v1/commissions/statements?period=2026-Q5', { role: 'admin' })).status).toBe(400);
  });
});
