import * as z from './zod';
import { once } from './once';
import { CalendarDate, Id, PageQuery, RecordMeta, pageOf } from './common';
import { Category } from './shared';
import { multilineText, text } from './text';

/** A calendar date (no time, no zone): `2026-11-23`. Impossible dates (30 Feb) and dates outside 1900–2199 are rejected. */
export const LocalDateText = CalendarDate;

export { Category } from './shared';

const fields = once(() => ({
  productName: text(200),
  category: Category(),
  serialNumber: text(100),
  purchaseDate: LocalDateText(),
  warrantyEndsOn: LocalDateText().check(z.meta({ description: 'Last day of the warranty; on or after purchaseDate' })),
  notes: multilineText(2000),
}));

export const AssetCreate = once(() => z
  .strictObject({
    productName: fields().productName,
    category: fields().category,
    serialNumber: z.optional(fields().serialNumber),
    purchaseDate: fields().purchaseDate,
    warrantyEndsOn: z.optional(fields().warrantyEndsOn),
    notes: z.optional(fields().notes),
  })
  .check(z.meta({ id: 'AssetCreate' })));

export const AssetPatch = once(() => z
  .strictObject({
    productName: z.optional(fields().productName),
    category: z.optional(fields().category),
    serialNumber: z.optional(z.nullable(fields().serialNumber)),
    purchaseDate: z.optional(fields().purchaseDate),
    warrantyEndsOn: z.optional(z.nullable(fields().warrantyEndsOn)),
    notes: z.optional(z.nullable(fields().notes)),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'AssetPatch', description: 'Fields to change; null clears an optional field. The customer cannot change.' }),
  ));

export const Asset = once(() => z
  .object({
    id: Id('ast'),
    customerId: Id('cus'),
    productName: z.string(),
    category: z.string(),
    serialNumber: z.optional(z.string()),
    purchaseDate: LocalDateText(),
    warrantyEndsOn: z.optional(LocalDateText()),
    notes: z.optional(z.string()),
    nextServiceOn: z.optional(LocalDateText().check(z.meta({ description: 'Next service anniversary under the current service rules (absent: no rule for the category)' }))),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Asset' })));

export const AssetPage = once(() => pageOf(Asset(), 'AssetPage'));

export const AssetListQuery = once(() => z.strictObject({ ...PageQuery() }));
