import * as z from './zod';
import { once } from './once';

/** RFC 9457 problem details, as every error response carries. */
export const Problem = once(() => z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.optional(z.string()),
    instance: z.optional(z.string()),
    requestId: z.optional(z.string()),
    errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
    existingId: z.optional(z.string()),
  })
  .check(z.meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json).' })));

export const Timestamp = once(() => z.iso.datetime({ offset: false }).check(z.meta({ description: 'ISO-8601 UTC timestamp' })));

export const Country = once(() => z.string().check(z.regex(/^[A-Z]{2}$/, 'Expected an ISO 3166-1 alpha-2 country code, e.g. "DE"')));

/** Money: integer minor units plus ISO 4217 currency. */
export const Money = once(() => z
  .strictObject({
    amount: z.int(),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"')),
  })
  .check(z.meta({ id: 'Money', description: 'Integer minor units (cents) and an ISO 4217 currency.' })));

/** Query parameters every list accepts. */
export const PageQuery = once(() => ({
  limit: z.optional(
    z.pipe(
      z.coerce.number(),
      z.int().check(z.minimum(1), z.maximum(100), z.meta({ description: 'Page size, 1–100 (default 25)' })),
    ),
  ),
  cursor: z.optional(z.string().check(z.maxLength(2048), z.meta({ description: 'Opaque signed cursor from nextCursor' }))),
}));

export function pageOf<T extends z.ZodMiniType>(item: T, id: string) {
  return z
    .object({ items: z.array(item), nextCursor: z.nullable(z.string()) })
    .check(z.meta({ id, description: 'One page; pass nextCursor as cursor for the next (null at the end).' }));
}

export const Id = (prefix: string) =>
  z.string().check(z.regex(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`), `Expected an id like ${prefix}_01J…`));

/** Path parameters `{ [name]: Id(prefix) }`, as a factory for a route row's `params`. */
export const IdParam = (prefix: string, name = 'id') => once(() => ({ [name]: Id(prefix) }));

/** Server-maintained fields on every record. */
export const RecordMeta = once(() => ({
  version: z.int().check(z.meta({ description: 'Increments on every change; send as If-Match to update safely' })),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
  createdBy: z.string(),
  updatedBy: z.string(),
}));

export const Empty = once(() => z.object({}));
