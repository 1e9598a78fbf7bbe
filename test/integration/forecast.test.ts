/**
 * The forecast against a hand-computed fixture: several deals, owners, months and currencies, a
 * moved close date, a won, a lost and a deleted deal — totals exact in minor units — plus quotas,
 * attainment and row level. The aggregates are maintained in the deal transactions; reading the
 * forecast is one Query of aggregates + one quota read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthsOf } from '../../functions/deals/model';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const requests = (res: { headers: Headers }) => Number(res.headers.get('x-db-requests'));
const NEGOTIATION = 'stg_00000000000000000000000004';
const PROPOSAL = 'stg_00000000000000000000000003';

// Won deals close "now", so the fixture lives in the current quarter.
const now = new Date();
const thisMonth = now.toISOString().slice(0, 7);
const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
const [m0, m1, m2] = monthsOf(quarter) as [string, string, string];

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

async function customer(ownerId: string) {
  return (await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `F ${Math.random()}`, ownerId } })).body.id as string;
}
async function deal(ownerId: string, customerId: string, amount: number, currency: string, extra: Record<string, unknown> = {}) {
  const res = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'F', customerId, ownerId, amount: { amount, currency }, ...extra } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

describe('forecast', () => {
  const a = `fa-${Date.now()}`;
  const b = `fb-${Date.now()}`;

  beforeAll(async () => {
    const ca = await customer(a);
    const cb = await customer(b);
    await deal(a, ca, 100_000, 'EUR', { expectedCloseDate: `${m1}-10` }); // Qualification 10 %
    const d2 = await deal(a, ca, 250_000, 'EUR', { expectedCloseDate: `${m1}-20` });
    await crm.request('POST', `/v1/deals/${d2}/stage`, { role: 'admin', body: { stageId: NEGOTIATION } }); // 75 % → commit
    const d3 = await deal(a, ca, 80_000, 'EUR', { expectedCloseDate: `${m2}-05`, stageId: PROPOSAL }); // 50 % → best case
    await crm.request('PATCH', `/v1/deals/${d3}`, { role: 'admin', body: { expectedCloseDate: `${m0}-15` } }); // moved close date
    const d4 = await deal(a, ca, 300_000, 'EUR', { expectedCloseDate: `${m2}-28` });
    await crm.request('POST', `/v1/deals/${d4}/won`, { role: 'admin', body: {} }); // closed-won this month
    const d5 = await deal(a, ca, 120_000, 'EUR', { expectedCloseDate: `${m1}-01` });
    await crm.request('POST', `/v1/deals/${d5}/lost`, { role: 'admin', body: { reason: 'Budget' } }); // leaves the forecast
    const d6 = await deal(a, ca, 999_999, 'EUR', { expectedCloseDate: `${m1}-02` });
    expect((await crm.request('DELETE', `/v1/deals/${d6}`, { role: 'admin' })).status).toBe(204); // deleted
    await deal(a, ca, 50_001, 'USD', { expectedCloseDate: `${m1}-01`, probability: 33 }); // weighted 16 500.33 → 16 500
    await deal(a, ca, 7, 'EUR'); // no expected close date: in no month
    await deal(b, cb, 70_000, 'EUR', { expectedCloseDate: `${m2}-28` });
    const next = `${Number(m2.slice(0, 4)) + (m2.endsWith('12') ? 1 : 0)}-${m2.endsWith('12') ? '01' : String(Number(m2.slice(5)) + 1).padStart(2, '0')}`;
    await deal(b, cb, 5_000, 'EUR', { expectedCloseDate: `${next}-01` }); // next quarter: not in this one
    expect((await crm.request('PUT', `/v1/quotas/${a}/${quarter}`, { role: 'manager', body: { amount: { amount: 1_000_000, currency: 'EUR' } } })).status).toBe(200);
  });

  it('reports exact per-owner, per-month, per-currency figures and attainment', async () => {
    const res = await crm.request('GET', `/v1/forecast?period=${quarter}&ownerId=${a}`, { role: 'manager' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // one Query of the aggregates + one GetItem of the quota
    expect(requests(res)).toBe(2);
    const zero = { closedWon: 0, commit: 0, bestCase: 0, pipeline: 0, weighted: 0, wonCount: 0, openCount: 0 };
    const expected = new Map<string, typeof zero>([
      [`${m0}|EUR`, { ...zero, pipeline: 80_000, bestCase: 80_000, weighted: 40_000, openCount: 1 }],
      [`${m1}|EUR`, { ...zero, pipeline: 350_000, commit: 250_000, bestCase: 250_000, weighted: 10_000 + 187_500, openCount: 2 }],
      [`${m1}|USD`, { ...zero, pipeline: 50_001, weighted: 16_500, openCount: 1 }],
    ]);
    const wonKey = `${thisMonth}|EUR`;
    expected.set(wonKey, { ...(expected.get(wonKey) ?? zero), closedWon: 300_000, wonCount: 1 });
    const rows = Object.fromEntries(res.body.rows.map((r: { month: string; currency: string; ownerId: string }) => [`${r.month}|${r.currency}`, r]));
    expect(Object.keys(rows).sort()).toEqual([...expected.keys()].sort());
    for (const [key, figures] of expected) expect(rows[key], key).toEqual({ ownerId: a, month: key.split('|')[0], currency: key.split('|')[1], ...figures });
    expect(res.body.owners).toEqual([{
      ownerId: a,
      totals: [
        { currency: 'EUR', closedWon: 300_000, commit: 250_000, bestCase: 330_000, pipeline: 430_000, weighted: 237_500, wonCount: 1, openCount: 3 },
        { currency: 'USD', closedWon: 0, commit: 0, bestCase: 0, pipeline: 50_001, weighted: 16_500, wonCount: 0, openCount: 1 },
      ],
      quota: { amount: 1_000_000, currency: 'EUR' },
      attainment: 0.3,
    }]);
  });

  it('covers every owner without ownerId (one Query + one quota Query) and follows an owner change', async () => {
    const res = await crm.request('GET', `/v1/forecast?period=${quarter}`, { role: 'analyst' });
    expect(res.status).toBe(200);
    expect(requests(res)).toBe(2);
    const ofB = res.body.owners.find((o: { ownerId: string }) => o.ownerId === b);
    expect(ofB.totals).toEqual([{ currency: 'EUR', closedWon: 0, commit: 0, bestCase: 0, pipeline: 70_000, weighted: 7_000, wonCount: 0, openCount: 1 }]);
    expect(ofB.quota).toBeUndefined();
    // moving a deal to another owner moves its figures
    const cb = await customer(b);
    const d = await deal(b, cb, 1_000, 'EUR', { expectedCloseDate: `${m0}-01` });
    await crm.request('PATCH', `/v1/deals/${d}`, { role: 'manager', body: { ownerId: a } });
    const after = (await crm.request('GET', `/v1/forecast?period=${m0}&ownerId=${b}`, { role: 'admin' })).body;
    expect(after.rows).toEqual([]);
    const ofA = (await crm.request('GET', `/v1/forecast?period=${m0}&ownerId=${a}`, { role: 'admin' })).body;
    expect(ofA.rows.find((r: { currency: string }) => r.currency === 'EUR').pipeline).toBe(81_000);
    await crm.request('DELETE', `/v1/deals/${d}`, { role: 'admin' });
  });

  it('lets sales read only their own forecast', async () => {
    const rep = SALES_REPS[0]!.id;
    const own = await crm.request('GET', `/v1/forecast?period=${quarter}`, { role: 'sales', userId: rep });
    expect(own.status).toBe(200);
    expect(own.body.owners.every((o: { ownerId: string }) => o.ownerId === rep)).toBe(true);
    expect((await crm.request('GET', `/v1/forecast?period=${quarter}&ownerId=${a}`, { role: 'sales', userId: rep })).status).toBe(403);
    expect((await crm.request('GET', '/v1/forecast?period=2026-13', { role: 'admin' })).status).toBe(400);
    expect((await crm.request('GET', '/v1/forecast', { role: 'admin' })).status).toBe(400);
  });
});

describe('quotas', () => {
  it('sets and reads quotas per user and period; sales read their own only', async () => {
    const rep = SALES_REPS[1]!.id;
    const put = await crm.request('PUT', `/v1/quotas/${rep}/2027-03`, { role: 'manager', body: { amount: { amount: 400_000, currency: 'EUR' } } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ userId: rep, period: '2027-03', version: 1 });
    const again = await crm.request('PUT', `/v1/quotas/${rep}/2027-03`, { role: 'admin', headers: { 'if-match': '"1"' }, body: { amount: { amount: 450_000, currency: 'EUR' } } });
    expect(again.body.version).toBe(2);
    expect((await crm.request('PUT', `/v1/quotas/${rep}/2027-03`, { role: 'admin', headers: { 'if-match': '"1"' }, body: { amount: { amount: 1, currency: 'EUR' } } })).status).toBe(412);
    const read = await crm.request('GET', `/v1/quotas/${rep}/2027-03`, { role: 'sales', userId: rep });
    expect(read.body.amount).toEqual({ amount: 450_000, currency: 'EUR' });
    expect(requests(read)).toBe(1);
    expect((await crm.request('GET', `/v1/quotas/${rep}/2027-03`, { role: 'sales', userId: SALES_REPS[0]!.id })).status).toBe(404);
    expect((await crm.request('PUT', `/v1/quotas/${rep}/2027-03`, { role: 'sales', userId: rep, body: { amount: { amount: 1, currency: 'EUR' } } })).status).toBe(403);
    await crm.request('PUT', `/v1/quotas/${SALES_REPS[0]!.id}/2027-03`, { role: 'admin', body: { amount: { amount: 10, currency: 'EUR' } } });
    const list = await crm.request('GET', '/v1/quotas?period=2027-03', { role: 'manager' });
    expect(list.body.items.map((q: { userId: string }) => q.userId).sort()).toEqual([rep, SALES_REPS[0]!.id].sort());
    const own = await crm.request('GET', '/v1/quotas?period=2027-03', { role: 'sales', userId: rep });
    expect(own.body.items.map((q: { userId: string }) => q.userId)).toEqual([rep]);
    // a malformed path parameter names no resource (the shared convention: 404), an invalid body is 400
    expect((await crm.request('PUT', `/v1/quotas/${rep}/2027-Q5`, { role: 'admin', body: { amount: { amount: 1, currency: 'EUR' } } })).status).toBe(404);
    expect((await crm.request('PUT', `/v1/quotas/${rep}/2027-Q4`, { role: 'admin', body: { amount: { amount: -1.5, currency: 'EUR' } } })).status).toBe(400);
  });
});
