/**
 * DynamoDB access for quotes and orders. Every change is one labelled transaction with its audit
 * entry; accepting a quote writes the quote, the order and the customer's purchase summary in
 * the same transaction (labels `quote`, `order`, `purchases`, `customer`). Every write that takes
 * business forward (create, change, send, revise, accept) also checks the customer is live.
 */
import { withoutKeys } from '../data/records';
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { Transaction } from '../data/transaction';
import { LIVE_CUSTOMER } from '../customers/archived';
import { type DealForQuote, toDealForQuote } from './deals';
import type { OrderItem, QuoteItem } from './model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

function strip<T>(item: Stored | undefined): T | undefined {
  return item ? withoutKeys<T>(item) : undefined;
}

const quoteStored = (q: QuoteItem): Stored => ({ ...keys.quote.primary(q.id), ...keys.quote.byDeal(q.dealId, q.id), kind: 'quote', ...q });
const orderStored = (o: OrderItem): Stored => ({ ...keys.order.primary(o.id), ...keys.order.byCustomer(o.customerId, o.orderedAt, o.id), kind: 'order', ...o });

export async function getQuote(id: string): Promise<QuoteItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.quote.primary(id), ConsistentRead: true }));
  return strip<QuoteItem>(out.Item);
}

export async function getOrder(id: string): Promise<OrderItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.order.primary(id), ConsistentRead: true }));
  return strip<OrderItem>(out.Item);
}

/** The customer's owner (row level of orders) and archive state: one GetItem of the profile. */
export async function getCustomerOwner(customerId: string): Promise<{ ownerId: string; archivedAt?: string } | undefined> {
  const out = await ddb().send(new GetCommand({
    TableName: table(),
    Key: keys.customer.primary(customerId),
    ConsistentRead: true,
    ProjectionExpression: 'ownerId, archivedAt',
  }));
  return out.Item ? { ownerId: out.Item.ownerId as string, archivedAt: out.Item.archivedAt as string | undefined } : undefined;
}

export interface PurchaseSummary {
  lifetimeValue?: Record<string, number>;
  lastPurchaseAt?: string;
}

/** The deal and the customer's purchase summary in one BatchGet (accept reads nothing else). */
export async function getDealAndPurchases(dealId: string, customerId: string): Promise<{ deal?: DealForQuote; purchases?: PurchaseSummary }> {
  const dealKey = keys.deal.primary(dealId);
  const purchasesKey = keys.customer.purchases(customerId);
  let pending: Stored[] = [dealKey, purchasesKey];
  const found: Stored[] = [];
  for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
    const out = await ddb().send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: pending, ConsistentRead: true } } }));
    found.push(...(out.Responses?.[table()] ?? []));
    pending = (out.UnprocessedKeys?.[table()]?.Keys as Stored[] | undefined) ?? [];
  }
  if (pending.length > 0) throw Object.assign(new Error('BatchGet left keys unprocessed'), { name: 'ThrottlingException' });
  const deal = found.find((i) => i.pk === dealKey.pk && i.sk === dealKey.sk);
  const purchases = found.find((i) => i.pk === purchasesKey.pk && i.sk === purchasesKey.sk);
  return {
    deal: toDealForQuote(deal),
    purchases: purchases ? { lifetimeValue: purchases.lifetimeValue as Record<string, number> | undefined, lastPurchaseAt: purchases.lastPurchaseAt as string | undefined } : undefined,
  };
}

/** A new quote: its customer must be live at commit (label `customer`). */
export async function createQuote(quote: QuoteItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  tx.put('quote', quoteStored(quote), { expression: 'attribute_not_exists(pk)' });
  tx.check('customer', keys.customer.primary(quote.customerId), LIVE_CUSTOMER);
  tx.put('audit', audit);
  await tx.commit();
}

/**
 * Replaces the latest version of a quote in a given status (label `quote`). With `requireLiveCustomer`
 * (changing or sending — business going forward) the customer must be live at commit (label
 * `customer`); rejecting closes a quote out and needs no live customer.
 */
export async function saveQuote(before: QuoteItem, after: QuoteItem, audit: Stored, requireLiveCustomer = false): Promise<void> {
  const tx = new Transaction();
  if (requireLiveCustomer) tx.check('customer', keys.customer.primary(after.customerId), LIVE_CUSTOMER);
  tx.put('quote', quoteStored(after), {
    expression: 'version = :v AND #status = :status AND attribute_not_exists(supersededBy)',
    names: { '#status': 'status' },
    values: { ':v': before.version, ':status': before.status },
  });
  tx.put('audit', audit);
  await tx.commit();
}

/**
 * A revision: the new version is a new item; the old one only gains its `supersededBy` pointer,
 * on condition that nobody revised or accepted it meanwhile (label `quote`).
 */
export async function reviseQuote(current: QuoteItem, next: QuoteItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  tx.update('quote', keys.quote.primary(current.id), { expression: 'SET supersededBy = :next', values: { ':next': next.id } }, {
    expression: 'version = :v AND attribute_not_exists(supersededBy) AND #status <> :accepted',
    names: { '#status': 'status' },
    values: { ':v': current.version, ':accepted': 'accepted' },
  });
  tx.put('revision', quoteStored(next), { expression: 'attribute_not_exists(pk)' });
  tx.check('customer', keys.customer.primary(next.customerId), LIVE_CUSTOMER);
  tx.put('audit', audit);
  await tx.commit();
}

/**
 * Accept: quote sent → accepted (only the latest version, only once), the order, and the
 * customer's purchase summary — one transaction. `lifetimeValue.<currency>` is incremented
 * atomically; when the map does not exist yet it is created, on condition that it still does not
 * (a concurrent first purchase makes one of the two retry). `lastPurchaseAt` only moves forward.
 */
export async function acceptQuote(input: {
  before: QuoteItem;
  after: QuoteItem;
  order: OrderItem;
  purchases: PurchaseSummary | undefined;
  amount: number;
  quoteAudit: Stored;
  orderAudit: Stored;
}): Promise<void> {
  const { before, after, order, purchases, amount } = input;
  const tx = new Transaction();
  tx.put('quote', quoteStored(after), {
    expression: 'version = :v AND #status = :sent AND attribute_not_exists(supersededBy)',
    names: { '#status': 'status' },
    values: { ':v': before.version, ':sent': 'sent' },
  });
  tx.put('order', orderStored(order), { expression: 'attribute_not_exists(pk)' });
  tx.check('customer', keys.customer.primary(order.customerId), LIVE_CUSTOMER);

  const at = order.orderedAt;
  const forward = purchases?.lastPurchaseAt === undefined || purchases.lastPurchaseAt < at;
  const sets: string[] = ['kind = :kind', 'customerId = :cid'];
  const values: Record<string, unknown> = { ':kind': 'customer-purchases', ':cid': order.customerId, ':one': 1 };
  const names: Record<string, string> = {};
  const conditions: string[] = [];
  if (purchases?.lifetimeValue) {
    names['#cur'] = order.currency;
    sets.push('lifetimeValue.#cur = if_not_exists(lifetimeValue.#cur, :zero) + :amount');
    values[':zero'] = 0;
    values[':amount'] = amount;
    conditions.push('attribute_exists(lifetimeValue)');
  } else {
    sets.push('lifetimeValue = :ltv');
    values[':ltv'] = { [order.currency]: amount };
    conditions.push('attribute_not_exists(lifetimeValue)');
  }
  if (forward) {
    sets.push('lastPurchaseAt = :at');
    values[':at'] = at;
    conditions.push('(attribute_not_exists(lastPurchaseAt) OR lastPurchaseAt < :at)');
  }
  tx.update('purchases', keys.customer.purchases(order.customerId), {
    expression: `SET ${sets.join(', ')} ADD orderCount :one`,
    names,
    values,
  }, { expression: conditions.join(' AND ') });
  tx.put('audit:quote', input.quoteAudit);
  tx.put('audit:order', input.orderAudit);
  await tx.commit();
}

export async function queryDealQuotes(dealId: string, limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.quote.dealPartition(dealId) },
    ScanIndexForward: false,
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => strip<QuoteItem>(i)!), lastKey: out.LastEvaluatedKey };
}

export async function queryCustomerOrders(customerId: string, limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.order.customerPartition(customerId) },
    ScanIndexForward: false,
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => strip<OrderItem>(i)!), lastKey: out.LastEvaluatedKey };
}
