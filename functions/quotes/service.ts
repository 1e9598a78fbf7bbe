/**
 * Quote and order rules: row level follows the deal's owner (quotes) or the customer's owner
 * (orders); totals are computed here with the rounding rule of pricing.ts (docs/quotes.md); status
 * draft → sent → accepted / rejected, expired when validUntil has passed; a revision is a new
 * version and only the latest version can be changed, sent or accepted; accepting creates the
 * order and updates the customer's purchase summary in the same transaction.
 */
import { auditItem, diff } from '../audit/audit';
import { localDateOf, formatDate } from '../calendar/business-calendar';
import { config } from '../config';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { archivedFor } from '../customers/archived';
import { BadRequest, Conflict, NotFound, PreconditionFailed, Unprocessable } from '../http/problem';
import type { Action } from '../security/permissions';
import { assertAccess, NO_SUCH_ID, type Principal } from '../security/principal';
import { priceIn } from '../products/model';
import { getProducts } from '../products/repository';
import { type DealForQuote, getDealForQuote } from './deals';
import { effectiveStatus, type OrderItem, QUOTE_FIELDS, type QuoteItem, type StoredLine, toOrder, toQuote } from './model';
import { AmountTooLarge, priceLine, sumTotals, toQuantityMilli } from './pricing';
import * as repo from './repository';
import type { Infer } from '../../schemas/once';
import type { OrderListQuery, QuoteCreate, QuoteLineInput, QuoteListQuery, QuotePatch, QuoteReject, QuoteRevise } from '../../schemas/quotes';

export const DEFAULT_LIMIT = 25;
const MAX_ACCEPT_ATTEMPTS = 3;

export const today = (now: Date) => formatDate(localDateOf(now, config().businessTimeZone));

type LineInput = Infer<typeof QuoteLineInput>;

/**
 * Turns line input into stored lines: a product line copies the product's name, SKU, price in the
 * quote currency and tax rate at this moment (explicit description/unitPrice/taxRateBp override
 * them); inactive or unknown products and missing prices are 422.
 */
export async function resolveLines(input: readonly LineInput[], currency: string): Promise<Omit<StoredLine, 'amounts'>[]> {
  const productIds = input.flatMap((l) => (l.productId ? [l.productId] : []));
  const products = productIds.length ? await getProducts(productIds) : new Map();
  return input.map((l, i) => {
    const quantityMilli = toQuantityMilli(l.quantity);
    if (quantityMilli === undefined || quantityMilli <= 0) throw BadRequest('Some body fields are not valid', [{ path: `lines.${i}.quantity`, message: 'At most three decimal places' }]);
    const discountBp = l.discountBp ?? 0;
    if (!l.productId) {
      return { description: l.description!, unitPrice: l.unitPrice!, taxRateBp: l.taxRateBp!, quantityMilli, discountBp };
    }
    const product = products.get(l.productId);
    if (!product) throw Unprocessable(`Line ${i + 1}: no such product ${l.productId}`);
    if (!product.active) throw Unprocessable(`Line ${i + 1}: product ${product.sku} is inactive and cannot be added to a quote`);
    const unitPrice = l.unitPrice ?? priceIn(product, currency);
    if (unitPrice === undefined) throw Unprocessable(`Line ${i + 1}: product ${product.sku} has no price in ${currency}`);
    return {
      productId: product.id,
      sku: product.sku,
      description: l.description ?? product.name,
      unitPrice,
      taxRateBp: l.taxRateBp ?? product.taxRateBp,
      quantityMilli,
      discountBp,
    };
  });
}

/** Prices every line with the quote-level discount; totals are the sums of the rounded lines. */
export function price(lines: readonly Omit<StoredLine, 'amounts'>[], quoteDiscountBp: number): { lines: StoredLine[]; totals: QuoteItem['totals'] } {
  try {
    const priced = lines.map((l) => ({ ...l, amounts: priceLine(l, quoteDiscountBp) }));
    return { lines: priced, totals: sumTotals(priced.map((l) => l.amounts)) };
  } catch (err) {
    if (err instanceof AmountTooLarge) throw Unprocessable('The quote total exceeds the largest supported amount');
    throw err;
  }
}

const stripAmounts = (lines: readonly StoredLine[]) => lines.map(({ amounts: _a, ...l }) => l);

function quoteAudit(before: QuoteItem | undefined, after: QuoteItem, action: 'created' | 'updated' | 'sent' | 'accepted' | 'rejected' | 'revised', actor: Principal, now: Date) {
  const changes = diff(before, after, QUOTE_FIELDS, []);
  const item = auditItem({ customerId: after.customerId, entityType: 'quote', entityId: after.id, action, actor, at: now, version: after.version, changes });
  return { ...item, ...keys.quote.audit(after.id, item.at as string, item.id as string) };
}

async function loadDeal(principal: Principal, dealId: string, action: Action): Promise<DealForQuote> {
  const deal = await getDealForQuote(dealId);
  if (!deal) throw NotFound('No such deal');
  assertAccess(principal, action, deal.ownerId, 'deal');
  return deal;
}

/** The quote and its deal; a quote of a deal the caller may not see is a 404 (2 GetItems). */
async function loadQuote(principal: Principal, id: string, action: Action): Promise<{ quote: QuoteItem; deal: DealForQuote }> {
  const quote = await repo.getQuote(id);
  // The deal is read also for a missing quote (NO_SUCH_ID): both 404s cost the same.
  const deal = await getDealForQuote(quote?.dealId ?? NO_SUCH_ID);
  if (!quote || !deal) throw NotFound('No such quote');
  assertAccess(principal, action, deal.ownerId, 'quote');
  return { quote, deal };
}

function assertLatest(quote: QuoteItem) {
  if (quote.supersededBy) throw Conflict(`This version was revised; the latest version is ${quote.supersededBy}`);
}

export async function createQuote(principal: Principal, dealId: string, body: Infer<typeof QuoteCreate>, now: Date) {
  const deal = await loadDeal(principal, dealId, 'quotes:write');
  if (deal.status === 'lost') throw Conflict('The deal is lost; reopen it before quoting');
  if (!deal.customerId) throw Conflict('The deal has no customer');
  const currency = body.currency ?? deal.amount?.currency;
  if (!currency) throw BadRequest('Some body fields are not valid', [{ path: 'currency', message: 'The deal has no amount; give the quote currency' }]);
  const validUntil = body.validUntil;
  if (validUntil < today(now)) throw BadRequest('Some body fields are not valid', [{ path: 'validUntil', message: 'validUntil is in the past' }]);
  const discountBp = body.discountBp ?? 0;
  const priced = price(await resolveLines(body.lines, currency), discountBp);
  const at = now.toISOString();
  const id = newId('quo');
  const quote: QuoteItem = {
    id, dealId, customerId: deal.customerId, number: id, revision: 1, status: 'draft', currency, validUntil, discountBp,
    lines: priced.lines, totals: priced.totals, notes: body.notes,
    version: 1, createdAt: at, updatedAt: at, createdBy: principal.userId, updatedBy: principal.userId,
  };
  try {
    await repo.createQuote(quote, quoteAudit(undefined, quote, 'created', principal, now));
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('customer')) throw archivedFor(principal, quote.customerId, err.items.customer);
    throw err;
  }
  return toQuote(quote, deal.ownerId, today(now));
}

export async function listDealQuotes(principal: Principal, dealId: string, query: Infer<typeof QuoteListQuery>, now: Date) {
  const deal = await loadDeal(principal, dealId, 'quotes:read');
  const fingerprint = JSON.stringify(['deal-quotes', dealId]);
  const startKey = await decodeCursor(query.cursor, fingerprint);
  const page = await repo.queryDealQuotes(dealId, query.limit ?? DEFAULT_LIMIT, startKey);
  const day = today(now);
  return { items: page.items.map((q) => toQuote(q, deal.ownerId, day)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

export async function getQuote(principal: Principal, id: string, now: Date) {
  const { quote, deal } = await loadQuote(principal, id, 'quotes:read');
  return toQuote(quote, deal.ownerId, today(now));
}

/**
 * Writes a state change of the latest version; a lost race is 412 with If-Match, else 409. Changes
 * and sends need a live customer (checked in the transaction); a rejection does not.
 */
async function transition(principal: Principal, current: QuoteItem, next: QuoteItem, action: 'updated' | 'sent' | 'rejected', expectedVersion: number | undefined, now: Date) {
  try {
    await repo.saveQuote(current, next, quoteAudit(current, next, action, principal, now), action !== 'rejected');
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('customer')) throw archivedFor(principal, current.customerId, err.items.customer);
    if (err instanceof ConditionsFailed && err.labels.includes('quote')) {
      if (expectedVersion !== undefined) throw PreconditionFailed();
      throw Conflict('The quote was changed by someone else meanwhile; read it again');
    }
    throw err;
  }
}

const bump = (q: QuoteItem, principal: Principal, now: Date): Pick<QuoteItem, 'version' | 'updatedAt' | 'updatedBy'> => ({ version: q.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId });

export async function updateQuote(principal: Principal, id: string, patch: Infer<typeof QuotePatch>, expectedVersion: number | undefined, now: Date) {
  const { quote, deal } = await loadQuote(principal, id, 'quotes:write');
  if (expectedVersion !== undefined && expectedVersion !== quote.version) throw PreconditionFailed();
  assertLatest(quote);
  if (quote.status !== 'draft') throw Conflict(`Only draft quotes can be changed (this one is ${quote.status}); revise it instead`);
  const discountBp = patch.discountBp ?? quote.discountBp;
  const base = patch.lines ? await resolveLines(patch.lines, quote.currency) : stripAmounts(quote.lines);
  const priced = price(base, discountBp);
  const next: QuoteItem = {
    ...quote,
    validUntil: patch.validUntil ?? quote.validUntil,
    discountBp,
    lines: priced.lines,
    totals: priced.totals,
    ...bump(quote, principal, now),
  };
  if (patch.notes === null) delete next.notes;
  else if (patch.notes !== undefined) next.notes = patch.notes;
  if (next.validUntil < today(now)) throw BadRequest('Some body fields are not valid', [{ path: 'validUntil', message: 'validUntil is in the past' }]);
  await transition(principal, quote, next, 'updated', expectedVersion, now);
  return toQuote(next, deal.ownerId, today(now));
}

export async function sendQuote(principal: Principal, id: string, now: Date) {
  const { quote, deal } = await loadQuote(principal, id, 'quotes:write');
  assertLatest(quote);
  const status = effectiveStatus(quote, today(now));
  if (status === 'expired') throw Conflict(`The quote expired on ${quote.validUntil}; change validUntil or revise it`);
  if (status !== 'draft') throw Conflict(`Only draft quotes can be sent (this one is ${status})`);
  const next: QuoteItem = { ...quote, status: 'sent', sentAt: now.toISOString(), ...bump(quote, principal, now) };
  await transition(principal, quote, next, 'sent', undefined, now);
  return toQuote(next, deal.ownerId, today(now));
}

export async function rejectQuote(principal: Principal, id: string, body: Infer<typeof QuoteReject>, now: Date) {
  const { quote, deal } = await loadQuote(principal, id, 'quotes:write');
  assertLatest(quote);
  const status = effectiveStatus(quote, today(now));
  if (status !== 'sent') throw Conflict(`Only sent quotes can be rejected (this one is ${status})`);
  const next: QuoteItem = { ...quote, status: 'rejected', rejectedAt: now.toISOString(), ...bump(quote, principal, now) };
  if (body.reason) next.rejectionReason = body.reason;
  await transition(principal, quote, next, 'rejected', undefined, now);
  return toQuote(next, deal.ownerId, today(now));
}

/**
 * A new version (draft, revision + 1) copying the current one — lines keep their frozen prices —
 * with the given changes. The current version stays readable and unchanged except for its
 * `supersededBy` pointer; an accepted quote cannot be revised.
 */
export async function reviseQuote(principal: Principal, id: string, body: Infer<typeof QuoteRevise>, now: Date) {
  const { quote, deal } = await loadQuote(principal, id, 'quotes:write');
  assertLatest(quote);
  if (quote.status === 'accepted') throw Conflict('An accepted quote cannot be revised');
  const discountBp = body.discountBp ?? quote.discountBp;
  const base = body.lines ? await resolveLines(body.lines, quote.currency) : stripAmounts(quote.lines);
  const priced = price(base, discountBp);
  const at = now.toISOString();
  const validUntil = body.validUntil ?? quote.validUntil;
  if (validUntil < today(now)) throw BadRequest('Some body fields are not valid', [{ path: 'validUntil', message: 'validUntil is in the past; give a new one for the revision' }]);
  const next: QuoteItem = {
    id: newId('quo'), dealId: quote.dealId, customerId: quote.customerId, number: quote.number, revision: quote.revision + 1, previousId: quote.id,
    status: 'draft', currency: quote.currency, validUntil, discountBp, lines: priced.lines, totals: priced.totals,
    notes: body.notes === null ? undefined : (body.notes ?? quote.notes),
    version: 1, createdAt: at, updatedAt: at, createdBy: principal.userId, updatedBy: principal.userId,
  };
  if (next.notes === undefined) delete next.notes;
  try {
    await repo.reviseQuote(quote, next, quoteAudit(undefined, next, 'revised', principal, now));
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('customer')) throw archivedFor(principal, quote.customerId, err.items.customer);
    if (err instanceof ConditionsFailed && err.labels.includes('quote')) throw Conflict('The quote was revised or changed by someone else meanwhile; read it again');
    throw err;
  }
  return toQuote(next, deal.ownerId, today(now));
}

/**
 * Accepts the latest, sent, unexpired version: quote, order and the customer's purchase summary
 * in one transaction conditioned on the quote still being `sent`, so a repeated or concurrent
 * accept creates exactly one order (the loser gets 409). Requests: GetItem quote, BatchGet deal +
 * purchase summary, TransactWriteItems.
 */
export async function acceptQuote(principal: Principal, id: string, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const quote = await repo.getQuote(id);
    const { deal, purchases } = await repo.getDealAndPurchases(quote?.dealId ?? NO_SUCH_ID, quote?.customerId ?? NO_SUCH_ID);
    if (!quote || !deal) throw NotFound('No such quote');
    assertAccess(principal, 'quotes:write', deal.ownerId, 'quote');
    if (quote.status === 'accepted') throw Conflict(`The quote was already accepted (order ${quote.orderId})`);
    assertLatest(quote);
    const status = effectiveStatus(quote, today(now));
    if (status === 'expired') throw Conflict(`The quote expired on ${quote.validUntil}; it can no longer be accepted`);
    if (status !== 'sent') throw Conflict(`Only sent quotes can be accepted (this one is ${status})`);
    if (deal.status === 'lost') throw Conflict('The deal is lost; reopen it before accepting a quote');

    const at = now.toISOString();
    const order: OrderItem = {
      id: newId('ord'), customerId: quote.customerId, dealId: quote.dealId, quoteId: quote.id, currency: quote.currency,
      lines: quote.lines, totals: quote.totals, orderedAt: at, createdBy: principal.userId, version: 1,
    };
    const next: QuoteItem = { ...quote, status: 'accepted', acceptedAt: at, orderId: order.id, ...bump(quote, principal, now) };
    const orderAudit = auditItem({
      customerId: order.customerId, entityType: 'order', entityId: order.id, action: 'created', actor: principal, at: now, version: 1, timeline: true,
      changes: [{ field: 'total', to: { amount: order.totals.total, currency: order.currency } }, { field: 'quoteId', to: quote.id }],
    });
    try {
      await repo.acceptQuote({ before: quote, after: next, order, purchases, amount: order.totals.net, quoteAudit: quoteAudit(quote, next, 'accepted', principal, now), orderAudit });
      return toQuote(next, deal.ownerId, today(now));
    } catch (err) {
      if (isTransactionConflict(err) && attempt < MAX_ACCEPT_ATTEMPTS + 2) {
        // Cancelled because another transaction held one of our items (a concurrent order on the
        // same purchase summary): nothing was written; back off, re-read and try again.
        await new Promise((resolve) => setTimeout(resolve, 15 * 2 ** attempt + Math.random() * 20));
        continue;
      }
      if (!(err instanceof ConditionsFailed)) throw err;
      if (err.labels.includes('customer')) throw archivedFor(principal, quote.customerId, err.items.customer);
      if (err.labels.includes('quote')) {
        const latest = await repo.getQuote(id);
        if (latest?.status === 'accepted') throw Conflict(`The quote was already accepted (order ${latest.orderId})`);
        throw Conflict('The quote was changed by someone else meanwhile; read it again');
      }
      // Only the purchase summary moved under us (a concurrent order): read it again and retry.
      if (attempt >= MAX_ACCEPT_ATTEMPTS) throw Conflict('The customer\'s purchases are being updated right now; retry');
    }
  }
}

/** A transaction DynamoDB cancelled only because another transaction was changing the same items. */
function isTransactionConflict(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name === 'TransactionConflictException') return true;
  const reasons = e?.CancellationReasons ?? [];
  return e?.name === 'TransactionCanceledException' && reasons.some((r) => r.Code === 'TransactionConflict') && !reasons.some((r) => r.Code === 'ConditionalCheckFailed');
}

async function loadVisibleCustomer(principal: Principal, customerId: string) {
  const customer = await repo.getCustomerOwner(customerId);
  if (!customer) throw NotFound('No such customer');
  assertAccess(principal, 'orders:read', customer.ownerId, 'customer');
  return customer;
}

export async function listCustomerOrders(principal: Principal, customerId: string, query: Infer<typeof OrderListQuery>) {
  await loadVisibleCustomer(principal, customerId);
  const fingerprint = JSON.stringify(['customer-orders', customerId]);
  const startKey = await decodeCursor(query.cursor, fingerprint);
  const page = await repo.queryCustomerOrders(customerId, query.limit ?? DEFAULT_LIMIT, startKey);
  return { items: page.items.map(toOrder), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

export async function getOrder(principal: Principal, id: string) {
  const order = await repo.getOrder(id);
  const customer = await repo.getCustomerOwner(order?.customerId ?? NO_SUCH_ID);
  if (!order || !customer) throw NotFound('No such order');
  assertAccess(principal, 'orders:read', customer.ownerId, 'order');
  return toOrder(order);
}
