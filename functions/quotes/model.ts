/** Quotes and orders as stored and as returned. */
import { fromQuantityMilli, type LineAmounts, type QuoteTotals } from './pricing';

export type QuoteStatus = 'draft' | 'sent' | 'accepted' | 'rejected';

export interface StoredLine {
  productId?: string;
  sku?: string;
  description: string;
  unitPrice: number;
  quantityMilli: number;
  discountBp: number;
  taxRateBp: number;
  amounts: LineAmounts;
}

export interface QuoteItem {
  id: string;
  dealId: string;
  customerId: string;
  /** Id of the first version, shared by all revisions. */
  number: string;
  revision: number;
  previousId?: string;
  supersededBy?: string;
  status: QuoteStatus;
  currency: string;
  validUntil: string;
  discountBp: number;
  lines: StoredLine[];
  totals: QuoteTotals;
  notes?: string;
  sentAt?: string;
  acceptedAt?: string;
  rejectedAt?: string;
  rejectionReason?: string;
  orderId?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export interface OrderItem {
  id: string;
  customerId: string;
  dealId: string;
  quoteId: string;
  currency: string;
  lines: StoredLine[];
  totals: QuoteTotals;
  orderedAt: string;
  createdBy: string;
  version: number;
}

export const QUOTE_FIELDS = ['status', 'currency', 'validUntil', 'discountBp', 'lines', 'totals', 'notes', 'supersededBy', 'orderId', 'rejectionReason'] as const;

export function toLine(l: StoredLine) {
  return {
    productId: l.productId,
    sku: l.sku,
    description: l.description,
    unitPrice: l.unitPrice,
    quantity: fromQuantityMilli(l.quantityMilli),
    discountBp: l.discountBp,
    taxRateBp: l.taxRateBp,
    subtotal: l.amounts.gross,
    discount: l.amounts.discount,
    net: l.amounts.net,
    tax: l.amounts.tax,
    total: l.amounts.total,
  };
}

/**
 * A draft or sent quote whose validUntil day has passed (in the business time zone) reads as
 * `expired`; the stored status stays as it was, so nothing has to run at midnight.
 */
export function effectiveStatus(q: Pick<QuoteItem, 'status' | 'validUntil'>, today: string): QuoteStatus | 'expired' {
  if ((q.status === 'draft' || q.status === 'sent') && today > q.validUntil) return 'expired';
  return q.status;
}

export function toQuote(q: QuoteItem, ownerId: string, today: string) {
  return {
    id: q.id,
    dealId: q.dealId,
    customerId: q.customerId,
    ownerId,
    number: q.number,
    revision: q.revision,
    previousId: q.previousId,
    supersededBy: q.supersededBy,
    latest: q.supersededBy === undefined,
    status: effectiveStatus(q, today),
    currency: q.currency,
    validUntil: q.validUntil,
    discountBp: q.discountBp,
    lines: q.lines.map(toLine),
    totals: { subtotal: q.totals.subtotal, discount: q.totals.discount, net: q.totals.net, tax: q.totals.tax, total: q.totals.total },
    notes: q.notes,
    sentAt: q.sentAt,
    acceptedAt: q.acceptedAt,
    rejectedAt: q.rejectedAt,
    rejectionReason: q.rejectionReason,
    orderId: q.orderId,
    version: q.version,
    createdAt: q.createdAt,
    updatedAt: q.updatedAt,
    createdBy: q.createdBy,
    updatedBy: q.updatedBy,
  };
}

export function toOrder(o: OrderItem) {
  return {
    id: o.id,
    customerId: o.customerId,
    dealId: o.dealId,
    quoteId: o.quoteId,
    currency: o.currency,
    lines: o.lines.map(toLine),
    totals: o.totals,
    total: { amount: o.totals.total, currency: o.currency },
    orderedAt: o.orderedAt,
    createdBy: o.createdBy,
    version: o.version,
  };
}
