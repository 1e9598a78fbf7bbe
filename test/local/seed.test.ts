import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/data/keys';
import { CustomerCreate, ContactCreate } from '../../schemas/customers';
import { SALES_REPS, type DemoUser } from '../../local/demo-users';
import { salesPlan } from '../../local/seed-sales';
import { ProductCreate } from '../../schemas/products';
import { ActivityCreate } from '../../schemas/activities';
import { TaskCreate } from '../../schemas/tasks';
import { seed, seedIfNeeded, seedPlan } from '../../local/seed';
import { startTestStack, type TestStack } from '../support/stack';

describe('seed plan', () => {
  const plan = seedPlan(300);

  it('is deterministic', () => {
    expect(seedPlan(300)).toEqual(plan);
  });

  it('is valid for the API and spread across owners, tiers, stages and markets', () => {
    for (const customer of plan) {
      expect(CustomerCreate().safeParse(customer.body).success, customer.idempotencyKey).toBe(true);
      expect(customer.contacts.length).toBeGreaterThanOrEqual(1);
      expect(customer.contacts.length).toBeLessThanOrEqual(3);
      for (const contact of customer.contacts) expect(ContactCreate().safeParse(contact.body).success, contact.idempotencyKey).toBe(true);
    }
    const distinct = (f: (c: (typeof plan)[number]) => unknown) => new Set(plan.map(f)).size;
    expect(distinct((c) => c.body.ownerId)).toBe(SALES_REPS.length);
    expect(distinct((c) => c.body.tier)).toBe(4);
    expect(distinct((c) => c.body.lifecycleStage)).toBe(5);
    expect(distinct((c) => c.body.type)).toBe(2);
    expect(distinct((c) => c.body.address.country)).toBeGreaterThan(5);
    expect(plan.some((c) => /[\u4e00-\u9fff]/.test(c.body.name))).toBe(true);
    expect(plan.some((c) => /[À-ž]/.test(c.body.name))).toBe(true);
  });

  it('never repeats an email address, phone number or idempotency key', () => {
    const emails = plan.flatMap((c) => [c.body.email, ...c.contacts.map((k) => k.body.email)]).filter(Boolean) as string[];
    const phones = plan.flatMap((c) => [c.body.phone, ...c.contacts.map((k) => k.body.phone)]).filter(Boolean) as string[];
    const digitsOnly = phones.map((p) => p.replace(/\D/g, ''));
    const keysUsed = plan.flatMap((c) => [c.idempotencyKey, ...c.contacts.map((k) => k.idempotencyKey)]);
    expect(new Set(emails.map((e) => e.toLowerCase())).size).toBe(emails.length);
    expect(new Set(digitsOnly).size).toBe(digitsOnly.length);
    expect(new Set(keysUsed).size).toBe(keysUsed.length);
    for (const email of emails) expect(email).toMatch(/@example\.(com|org|net)$/);
  });
});

describe('sales plan', () => {
  const customers = seedPlan(300);
  const anchor = new Date('2026-05-14T10:00:00Z');
  const plan = salesPlan(customers.map((c) => c.body.ownerId), anchor);

  it('is deterministic for an anchor, with a deal on a third of the customers, owned by their owner', () => {
    expect(salesPlan(customers.map((c) => c.body.ownerId), anchor)).toEqual(plan);
    expect(plan.period).toBe('2026-Q2');
    expect(plan.deals).toHaveLength(100);
    for (const deal of plan.deals) expect(deal.ownerId).toBe(customers[deal.customerIndex]!.body.ownerId);
    const byOutcome = (o: string) => plan.deals.filter((d) => d.outcome === o).length;
    expect(byOutcome('won')).toBeGreaterThan(10);
    expect(byOutcome('lost')).toBeGreaterThan(5);
    expect(plan.deals.filter((d) => d.quote).length).toBeGreaterThan(3);
    // Open deals close in the current or the next quarter; nothing is dated before the quarter.
    for (const deal of plan.deals) {
      expect(deal.expectedCloseDate >= '2026-04-01' && deal.expectedCloseDate <= '2026-09-30', deal.expectedCloseDate).toBe(true);
      if (deal.outcome === 'open') expect(deal.expectedCloseDate > '2026-05-14').toBe(true);
    }
    expect(new Set(plan.deals.filter((d) => d.outcome === 'open').map((d) => d.expectedCloseDate.slice(0, 7))).size).toBeGreaterThan(3);
  });

  it('is valid for the API, back-dates activities and never repeats a key', () => {
    for (const p of plan.products) expect(ProductCreate().safeParse(p.body).success, p.idempotencyKey).toBe(true);
    const cus = 'cus_01JAAAAAAAAAAAAAAAAAAAAAAA';
    for (const a of plan.activities) {
      expect(ActivityCreate().safeParse({ customerId: cus, ...a.body }).success, a.idempotencyKey).toBe(true);
      expect(Date.parse(a.body.occurredAt)).toBeLessThan(anchor.getTime());
    }
    for (const t of plan.tasks) expect(TaskCreate().safeParse({ ...t.body, assigneeId: t.assigneeId }).success, t.idempotencyKey).toBe(true);
    expect(new Set(plan.tasks.map((t) => t.assigneeId))).toEqual(new Set(SALES_REPS.map((r) => r.id)));
    const keysUsed = [...plan.products, ...plan.deals, ...plan.activities, ...plan.tasks].map((x) => x.idempotencyKey);
    expect(new Set(keysUsed).size).toBe(keysUsed.length);
    expect(plan.quotas.map((q) => q.period)).toEqual(SALES_REPS.map(() => '2026-Q2'));
  });
});

describe('seeding through the API', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startTestStack(); });
  afterAll(async () => { await stack?.stop(); });

  async function all(path: string, role: 'admin' | 'manager' = 'admin'): Promise<any[]> {
    let cursor: string | null = null;
    const items: any[] = [];
    do {
      const res = await stack.request('GET', `${path}${path.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { role });
      expect(res.status, path).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  /** Sums `count` over `items`, at most 8 reads at a time (as many as the seed itself sends). */
  async function sumOf<T>(items: readonly T[], count: (item: T) => Promise<number>): Promise<number> {
    let next = 0;
    let total = 0;
    await Promise.all(Array.from({ length: Math.min(8, items.length) }, async () => {
      while (next < items.length) {
        const n = await count(items[next++]!);
        total += n;
      }
    }));
    return total;
  }

  /** Everything the seed creates, counted through the API (reads only, so several at a time). */
  async function counts() {
    const customers = await all('/v1/customers');
    const deals = await all('/v1/deals');
    const orders = await sumOf(customers, async (c) => (await all(`/v1/customers/${c.id}/orders`)).length);
    const activities = await sumOf(customers, async (c) => (await all(`/v1/customers/${c.id}/timeline`)).filter((e) => e.kind === 'activity').length);
    const quotes = await sumOf(deals, async (d) => (await all(`/v1/deals/${d.id}/quotes`)).length);
    const tasks = await sumOf(SALES_REPS, async (rep) => (await all(`/v1/tasks?assigneeId=${rep.id}`, 'manager')).length);
    return {
      customers: customers.length,
      contacts: customers.reduce((sum: number, c: { contactCount: number }) => sum + c.contactCount, 0),
      products: (await all('/v1/products')).length,
      deals: deals.length,
      won: deals.filter((d) => d.status === 'won').length,
      lost: deals.filter((d) => d.status === 'lost').length,
      quotes,
      orders,
      activities,
      tasks,
    };
  }

  it('creates the plan once, marks completion, and a re-run creates nothing new', async () => {
    const tokenFor = (user: DemoUser) => stack.token(user.role, user.id);
    const options = { baseUrl: stack.baseUrl, adminToken: await stack.token('admin'), tokenFor, ddb: stack.ddb, tableName: stack.tableName, count: 15 };
    const planned = seedPlan(15);
    const plannedContacts = planned.reduce((sum, c) => sum + c.contacts.length, 0);
    const first = await seedIfNeeded(options);
    expect(first).toMatchObject({ skipped: false, customers: 15, contacts: plannedContacts });
    expect(first.sales).toMatchObject({ products: 6, deals: 5, won: 1, lost: 1, orders: 1, tasks: 12, quotas: SALES_REPS.length });
    expect(first.sales!.activities).toBeGreaterThanOrEqual(3);

    const after = await counts();
    expect(after).toMatchObject({ customers: 15, contacts: plannedContacts, products: 6, deals: 5, won: 1, lost: 1, quotes: 1, orders: 1, tasks: 12, activities: first.sales!.activities });
    const marker = await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.system.seed() }));
    expect(marker.Item).toMatchObject({ customers: 15, seedVersion: 'seed-v2', deals: 5, orders: 1 });
    expect(marker.Item!.state).toBeUndefined();
    const period = first.sales!.period;

    // The sales picture: forecast with closed-won and quotas, the board, the sales report, a customer with an order and a lifetime value.
    const forecast = await stack.request('GET', `/v1/forecast?period=${period}`, { role: 'manager' });
    expect(forecast.status).toBe(200);
    const closedWon = forecast.body.owners.flatMap((o: any) => o.totals).reduce((sum: number, t: any) => sum + t.closedWon, 0);
    expect(closedWon).toBeGreaterThan(0);
    expect(forecast.body.owners.filter((o: any) => o.quota).length).toBeGreaterThan(0);
    const pipelines = await all('/v1/pipelines');
    const board = await all(`/v1/pipelines/${pipelines.find((p) => p.isDefault).id}/deals`);
    expect(board).toHaveLength(3);
    const report = await stack.request('GET', `/v1/reports/sales?period=${period}`, { role: 'manager' });
    expect(report.status).toBe(200);
    expect(report.body.total).toMatchObject({ won: 1, lost: 1 });
    const won = (await all('/v1/deals?status=won'))[0];
    const orders = await all(`/v1/customers/${won.customerId}/orders`);
    expect(orders).toHaveLength(1);
    expect(orders[0].total.amount).toBeGreaterThan(0);
    const customer = await stack.request('GET', `/v1/customers/${won.customerId}`, { role: 'admin' });
    expect(customer.body.lifetimeValue?.[0]?.amount).toBeGreaterThan(0);
    const quotas = await all(`/v1/quotas?period=${period}`, 'manager');
    expect(quotas).toHaveLength(SALES_REPS.length);
    const plan = await stack.request('GET', '/v1/commissions/plans/demo-sales', { role: 'admin' });
    expect(plan.status).toBe(200);
    expect(plan.body.userIds).toHaveLength(SALES_REPS.length);
    const rep = SALES_REPS[0]!;
    const statement = await stack.request('GET', `/v1/commissions/statements?userId=${rep.id}&period=${period}`, { role: 'admin' });
    expect(statement.status).toBe(200);

    expect(await seedIfNeeded(options)).toMatchObject({ skipped: true });

    // Even without the marker (an interrupted first start), re-running replays instead of duplicating.
    await stack.ddb.send(new DeleteCommand({ TableName: stack.tableName, Key: keys.system.seed() }));
    await seed(options);
    expect(await counts()).toEqual(after);

    // A resumed first start (in-progress marker, days later): same anchor, look-ups, nothing new.
    await stack.ddb.send(new PutCommand({ TableName: stack.tableName, Item: { ...keys.system.seed(), kind: 'system', state: 'in_progress', anchor: marker.Item!.anchor } }));
    const resumed = await seedIfNeeded({ ...options, anchor: new Date(Date.now() + 3 * 86_400_000) });
    expect(resumed.sales).toMatchObject({ deals: 5, won: 1, lost: 1, orders: 1, tasks: 12, activities: first.sales!.activities });
    expect(await counts()).toEqual(after);
  }, 240_000);

  it('leaves a store seeded by an older version alone', async () => {
    await stack.ddb.send(new PutCommand({ TableName: stack.tableName, Item: { ...keys.system.seed(), kind: 'system', seedVersion: 'seed-v1', customers: 15 } }));
    const lines: Record<string, unknown>[] = [];
    const result = await seedIfNeeded({ baseUrl: stack.baseUrl, adminToken: await stack.token('admin'), ddb: stack.ddb, tableName: stack.tableName, count: 15, log: (e) => lines.push(e) });
    expect(result).toMatchObject({ skipped: true });
    expect(lines.some((l) => l.seedVersion === 'seed-v1')).toBe(true);
  });
});
