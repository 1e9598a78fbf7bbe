/**
 * An archived customer takes no new business: every write that depends on it (contacts,
 * activities, assets, tasks, deals, quotes, quote acceptance, lead conversion into it) answers 409
 * saying it is archived and how to restore it — to callers who may read the customer. Everyone
 * else gets the answer they get for a customer they cannot see. The rule holds in the write's own
 * transaction: writes prepared from a read that still saw the customer live are refused when they
 * commit after the archive (repository calls with that stale read, against DynamoDB Local).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getContact } from '../../functions/customers/repository';
import { auditItem } from '../../functions/audit/audit';
import { keys, newId } from '../../functions/data/keys';
import { ConditionsFailed } from '../../functions/data/transaction';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';
import { createCustomer, inDays } from './sales-fixtures';

// Many requests per test, some 20 at once: generous limits so a loaded machine only makes it slower.
vi.setConfig({ testTimeout: 300_000 });

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;
let seq = 0;
const uniq = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

const newCustomer = (ownerId = rep1): Promise<string> => createCustomer(crm, ownerId);

async function archive(customerId: string) {
  const res = await crm.request('DELETE', `/v1/customers/${customerId}`, { role: 'admin' });
  expect(res.status).toBe(200);
  expect(res.body.archivedAt).toBeTruthy();
}

const LINE = { description: 'Service', unitPrice: 10_000, taxRateBp: 1900, quantity: 1 };

/** A deal with a sent quote on a live customer (owned by rep1). */
async function dealWithSentQuote(customerId: string) {
  const deal = await crm.request('POST', '/v1/deals', { role: 'sales', userId: rep1, body: { name: 'Deal', customerId, amount: { amount: 10_000, currency: 'EUR' } } });
  expect(deal.status, JSON.stringify(deal.body)).toBe(201);
  const quote = await crm.request('POST', `/v1/deals/${deal.body.id}/quotes`, { role: 'sales', userId: rep1, body: { validUntil: inDays(14), lines: [LINE] } });
  expect(quote.status, JSON.stringify(quote.body)).toBe(201);
  const sent = await crm.request('POST', `/v1/quotes/${quote.body.id}/send`, { role: 'sales', userId: rep1, body: {} });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  return { dealId: deal.body.id as string, quoteId: quote.body.id as string };
}

function expectArchived(res: { status: number; body: any }, customerId: string, what: string) {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(409);
  expect(res.body.detail, what).toBe(`Customer ${customerId} is archived; restore it with POST /v1/customers/${customerId}/restore`);
}

describe('writes that depend on an archived customer', () => {
  it('answer 409 "archived, restore it with …" for contacts, activities, assets, tasks, deals and lead conversion', async () => {
    const customerId = await newCustomer();
    const live = await crm.request('POST', `/v1/customers/${customerId}/contacts`, { role: 'sales', userId: rep1, body: { lastName: 'Before' } });
    expect(live.status).toBe(201);
    const taskBefore = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: rep1, body: { title: 'Call' } });
    expect(taskBefore.status).toBe(201);
    await archive(customerId);
    const as = { role: 'sales' as const, userId: rep1 };
    expectArchived(await crm.request('POST', `/v1/customers/${customerId}/contacts`, { ...as, body: { lastName: 'After' } }), customerId, 'contact');
    expectArchived(await crm.request('POST', '/v1/activities', { ...as, body: { customerId, type: 'note', content: 'x', occurredAt: new Date().toISOString() } }), customerId, 'activity');
    expectArchived(await crm.request('POST', `/v1/customers/${customerId}/assets`, { ...as, body: { productName: 'Washer', category: 'washer', purchaseDate: inDays(-10) } }), customerId, 'asset');
    expectArchived(await crm.request('POST', '/v1/tasks', { ...as, body: { title: 'Call back', customerId } }), customerId, 'task customerId');
    expectArchived(await crm.request('POST', '/v1/tasks', { ...as, body: { title: 'Call back', related: { type: 'customer', id: customerId } } }), customerId, 'task related');
    expectArchived(await crm.request('PATCH', `/v1/tasks/${taskBefore.body.id}`, { ...as, body: { customerId } }), customerId, 'task moved onto it');
    expectArchived(await crm.request('POST', '/v1/deals', { ...as, body: { name: 'D', customerId, amount: { amount: 1, currency: 'EUR' } } }), customerId, 'deal');
    const lead = await crm.request('POST', '/v1/leads', { ...as, body: { lastName: `L${uniq()}` } });
    expectArchived(await crm.request('POST', `/v1/leads/${lead.body.id}/convert`, { ...as, body: { customerId } }), customerId, 'lead conversion');
    // Closing out still works: an existing contact can be removed, and the customer restored.
    expect((await crm.request('DELETE', `/v1/contacts/${live.body.id}`, as)).status).toBe(204);
    expect((await crm.request('POST', `/v1/customers/${customerId}/restore`, { role: 'admin', body: {} })).status).toBe(200);
    expect((await crm.request('POST', `/v1/customers/${customerId}/contacts`, { ...as, body: { lastName: 'Restored' } })).status).toBe(201);
  });

  it('quotes: no new quote, send, revision or acceptance — no order, lifetime value unchanged; rejecting still works', async () => {
    const customerId = await newCustomer();
    const { dealId, quoteId } = await dealWithSentQuote(customerId);
    const draft = await crm.request('POST', `/v1/deals/${dealId}/quotes`, { role: 'sales', userId: rep1, body: { validUntil: inDays(14), lines: [LINE] } });
    expect(draft.status).toBe(201);
    await archive(customerId);
    const as = { role: 'sales' as const, userId: rep1 };
    expectArchived(await crm.request('POST', `/v1/deals/${dealId}/quotes`, { ...as, body: { validUntil: inDays(14), lines: [LINE] } }), customerId, 'new quote');
    expectArchived(await crm.request('POST', `/v1/quotes/${draft.body.id}/send`, { ...as, body: {} }), customerId, 'send');
    expectArchived(await crm.request('PATCH', `/v1/quotes/${draft.body.id}`, { ...as, body: { discountBp: 100 } }), customerId, 'change draft');
    expectArchived(await crm.request('POST', `/v1/quotes/${quoteId}/revise`, { ...as, body: {} }), customerId, 'revise');
    expectArchived(await crm.request('POST', `/v1/quotes/${quoteId}/accept`, { ...as, body: {} }), customerId, 'accept');
    const orders = await crm.request('GET', `/v1/customers/${customerId}/orders`, { role: 'admin' });
    expect(orders.body.items).toEqual([]);
    const customer = await crm.request('GET', `/v1/customers/${customerId}`, { role: 'admin' });
    expect(customer.body.lifetimeValue).toBeUndefined();
    expect((await crm.request('GET', `/v1/quotes/${quoteId}`, as)).body.status).toBe('sent');
    expect((await crm.request('POST', `/v1/quotes/${quoteId}/reject`, { ...as, body: { reason: 'Customer left' } })).status).toBe(200);
  });

  it('callers who may not read the customer learn nothing about its archive', async () => {
    const customerId = await newCustomer(rep1);
    await archive(customerId);
    const other = { role: 'sales' as const, userId: rep2 };
    const task = await crm.request('POST', '/v1/tasks', { ...other, body: { title: 'Snoop', customerId } });
    expect(task.status).toBe(400);
    expect(task.text).not.toMatch(/archived/i);
    const contact = await crm.request('POST', `/v1/customers/${customerId}/contacts`, { ...other, body: { lastName: 'Snoop' } });
    expect(contact.status).toBe(404);
    expect(contact.text).not.toMatch(/archived/i);
    const activity = await crm.request('POST', '/v1/activities', { ...other, body: { customerId, type: 'note', content: 'x', occurredAt: new Date().toISOString() } });
    expect(activity.status).toBe(404);
    expect(activity.text).not.toMatch(/archived/i);
  });

  it('a rep quoting on their own deal of someone else\'s archived customer gets 409 without the reason', async () => {
    const customerId = await newCustomer(rep2);
    const deal = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Shared', customerId, ownerId: rep1, amount: { amount: 10_000, currency: 'EUR' } } });
    expect(deal.status, JSON.stringify(deal.body)).toBe(201);
    await archive(customerId);
    const res = await crm.request('POST', `/v1/deals/${deal.body.id}/quotes`, { role: 'sales', userId: rep1, body: { validUntil: inDays(14), lines: [LINE] } });
    expect(res.status).toBe(409);
    expect(res.text).not.toMatch(/archived|restore/i);
    expectArchived(await crm.request('POST', `/v1/deals/${deal.body.id}/quotes`, { role: 'manager', body: { validUntil: inDays(14), lines: [LINE] } }), customerId, 'manager');
  });
});

describe('the rule holds in the transaction, not only in the read before it', () => {
  /** Archives a customer underneath a write that has already read it live. */
  const archiveBehind = (customerId: string) => crm.ddb.send(new UpdateCommand({
    TableName: crm.tableName, Key: keys.customer.primary(customerId), UpdateExpression: 'SET archivedAt = :at', ExpressionAttributeValues: { ':at': new Date().toISOString() },
  }));

  const audit = (customerId: string, entityType: 'contact' | 'quote' | 'order', entityId: string) =>
    auditItem({ customerId, entityType, entityId, action: 'created', actor: { userId: 'stale-writer', role: 'admin', groups: [] }, at: new Date(), version: 1, changes: [] });

  it('a contact prepared from a live read is refused when the customer was archived meanwhile', async () => {
    const { createContact, getCustomer } = await import('../../functions/customers/repository');
    const customerId = await newCustomer();
    const asRead = (await getCustomer(customerId))!;
    await archiveBehind(customerId);
    const at = new Date().toISOString();
    const contact = { id: newId('con'), customerId, ownerId: asRead.ownerId, lastName: 'Stale', isPrimary: false, version: 1, createdAt: at, updatedAt: at, createdBy: 't', updatedBy: 't' };
    const err = await createContact(asRead, contact, audit(customerId, 'contact', contact.id), 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionsFailed);
    expect((err as ConditionsFailed).labels).toContain('customer');
    expect(await getContact(contact.id)).toBeUndefined();
  });

  it('a quote acceptance prepared from a live read creates no order when the customer was archived meanwhile', async () => {
    const repo = await import('../../functions/quotes/repository');
    const customerId = await newCustomer();
    const { quoteId } = await dealWithSentQuote(customerId);
    const before = (await repo.getQuote(quoteId))!;
    await archiveBehind(customerId);
    const at = new Date().toISOString();
    const order = { id: newId('ord'), customerId, dealId: before.dealId, quoteId, currency: before.currency, lines: before.lines, totals: before.totals, orderedAt: at, createdBy: 't', version: 1 };
    const err = await repo.acceptQuote({
      before, after: { ...before, status: 'accepted', version: before.version + 1 }, order, purchases: undefined, amount: before.totals.net,
      quoteAudit: audit(customerId, 'quote', quoteId), orderAudit: audit(customerId, 'order', order.id),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionsFailed);
    expect((err as ConditionsFailed).labels).toContain('customer');
    const purchases = await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.customer.purchases(customerId), ConsistentRead: true }));
    expect(purchases.Item).toBeUndefined();
    expect((await repo.getQuote(quoteId))!.status).toBe('sent');
  });

  it('a task attached to a customer read live is refused when the customer was archived meanwhile', async () => {
    const { saveTask, getTaskWithReminders } = await import('../../functions/tasks/repository');
    const customerId = await newCustomer();
    await archiveBehind(customerId);
    const at = new Date().toISOString();
    const task = { id: newId('tsk'), title: 'Stale', status: 'open' as const, priority: 'normal' as const, assigneeId: rep1, customerId, reminders: [], nextReminderNo: 1, version: 1, createdAt: at, updatedAt: at, createdBy: rep1, updatedBy: rep1 };
    const err = await saveTask({ after: task, reminders: { put: [], remove: [] }, audit: audit(customerId, 'contact', task.id), liveCustomers: [customerId] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionsFailed);
    expect((err as ConditionsFailed).labels).toContain(`customer:${customerId}`);
    expect(await getTaskWithReminders(task.id)).toBeUndefined();
  });
});
