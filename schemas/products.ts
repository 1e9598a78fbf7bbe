import * as z from './zod';
import { once } from './once';
import { Id, IdParam, Money, PageQuery, RecordMeta, pageOf } from './common';
import { BasisPoints } from './shared';
import { multilineText, text } from './text';

export const Sku = once(() => z.string().check(
  z.trim(),
  z.toUpperCase(),
  z.regex(/^[A-Z0-9][A-Z0-9._-]{0,63}$/, 'SKUs are 1–64 letters, digits, ".", "_" or "-"'),
  z.meta({ description: 'Stock keeping unit; unique, compared case-insensitively (stored upper-case)' }),
));

/** Basis points 0–10000: 1900 = 19 %. */
export { BasisPoints } from './shared';

/** Unit prices are non-negative and at most 10^10 minor units, so every total stays exact. */
export const UnitPrice = once(() => z.strictObject({
  amount: z.int().check(z.minimum(0), z.maximum(10_000_000_000)),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"')),
}));

const Prices = once(() => z.array(UnitPrice()).check(
  z.minLength(1, 'Give at least one price'),
  z.maxLength(20),
  z.refine((prices) => new Set(prices.map((p) => p.currency)).size === prices.length, 'One price per currency'),
  z.meta({ description: 'Unit price per currency (one entry per currency)' }),
));

export const ProductCreate = once(() => z
  .strictObject({
    sku: Sku(),
    name: text(200),
    description: z.optional(multilineText(2000)),
    prices: Prices(),
    taxRateBp: BasisPoints(),
    active: z.optional(z.boolean()),
  })
  .check(z.meta({ id: 'ProductCreate' })));

export const ProductPatch = once(() => z
  .strictObject({
    name: z.optional(text(200)),
    description: z.optional(z.nullable(multilineText(2000))),
    prices: z.optional(Prices()),
    taxRateBp: z.optional(BasisPoints()),
    active: z.optional(z.boolean()),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'ProductPatch', description: 'Fields to change; the SKU cannot change.' }),
  ));

export const Product = once(() => z
  .object({
    id: Id('prd'),
    sku: z.string(),
    name: z.string(),
    description: z.optional(z.string()),
    prices: z.array(Money()),
    taxRateBp: z.int(),
    active: z.boolean(),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Product' })));

/** Named `productId` (not `id`): products are shared by everyone, not owned records. */
export const ProductIdParam = IdParam('prd', 'productId');

export const ProductPage = once(() => pageOf(Product(), 'ProductPage'));

export const ProductListQuery = once(() => z.strictObject({
  ...PageQuery(),
  active: z.optional(z.enum(['true', 'false']).check(z.meta({ description: 'Only active (true) or inactive (false) products' }))),
  q: z.optional(text(100).check(z.meta({ description: 'Name prefix; case- and accent-insensitive' }))),
}));
