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

/**
 * Dates and timestamps clients send lie in 1900-01-01 … 2199-12-31 (docs/conventions.md, "Input
 * rules"): wide enough for a purchase date in the last century or a contract renewal decades ahead,
 * narrow enough that date arithmetic (reminders, anniversaries, periods) can never leave the range a
 * JavaScript Date holds.
 */
export const DATE_RANGE = { min: '1900-01-01', max: '2199-12-31' } as const;
const inDateRange = (value: string) => value.slice(0, 10) >= DATE_RANGE.min && value.slice(0, 10) <= DATE_RANGE.max;
const outOfRange = `Expected a date between ${DATE_RANGE.min} and ${DATE_RANGE.max}`;

export const Timestamp = once(() => z.iso.datetime({ offset: false }).check(
  z.refine(inDateRange, outOfRange),
  z.meta({ description: `ISO-8601 UTC timestamp (${DATE_RANGE.min.slice(0, 4)}–${DATE_RANGE.max.slice(0, 4)})` }),
));

/** A calendar date (no time, no zone): `2026-11-23`. Impossible dates (30 Feb) and dates outside DATE_RANGE are rejected. */
export const CalendarDate = once(() => z.iso.date().check(
  z.refine(inDateRange, outOfRange),
  z.meta({ description: `Calendar date YYYY-MM-DD (${DATE_RANGE.min.slice(0, 4)}–${DATE_RANGE.max.slice(0, 4)})` }),
));

export const Country = once(() => z.string().check(z.regex(/^[A-Z]{2}$/, 'Expected an ISO 3166-1 alpha-2 country code, e.g. "DE"')));

/** Money: integer minor units plus ISO 4217 currency. */
export const Money = once(() => z
  .strictObject({
    amount: z.int(),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"')),
  })
  .check(z.meta({ id: 'Money', description: 'Integer minor units (cents) and an ISO 4217 currency.' })));

/**
 * The largest money amount a client may send: 10^12 minor units (10 billion in a two-decimal
 * currency). Sums over thousands of such amounts (forecasts, lifetime value) stay exact integers.
 */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

/**
 * Money as clients send it: never negative (a deal, quota or price has no meaning below zero) and
 * at most MAX_AMOUNT_MINOR. Responses use `Money`, whose figures are computed by the server.
 */
export const MoneyInput = once(() => z
  .strictObject({
    amount: z.int().check(z.minimum(0), z.maximum(MAX_AMOUNT_MINOR), z.meta({ description: `Integer minor units, 0–${MAX_AMOUNT_MINOR}` })),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"')),
  })
  .check(z.meta({ id: 'MoneyInput', description: 'Integer minor units (cents), 0 or more, and an ISO 4217 currency.' })));

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
export const IdParam = <const Name extends string = 'id'>(prefix: string, name: Name = 'id' as Name) =>
  // A computed key widens to `{ [x: string]: … }`; the assertion names the one key it builds, so a
  // route's handler sees `params.id: string` (functions/api/route-def.ts, "Types from the row").
  once(() => ({ [name]: Id(prefix) }) as Record<Name, ReturnType<typeof Id>>);

/** Server-maintained fields on every record. */
export const RecordMeta = once(() => ({
  version: z.int().check(z.meta({ description: 'Increments on every change; send as If-Match to update safely' })),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
  createdBy: z.string(),
  updatedBy: z.string(),
}));

export const Empty = once(() => z.object({}));
