/**
 * "The one X" invariants under truly concurrent requests, and the rules an auditor relies on:
 * a customer has at most one primary contact and its `primaryContactId` names exactly that contact,
 * whatever mix of creates, updates, conversions and deletes races on it (20 requests in flight at
 * once against DynamoDB Local); closed deals are deleted only by admins, with their aggregates
 * reversed in the same transaction.
 *
 * The races are the point, so they all go through the API. The contacts a race starts from are
 * bulk-loaded (test/support/bulk-load.ts): the items the customers repository plans for a customer
 * created with its contacts, as lead conversion writes one, instead of one request per contact.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditItem } from '../../functions/audit/audit';
import type { ContactItem, CustomerItem } from '../../functions/customers/model';
import { addContactCreation, addCustomerWrites } from '../../functions/customers/repository';
import { keys, newId } from '../../functions/data/keys';
import { Transaction } from '../../functions/data/transaction';
import { DEMO_USERS, SALES_REPS } from '../../local/demo-users';
import { bulkPut, plannedPuts } from '../support/bulk-load';
import { startTestStack, type TestStack } from '../support/stack';
import { createCustomer } from './sales-fixtures';

// Many requests per test, some 20 at once: generous limits so a loaded machine only makes it slower.
vi.setConfig({ testTimeout: 300_000 });

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
let seq = 0;
const uniq = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

const newCustomer = (ownerId = rep1): Promise<string> => createCustomer(crm, ownerId);

async function addContact(customerId: string, body: Record<string, unknown> = {}) {
  const res = await crm.request('POST', `/v1/customers/${customerId}/contacts`, { role: 'admin', body: { lastName: `P${uniq()}`, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/**
 * A company customer of rep1 with one contact per last name, the first its primary contact — the
 * state adding them one by one through the API leaves (contact count, contacts summary, pointer) —
 * written as the customers repository plans a customer created with its contacts in one
 * transaction (customer, contacts summary, contacts, audit entries), bulk-loaded.
 */
async function customerWithContacts(lastNames: string[]): Promise<{ customerId: string; contacts: ContactItem[] }> {
  const admin = DEMO_USERS.find((u) => u.role === 'admin')!;
  const actor = { userId: admin.id, role: 'admin' as const, groups: [] };
  const now = new Date();
  const at = now.toISOString();
  const stamp = { version: 1, createdAt: at, updatedAt: at, createdBy: admin.id, updatedBy: admin.id };
  const customerId = newId('cus');
  const contacts: ContactItem[] = lastNames.map((lastName, i) => ({ id: newId('con'), customerId, ownerId: rep1, lastName, isPrimary: i === 0, ...stamp }));
  const customer: CustomerItem = {
    id: customerId, type: 'company', name: `Buyer ${uniq()}`, tags: [], ownerId: rep1, ...stamp,
    contactCount: contacts.length, contactIds: new Set(contacts.map((c) => c.id)), contactsRev: contacts.length, primaryContactId: contacts[0]?.id,
  };
  const tx = new Transaction();
  addCustomerWrites(tx, undefined, customer, auditItem({ customerId, entityType: 'customer', entityId: customerId, action: 'created', actor, at: now, version: 1, changes: [], timeline: true }));
  for (const contact of contacts) {
    addContactCreation(tx, customer, contact, auditItem({ customerId, entityType: 'contact', entityId: contact.id, action: 'created', actor, at: now, version: 1, changes: [], timeline: true }), 50, true);
  }
  await bulkPut(crm, plannedPuts(tx));
  return { customerId, contacts };
}

/** The contacts flagged primary and the customer's pointer, read straight from the table. */
async function primaryState(customerId: string) {
  const list = await crm.request('GET', `/v1/customers/${customerId}/contacts?limit=100`, { role: 'admin' });
  expect(list.status).toBe(200);
  const primaries = (list.body.items as { id: string; isPrimary: boolean }[]).filter((c) => c.isPrimary).map((c) => c.id);
  const stored = await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.customer.primary(customerId), ConsistentRead: true }));
  return { primaries, pointer: stored.Item?.primaryContactId as string | undefined, count: list.body.items.length as number };
}

/** At most one primary; the pointer names it (or is absent when there is none). */
async function expectOnePrimaryAtMost(customerId: string) {
  const state = await primaryState(customerId);
  expect(state.primaries.length, JSON.stringify(state)).toBeLessThanOrEqual(1);
  expect(state.pointer, JSON.stringify(state)).toBe(state.primaries[0]);
  return state;
}

const all = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

/**
 * Under contention a request may give up (409 "retry") or, on a heavily loaded machine, run out of
 * its time budget (503 "retry shortly"); neither may break the invariant, and nothing else is allowed.
 */
function expectOnly(results: { status: number; body: any }[], success: number) {
  const unexpected = results.filter((r) => ![success, 409, 503].includes(r.status));
  expect(unexpected.map((r) => [r.status, r.body?.detail]), 'unexpected answers').toEqual([]);
  const succeeded = results.filter((r) => r.status === success).length;
  expect(succeeded, 'at least one request succeeds').toBeGreaterThan(0);
  return succeeded;
}

describe('one primary contact per customer', () => {
  it('20 concurrent first contacts: exactly one becomes primary, and the pointer names it', async () => {
    const customerId = await newCustomer();
    const results = await all(20, (i) => crm.request('POST', `/v1/customers/${customerId}/contacts`, { role: 'admin', body: { lastName: `First${i}` } }));
    const created = expectOnly(results, 201);
    const state = await expectOnePrimaryAtMost(customerId);
    expect(state.count).toBeGreaterThanOrEqual(created);
    expect(state.primaries).toHaveLength(1);
  });

  it('20 concurrent creates that each ask to be primary: one primary remains', async () => {
    const customerId = await newCustomer();
    await addContact(customerId);
    const results = await all(20, (i) => crm.request('POST', `/v1/customers/${customerId}/contacts`, { role: 'admin', body: { lastName: `Boss${i}`, isPrimary: true } }));
    expectOnly(results, 201);
    const state = await expectOnePrimaryAtMost(customerId);
    expect(state.primaries).toHaveLength(1);
  });

  it('20 concurrent updates making different contacts primary: one primary remains', async () => {
    const { customerId, contacts } = await customerWithContacts(Array.from({ length: 20 }, (_, i) => `Cand${i}`));
    // The loaded state is the one the API leaves: the first contact is the primary one.
    expect((await expectOnePrimaryAtMost(customerId)).primaries).toEqual([contacts[0]!.id]);
    const results = await all(20, (i) => crm.request('PATCH', `/v1/contacts/${contacts[i]!.id}`, { role: 'admin', body: { isPrimary: true } }));
    expectOnly(results, 200);
    const state = await expectOnePrimaryAtMost(customerId);
    expect(state.primaries).toHaveLength(1);
  });

  it('unsetting primary clears the pointer; a later first-time default picks a new primary', async () => {
    const customerId = await newCustomer();
    const first = await addContact(customerId);
    expect(first.isPrimary).toBe(true);
    const unset = await crm.request('PATCH', `/v1/contacts/${first.id}`, { role: 'admin', body: { isPrimary: false } });
    expect(unset.status).toBe(200);
    expect((await expectOnePrimaryAtMost(customerId)).primaries).toEqual([]);
    const next = await addContact(customerId);
    expect(next.isPrimary).toBe(true);
    expect((await expectOnePrimaryAtMost(customerId)).primaries).toEqual([next.id]);
  });

  it('deleting the primary while others race to become primary keeps the invariant', async () => {
    const { customerId, contacts: [primary, ...others] } = await customerWithContacts([`P${uniq()}`, ...Array.from({ length: 10 }, (_, i) => `Other${i}`)]);
    expect((await expectOnePrimaryAtMost(customerId)).primaries).toEqual([primary!.id]);
    const results = await Promise.all([
      crm.request('DELETE', `/v1/contacts/${primary!.id}`, { role: 'admin' }),
      ...others.map((c) => crm.request('PATCH', `/v1/contacts/${c.id}`, { role: 'admin', body: { isPrimary: true } })),
      ...Array.from({ length: 9 }, (_, i) => crm.request('POST', `/v1/customers/${customerId}/contacts`, { role: 'admin', body: { lastName: `Late${i}` } })),
    ]);
    expect(results.filter((r) => r.status >= 500 && r.status !== 503).map((r) => [r.status, r.body?.detail])).toEqual([]);
    await expectOnePrimaryAtMost(customerId);
  });

  it('concurrent lead conversions into one customer leave one primary contact', async () => {
    const customerId = await newCustomer();
    // Separate leads share nothing: created side by side; only the conversions race.
    const leads = await all(8, async (i) => {
      const res = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: `Conv${i}${uniq()}`, ownerId: rep1, status: 'qualified' } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    });
    const results = await Promise.all(leads.map((id) => crm.request('POST', `/v1/leads/${id}/convert`, { role: 'admin', body: { customerId } })));
    expectOnly(results, 200);
    const state = await expectOnePrimaryAtMost(customerId);
    expect(state.primaries).toHaveLength(1);
  });
});

describe('closed deals are part of the record', () => {
  const period = '2029-03';

  async function wonDeal(ownerId: string, outcome: 'won' | 'lost' = 'won') {
    const customerId = await newCustomer(ownerId);
    const created = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Closed', customerId, ownerId, amount: { amount: 50_000, currency: 'EUR' }, expectedCloseDate: `${period}-10` } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const closed = await crm.request('POST', `/v1/deals/${created.body.id}/${outcome}`, { role: 'admin', body: outcome === 'lost' ? { reason: 'Budget' } : {} });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    return closed.body as { id: string; closedAt: string };
  }

  it('a sales rep or manager cannot delete a won or lost deal (403, nothing changes); an open one still goes', async () => {
    const ownerId = rep1;
    for (const outcome of ['won', 'lost'] as const) {
      const deal = await wonDeal(ownerId, outcome);
      const res = await crm.request('DELETE', `/v1/deals/${deal.id}`, { role: 'sales', userId: ownerId });
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body.detail).toMatch(new RegExp(`${outcome}.*admin`, 'i'));
      expect((await crm.request('GET', `/v1/deals/${deal.id}`, { role: 'sales', userId: ownerId })).status).toBe(200);
      const manager = await crm.request('DELETE', `/v1/deals/${deal.id}`, { role: 'manager' });
      expect(manager.status).toBe(403);
    }
    const customerId = await newCustomer(ownerId);
    const open = await crm.request('POST', '/v1/deals', { role: 'sales', userId: ownerId, body: { name: 'Open', customerId, amount: { amount: 1_000, currency: 'EUR' } } });
    expect(open.status).toBe(201);
    expect((await crm.request('DELETE', `/v1/deals/${open.body.id}`, { role: 'sales', userId: ownerId })).status).toBe(204);
  });

  it('an admin deletes a won deal: forecast and report lose exactly its contribution, and the deletion is audited', async () => {
    const ownerId = `closed-${uniq()}`;
    const deal = await wonDeal(ownerId);
    const month = deal.closedAt.slice(0, 7);
    const forecast = async () => (await crm.request('GET', `/v1/forecast?period=${month}&ownerId=${ownerId}`, { role: 'admin' })).body.rows as { closedWon: number; wonCount: number }[];
    const before = await forecast();
    expect(before.reduce((s, r) => s + r.closedWon, 0)).toBe(50_000);
    const wonInReport = async () => {
      const res = await crm.request('GET', `/v1/reports/sales?period=${month}&ownerId=${ownerId}`, { role: 'admin' });
      expect(res.status).toBe(200);
      return (res.body.rows as { won: number }[]).reduce((s, r) => s + r.won, 0);
    };
    expect(await wonInReport()).toBe(1);
    const res = await crm.request('DELETE', `/v1/deals/${deal.id}`, { role: 'admin' });
    expect(res.status).toBe(204);
    const after = await forecast();
    expect(after.reduce((s, r) => s + r.closedWon, 0)).toBe(0);
    expect(after.reduce((s, r) => s + r.wonCount, 0)).toBe(0);
    expect(await wonInReport()).toBe(0);
    const events = await crm.waitForEvents((e) => e.detail?.entityId === deal.id && e.detail?.type === 'deal.deleted', 1, 60_000);
    expect(events[0].detail.actorId).toBeTruthy();
  });
});

describe('lead conversion', () => {
  it('any open lead converts (conversion is the qualification decision); a disqualified one is 409 with the way back', async () => {
    const fresh = await crm.request('POST', '/v1/leads', { role: 'sales', userId: rep1, body: { lastName: `New${uniq()}` } });
    expect(fresh.body.status).toBe('new');
    const converted = await crm.request('POST', `/v1/leads/${fresh.body.id}/convert`, { role: 'sales', userId: rep1, body: {} });
    expect(converted.status, JSON.stringify(converted.body)).toBe(200);
    expect(converted.body.lead.status).toBe('converted');
    const dq = await crm.request('POST', '/v1/leads', { role: 'sales', userId: rep1, body: { lastName: `Dq${uniq()}`, status: 'disqualified', disqualifiedReason: 'Spam' } });
    const refused = await crm.request('POST', `/v1/leads/${dq.body.id}/convert`, { role: 'sales', userId: rep1, body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/qualified/);
  });
});

describe('conditions without values', () => {
  it('commits a guard like attribute_not_exists(primaryContactId) (no empty ExpressionAttributeValues sent)', async () => {
    // Found by the OpenAPI fuzz test: unsetting primary on a contact while the customer has no
    // pointer sent `ExpressionAttributeValues: {}`, which DynamoDB refuses (a 500).
    const customerId = await newCustomer();
    const tx = new Transaction().check('customer', keys.customer.primary(customerId), { expression: 'attribute_not_exists(primaryContactId)', values: {} });
    await expect(tx.commit()).resolves.toBeUndefined();
  });
});
