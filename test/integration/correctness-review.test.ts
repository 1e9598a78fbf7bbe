/**
 * Correctness review: figures that summarise records must equal figures recomputed from the
 * records. Random deal write sequences (create, PATCH, moves, won, lost, delete, concurrent
 * writes, idempotent replays) against the API, then GET /v1/forecast and GET /v1/reports/sales
 * compared with what GET /v1/deals says; quotes/orders/lifetime value under concurrency.
 */
import fc from '../support/fast-check-seed';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';
import { createCustomer, inDays, putDeal } from './sales-fixtures';

let crm: TestStack;
beforeAll(async () => {
  crm = await startTestStack({ ses: true });
});
afterAll(async () => {
  await crm?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const STAGES = ['stg_00000000000000000000000001', 'stg_00000000000000000000000002', 'stg_00000000000000000000000003', 'stg_00000000000000000000000004'];
const year = new Date().getUTCFullYear();
const months = Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`);

async function allDeals(): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const res = await crm.request('GET', `/v1/deals?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { role: 'admin' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

type Fig = { closedWon: number; commit: number; bestCase: number; pipeline: number; weightedX100: number; wonCount: number; openCount: number };
const zero = (): Fig => ({ closedWon: 0, commit: 0, bestCase: 0, pipeline: 0, weightedX100: 0, wonCount: 0, openCount: 0 });
const roundX100 = (v: number) => Math.sign(v) * Math.round(Math.abs(v) / 100);

async function compareAggregates(owners: string[]) {
  const deals = (await allDeals()).filter((d) => owners.includes(d.ownerId));
  const expected = new Map<string, Fig>();
  const report = new Map<string, { won: number; lost: number; amounts?: Record<string, [number, number]>; averageDealSize?: unknown }>();
  for (const d of deals) {
    if (d.status === 'open' && d.expectedCloseDate) {
      const key = `${d.expectedCloseDate.slice(0, 7)}|${d.ownerId}|${d.amount.currency}`;
      const f = expected.get(key) ?? zero();
      f.pipeline += d.amount.amount;
      f.openCount += 1;
      f.weightedX100 += d.amount.amount * d.probability;
      if (d.probability >= 50) f.bestCase += d.amount.amount;
      if (d.probability >= 75) f.commit += d.amount.amount;
      expected.set(key, f);
    } else if (d.status === 'won') {
      const key = `${d.closedAt.slice(0, 7)}|${d.ownerId}|${d.amount.currency}`;
      const f = expected.get(key) ?? zero();
      f.closedWon += d.amount.amount;
      f.wonCount += 1;
      expected.set(key, f);
    }
    if (d.status !== 'open') {
      const key = `${d.closedAt.slice(0, 7)}|${d.ownerId}|${d.pipelineId}`;
      const r = report.get(key) ?? { won: 0, lost: 0 };
      if (d.status === 'won') {
        r.won += 1;
        r.amounts ??= {};
        const [sum, n] = r.amounts[d.amount.currency] ?? [0, 0];
        r.amounts[d.amount.currency] = [sum + d.amount.amount, n + 1];
      } else r.lost += 1;
      report.set(key, r);
    }
  }
  const actual = new Map<string, Omit<Fig, 'weightedX100'> & { weighted: number }>();
  const actualReport = new Map<string, { won: number; lost: number; averageDealSize: unknown }>();
  // Independent reads, fetched side by side: the forecast per quarter (its rows carry their month,
  // so four pages give every month's figures), the report per month (its rows carry none).
  const quarters = [1, 2, 3, 4].map((q) => `${year}-Q${q}`);
  await Promise.all([
    ...quarters.map(async (quarter) => {
      const res = await crm.request('GET', `/v1/forecast?period=${quarter}`, { role: 'admin' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      for (const r of res.body.rows) {
        if (!owners.includes(r.ownerId)) continue;
        actual.set(`${r.month}|${r.ownerId}|${r.currency}`, { closedWon: r.closedWon, commit: r.commit, bestCase: r.bestCase, pipeline: r.pipeline, weighted: r.weighted, wonCount: r.wonCount, openCount: r.openCount });
      }
    }),
    ...months.map(async (month) => {
      const rep = await crm.request('GET', `/v1/reports/sales?period=${month}`, { role: 'admin' });
      expect(rep.status, JSON.stringify(rep.body)).toBe(200);
      for (const r of rep.body.rows) {
        if (!owners.includes(r.ownerId) || (r.won === 0 && r.lost === 0)) continue;
        actualReport.set(`${month}|${r.ownerId}|${r.pipelineId}`, { won: r.won, lost: r.lost, averageDealSize: r.averageDealSize });
      }
    }),
  ]);
  // Forecast rows carry weighted already rounded; the expected figure is rounded the same way.
  const exp = Object.fromEntries([...expected].filter(([, f]) => f.openCount || f.wonCount || f.pipeline || f.closedWon).map(([k, f]) => {
    const { weightedX100: w, ...rest } = f;
    return [k, { ...rest, weighted: roundX100(w) }];
  }));
  const act = Object.fromEntries(actual);
  expect(act).toEqual(exp);
  for (const r of report.values()) {
    r.averageDealSize = Object.entries(r.amounts ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([currency, [sum, n]]) => ({ amount: Math.round(sum / n), currency }));
    delete r.amounts;
  }
  expect(Object.fromEntries(actualReport)).toEqual(Object.fromEntries(report));
}

type Op =
  | { kind: 'create'; owner: number; amount: number; currency: string; month?: number; stage?: number; probability?: number }
  | { kind: 'patch'; deal: number; patch: Record<string, unknown> }
  | { kind: 'stage'; deal: number; stage: number }
  | { kind: 'won' | 'lost' | 'delete'; deal: number }
  | { kind: 'concurrent'; deal: number; a: Record<string, unknown>; b: Record<string, unknown> }
  | { kind: 'replay'; deal: number; stage: number };

describe('forecast and report aggregates follow every deal write', () => {
  it('random sequences of deal writes: forecast and report equal figures recomputed from the deals', async () => {
    const custs = [await createCustomer(crm, 'rev-o0'), await createCustomer(crm, 'rev-o1')];
    const ownerIds = ['rev-o0', 'rev-o1', 'rev-o2'];
    const currency = fc.constantFrom('EUR', 'USD');
    const patchArb = fc.record({
      amount: fc.record({ amount: fc.integer({ min: 0, max: 5_000_000 }), currency }),
      expectedCloseDate: fc.option(fc.integer({ min: 0, max: 11 }).map((m) => `${months[m]}-15`), { nil: null }),
      ownerId: fc.constantFrom(...ownerIds),
      probability: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    }, { requiredKeys: [] });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), owner: fc.integer({ min: 0, max: 2 }), amount: fc.integer({ min: 0, max: 5_000_000 }), currency, month: fc.option(fc.integer({ min: 0, max: 11 }), { nil: undefined }), stage: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), probability: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('patch' as const), deal: fc.nat(), patch: patchArb }),
      fc.record({ kind: fc.constant('stage' as const), deal: fc.nat(), stage: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constantFrom('won' as const, 'lost' as const, 'delete' as const), deal: fc.nat() }),
      fc.record({ kind: fc.constant('concurrent' as const), deal: fc.nat(), a: patchArb, b: patchArb }),
      fc.record({ kind: fc.constant('replay' as const), deal: fc.nat(), stage: fc.integer({ min: 0, max: 3 }) }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 14 }), async (ops) => {
        run++;
        const owners = ownerIds.map((o) => `${o}-${run}`);
        const mapPatch = (p: Record<string, unknown>) => (p.ownerId ? { ...p, ownerId: `${p.ownerId}-${run}` } : p);
        const dealIds: string[] = [];
        const pick = (n: number) => dealIds[n % dealIds.length];
        for (const o of ops) {
          if (o.kind === 'create') {
            const res = await crm.request('POST', '/v1/deals', {
              role: 'admin',
              body: {
                name: 'R', customerId: custs[o.owner % 2], ownerId: owners[o.owner], amount: { amount: o.amount, currency: o.currency },
                ...(o.month !== undefined ? { expectedCloseDate: `${months[o.month]}-10` } : {}),
                ...(o.stage !== undefined ? { stageId: STAGES[o.stage] } : {}),
                ...(o.probability !== undefined ? { probability: o.probability } : {}),
              },
            });
            expect(res.status, JSON.stringify(res.body)).toBe(201);
            dealIds.push(res.body.id);
            continue;
          }
          const id = pick(o.deal);
          if (!id) continue;
          const ok = (res: { status: number; body: any }) => expect([200, 204, 404, 409], JSON.stringify(res.body)).toContain(res.status);
          if (o.kind === 'patch') ok(await crm.request('PATCH', `/v1/deals/${id}`, { role: 'admin', body: mapPatch(o.patch) }));
          else if (o.kind === 'stage') ok(await crm.request('POST', `/v1/deals/${id}/stage`, { role: 'admin', body: { stageId: STAGES[o.stage] } }));
          else if (o.kind === 'won') ok(await crm.request('POST', `/v1/deals/${id}/won`, { role: 'admin', body: {} }));
          else if (o.kind === 'lost') ok(await crm.request('POST', `/v1/deals/${id}/lost`, { role: 'admin', body: { reason: 'r' } }));
          else if (o.kind === 'delete') ok(await crm.request('DELETE', `/v1/deals/${id}`, { role: 'admin' }));
          else if (o.kind === 'concurrent') {
            const [a, b] = await Promise.all([
              crm.request('PATCH', `/v1/deals/${id}`, { role: 'admin', body: mapPatch(o.a) }),
              crm.request('PATCH', `/v1/deals/${id}`, { role: 'admin', body: mapPatch(o.b) }),
            ]);
            ok(a);
            ok(b);
          } else if (o.kind === 'replay') {
            const key = `replay-${id}-${Math.random().toString(36).slice(2)}`;
            const headers = { 'idempotency-key': key };
            ok(await crm.request('POST', `/v1/deals/${id}/stage`, { role: 'admin', headers, body: { stageId: STAGES[o.stage] } }));
            ok(await crm.request('POST', `/v1/deals/${id}/won`, { role: 'admin', headers: { 'idempotency-key': `${key}-w` }, body: {} }));
            ok(await crm.request('POST', `/v1/deals/${id}/won`, { role: 'admin', headers: { 'idempotency-key': `${key}-w` }, body: {} }));
          }
        }
        await compareAggregates(owners);
      }),
      { numRuns: 25, endOnFailure: true },
    );
  }, 600_000);
});

describe('orders and lifetime value', () => {
  async function sentQuoteIn(ownerId: string, customerId: string, currency: string, unitPrice: number) {
    const deal = await putDeal(crm, { ownerId, customerId, amount: { amount: 1000, currency } });
    const created = await crm.request('POST', `/v1/deals/${deal.id}/quotes`, {
      role: 'admin',
      body: { currency, validUntil: inDays(30), discountBp: 333, lines: [{ description: 'x', unitPrice, quantity: 1.5, taxRateBp: 1900, discountBp: 1250 }] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sent = await crm.request('POST', `/v1/quotes/${created.body.id}/send`, { role: 'admin' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    return sent.body;
  }

  it('many concurrent accepts of different quotes of one customer: every accept succeeds and lifetime value = Σ order net', async () => {
    const customerId = await createCustomer(crm, 'ltv-owner');
    const quotes = [];
    for (let i = 0; i < 8; i++) quotes.push(await sentQuoteIn('ltv-owner', customerId, i % 3 === 0 ? 'USD' : 'EUR', 1001 + i * 37));
    const results = await Promise.all(quotes.map((q) => crm.request('POST', `/v1/quotes/${q.id}/accept`, { role: 'admin' })));
    expect(results.map((r) => r.status), JSON.stringify(results.map((r) => r.body))).toEqual(quotes.map(() => 200));
    const orders = await crm.request('GET', `/v1/customers/${customerId}/orders?limit=100`, { role: 'admin' });
    expect(orders.body.items).toHaveLength(8);
    const sums: Record<string, number> = {};
    for (const o of orders.body.items) {
      const q = quotes.find((x) => x.id === o.quoteId);
      expect(o.totals).toEqual(q.totals);
      sums[o.currency] = (sums[o.currency] ?? 0) + o.totals.net;
    }
    const customer = await crm.request('GET', `/v1/customers/${customerId}`, { role: 'admin' });
    expect(customer.body.lifetimeValue).toEqual(Object.entries(sums).map(([currency, amount]) => ({ amount, currency })).sort((a, b) => a.currency.localeCompare(b.currency)));
  });
});

describe('accepting a quote under transaction conflicts', () => {
  it('an accept cancelled for a conflict with a concurrent transaction (busy purchase summary) is retried, not a 500', async () => {
    const data = await import('../../functions/data/client');
    const customerId = await createCustomer(crm, 'conflict-owner');
    const deal = await putDeal(crm, { ownerId: 'conflict-owner', customerId });
    const created = await crm.request('POST', `/v1/deals/${deal.id}/quotes`, { role: 'admin', body: { validUntil: inDays(30), lines: [{ description: 'x', unitPrice: 5000, quantity: 2, taxRateBp: 1900 }] } });
    expect((await crm.request('POST', `/v1/quotes/${created.body.id}/send`, { role: 'admin' })).status).toBe(200);
    const client = data.ddb();
    const original = client.send.bind(client);
    let conflicts = 0;
    vi.spyOn(client, 'send').mockImplementation((async (command: any, ...rest: any[]) => {
      const items = command.input?.TransactItems as any[] | undefined;
      if (conflicts === 0 && items?.some((i) => String(i.Put?.Item?.pk ?? '').startsWith('ORD#'))) {
        conflicts += 1;
        // What DynamoDB answers when another transaction holds the purchase summary item.
        throw Object.assign(new Error('Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, None, TransactionConflict, None, None]'), {
          name: 'TransactionCanceledException',
          CancellationReasons: items.map((i) => ({ Code: i.Update ? 'TransactionConflict' : 'None' })),
        });
      }
      return (original as any)(command, ...rest);
    }) as any);
    const res = await crm.request('POST', `/v1/quotes/${created.body.id}/accept`, { role: 'admin' });
    vi.restoreAllMocks();
    expect(conflicts).toBe(1);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const orders = await crm.request('GET', `/v1/customers/${customerId}/orders`, { role: 'admin' });
    expect(orders.body.items).toHaveLength(1);
    const customer = await crm.request('GET', `/v1/customers/${customerId}`, { role: 'admin' });
    expect(customer.body.lifetimeValue).toEqual([{ amount: 10_000, currency: 'EUR' }]);
  });
});

describe('reminders: exactly one email under concurrent job runs', () => {
  it('a run with another schedule time (a delayed or replayed invocation) cannot take a reminder whose email a live run is sending', async () => {
    const jobs = await import('../../functions/jobs/handler');
    const email = await import('../../functions/notifications/email');
    const MIN = 60_000;
    const t0 = Math.ceil((Date.now() + 2 * 86_400_000) / 3_600_000) * 3_600_000;
    const iso = (t: number) => new Date(t).toISOString();
    const user = `rev-rem-${Date.now().toString(36)}`;
    const created = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: user, body: { title: 'Exactly once', reminders: [{ at: iso(t0) }] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = (t: number) => jobs.handler({ job: 'reminders', time: iso(t) } as never) as unknown as Promise<Record<string, number>>;

    // While the first run (an invocation for t0, e.g. delivered late by EventBridge) is inside its
    // SES call, the regular run of a later minute (t0 + 11 min) starts.
    const client = await email.sesClient();
    const original = client.send.bind(client);
    let second: Promise<Record<string, number>> | undefined;
    vi.spyOn(client, 'send').mockImplementation((async (command: any, ...rest: any[]) => {
      if (!second && command.input?.Destination?.ToAddresses?.includes(`${user}@example.com`)) {
        second = run(t0 + 11 * MIN);
        await second;
      }
      return (original as any)(command, ...rest);
    }) as any);
    await run(t0);
    await second;
    await run(t0 + 30 * MIN);
    const emails = (await crm.sentEmails()).filter((e) => e.destination.to.includes(`${user}@example.com`));
    expect(emails).toHaveLength(1);
    const notifications = await crm.request('GET', '/v1/notifications?limit=100', { role: 'sales', userId: user });
    expect(notifications.body.items).toHaveLength(1);
  });
});

describe('sales report', () => {
  it('average deal size per currency divides by the won deals in that currency, not by all won deals', async () => {
    const owner = `rev-avg-${Date.now().toString(36)}`;
    const customerId = await createCustomer(crm, owner);
    const won = async (amount: number, currency: string) => {
      const res = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'A', customerId, ownerId: owner, amount: { amount, currency } } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect((await crm.request('POST', `/v1/deals/${res.body.id}/won`, { role: 'admin', body: {} })).status).toBe(200);
      return res.body.id as string;
    };
    await won(100_000, 'EUR');
    await won(300_000, 'USD');
    const gone = await won(500_000, 'USD');
    await won(200_000, 'EUR');
    await won(700_000, 'USD');
    expect((await crm.request('DELETE', `/v1/deals/${gone}`, { role: 'admin' })).status).toBe(204);
    const month = new Date().toISOString().slice(0, 7);
    const res = await crm.request('GET', `/v1/reports/sales?period=${month}&ownerId=${owner}`, { role: 'admin' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const expected = [{ amount: 150_000, currency: 'EUR' }, { amount: 500_000, currency: 'USD' }];
    expect(res.body.rows).toHaveLength(1);
    expect(res.body.rows[0]).toMatchObject({ won: 4, averageDealSize: expected });
    expect(res.body.total).toMatchObject({ won: 4, averageDealSize: expected });
  });
});
