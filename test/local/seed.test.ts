import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/data/keys';
import { CustomerCreate, ContactCreate } from '../../schemas/customers';
import { SALES_REPS } from '../../local/demo-users';
import { seed, seedIfNeeded, seedPlan } from '../../local/seed';
import { startTestStack, type TestStack } from '../support/stack';

describe('seed plan', () => {
  const plan = seedPlan(300);

  it('is deterministic', () => {
    expect(seedPlan(300)).toEqual(plan);
  });

  it('is valid for the API and spread across owners, tiers, stages and markets', () => {
    for (const customer of plan) {
      expect(CustomerCreate.safeParse(customer.body).success, customer.idempotencyKey).toBe(true);
      expect(customer.contacts.length).toBeGreaterThanOrEqual(1);
      expect(customer.contacts.length).toBeLessThanOrEqual(3);
      for (const contact of customer.contacts) expect(ContactCreate.safeParse(contact.body).success, contact.idempotencyKey).toBe(true);
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

describe('seeding through the API', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startTestStack(); });
  afterAll(async () => { await stack?.stop(); });

  async function countCustomers(): Promise<{ customers: number; contacts: number }> {
    let cursor: string | null = null;
    let customers = 0;
    let contacts = 0;
    do {
      const res = await stack.request('GET', `/v1/customers?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { role: 'admin' });
      expect(res.status).toBe(200);
      customers += res.body.items.length;
      contacts += res.body.items.reduce((sum: number, c: { contactCount: number }) => sum + c.contactCount, 0);
      cursor = res.body.nextCursor;
    } while (cursor);
    return { customers, contacts };
  }

  it('creates the plan once, marks completion, and a re-run creates nothing new', async () => {
    const options = { baseUrl: stack.baseUrl, adminToken: await stack.token('admin'), ddb: stack.ddb, tableName: stack.tableName, count: 15 };
    const planned = seedPlan(15);
    const plannedContacts = planned.reduce((sum, c) => sum + c.contacts.length, 0);

    const first = await seedIfNeeded(options);
    expect(first).toEqual({ skipped: false, customers: 15, contacts: plannedContacts });
    expect(await countCustomers()).toEqual({ customers: 15, contacts: plannedContacts });
    const marker = await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.system.seed() }));
    expect(marker.Item).toMatchObject({ customers: 15 });

    expect(await seedIfNeeded(options)).toMatchObject({ skipped: true });

    // Even without the marker (an interrupted first start), re-running replays instead of duplicating.
    await stack.ddb.send(new DeleteCommand({ TableName: stack.tableName, Key: keys.system.seed() }));
    await seed(options);
    expect(await countCustomers()).toEqual({ customers: 15, contacts: plannedContacts });
  });
});
