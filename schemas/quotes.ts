import * as z from './zod';
import { once } from './once';
import { CalendarDate, Id, Money, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { BasisPoints } from './shared';
import { multilineText, text } from './text';

const Currency = once(() => z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"')));
const LocalDate = CalendarDate;

export const QUOTE_STATUSES = ['draft', 'sent', 'accepted', 'rejected', 'expired'] as const;
export const MAX_QUOTE_LINES = 100;

/** Decimal with at most three places (kept as integer thousandths), more than 0, at most 100000. */
export const Quantity = once(() => z.number().check(
  z.gt(0),
  z.maximum(100_000),
  z.refine((q) => Math.abs(Math.round(q * 1000) - q * 1000) < 1e-6, 'At most three decimal places'),
  z.meta({ description: 'Quantity; decimals allowed up to three places (0.125)' }),
));

export const QuoteLineInput = once(() => z
  .strictObject({
    productId: z.optional(Id('prd').check(z.meta({ description: 'A product: its name, price in the quote currency and tax rate are copied' }))),
    description: z.optional(text(500).check(z.meta({ description: 'Free-text line (required without productId; overrides the product name with one)' }))),
    unitPrice: z.optional(z.int().check(z.minimum(0), z.maximum(10_000_000_000), z.meta({ description: 'Minor units in the quote currency (free-text lines; overrides the product price)' }))),
    taxRateBp: z.optional(BasisPoints()),
    quantity: Quantity(),
    discountBp: z.optional(BasisPoints()),
  })
  .check(
    z.refine((l) => l.productId !== undefined || (l.description !== undefined && l.unitPrice !== undefined && l.taxRateBp !== undefined), 'A line needs productId, or description, unitPrice and taxRateBp'),
    z.meta({ id: 'QuoteLineInput' }),
  ));

const Lines = once(() => z.array(QuoteLineInput()).check(z.minLength(1, 'Give at least one line'), z.maxLength(MAX_QUOTE_LINES)));

export const QuoteCreate = once(() => z
  .strictObject({
    currency: z.optional(Currency().check(z.meta({ description: 'Defaults to the deal amount\'s currency' }))),
    validUntil: LocalDate().check(z.meta({ description: 'Last day the quote can be accepted (business time zone)' })),
    discountBp: z.optional(BasisPoints().check(z.meta({ description: 'Quote-level discount, applied to every line after its own discount' }))),
    lines: Lines(),
    notes: z.optional(multilineText(2000)),
  })
  .check(z.meta({ id: 'QuoteCreate' })));

export const QuotePatch = once(() => z
  .strictObject({
    validUntil: z.optional(LocalDate()),
    discountBp: z.optional(BasisPoints()),
    lines: z.optional(Lines()),
    notes: z.optional(z.nullable(multilineText(2000))),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'QuotePatch', description: 'Draft quotes only; lines replace all lines.' }),
  ));

export const QuoteRevise = once(() => z
  .strictObject({
    validUntil: z.optional(LocalDate()),
    discountBp: z.optional(BasisPoints()),
    lines: z.optional(Lines()),
    notes: z.optional(z.nullable(multilineText(2000))),
  })
  .check(z.meta({ id: 'QuoteRevise', description: 'Changes for the new version; omitted fields are copied from the current one.' })));

export const QuoteReject = once(() => z.strictObject({ reason: z.optional(multilineText(500)) }).check(z.meta({ id: 'QuoteReject' })));

const Amounts = once(() => ({
  subtotal: z.int().check(z.meta({ description: 'Before discounts (minor units)' })),
  discount: z.int(),
  net: z.int(),
  tax: z.int(),
  total: z.int(),
}));

export const QuoteLine = once(() => z
  .object({
    productId: z.optional(z.string()),
    sku: z.optional(z.string()),
    description: z.string(),
    unitPrice: z.int(),
    quantity: z.number(),
    discountBp: z.int(),
    taxRateBp: z.int(),
    ...Amounts(),
  })
  .check(z.meta({ id: 'QuoteLine' })));

export const QuoteTotals = once(() => z.object(Amounts()).check(z.meta({ id: 'QuoteTotals', description: 'Sums of the rounded line figures (minor units)' })));

export const Quote = once(() => z
  .object({
    id: Id('quo'),
    dealId: z.string(),
    customerId: z.optional(z.string()),
    ownerId: z.string(),
    number: z.string().check(z.meta({ description: 'Id of the first version: shared by every revision' })),
    revision: z.int(),
    previousId: z.optional(z.string()),
    supersededBy: z.optional(z.string().check(z.meta({ description: 'Newer version; this one can no longer be sent or accepted' }))),
    latest: z.boolean(),
    status: z.enum(QUOTE_STATUSES),
    currency: z.string(),
    validUntil: LocalDate(),
    discountBp: z.int(),
    lines: z.array(QuoteLine()),
    totals: QuoteTotals(),
    notes: z.optional(z.string()),
    sentAt: z.optional(Timestamp()),
    acceptedAt: z.optional(Timestamp()),
    rejectedAt: z.optional(Timestamp()),
    rejectionReason: z.optional(z.string()),
    orderId: z.optional(z.string()),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Quote' })));

export const QuotePage = once(() => pageOf(Quote(), 'QuotePage'));
export const QuoteListQuery = once(() => z.strictObject({ ...PageQuery() }));

export const Order = once(() => z
  .object({
    id: Id('ord'),
    customerId: z.string(),
    dealId: z.string(),
    quoteId: z.string(),
    currency: z.string(),
    lines: z.array(QuoteLine()),
    totals: QuoteTotals(),
    total: Money(),
    orderedAt: Timestamp(),
    createdBy: z.string(),
    version: z.int(),
  })
  .check(z.meta({ id: 'Order' })));

export const OrderPage = once(() => pageOf(Order(), 'OrderPage'));
export const OrderListQuery = once(() => z.strictObject({ ...PageQuery() }));
