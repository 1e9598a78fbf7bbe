import * as z from './zod';
import { once } from './once';
import { Country, Id, Money, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { SOURCES } from './shared';
import { multilineText, text, textProblem } from './text';
import { CustomValues, CustomValuesInput } from './customfields';

export const CUSTOMER_TYPES = ['company', 'person'] as const;
export const TIERS = ['A', 'B', 'C', 'D'] as const;
export const LIFECYCLE_STAGES = ['lead', 'prospect', 'opportunity', 'customer', 'churned'] as const;
export { SOURCES } from './shared';

const Phone = once(() => z
  .string()
  .check(
    z.trim(),
    z.regex(/^\+?[0-9 ()./-]{5,30}$/, 'Expected a phone number such as +49 30 1234567'),
    z.meta({ description: 'Personal data: masked for roles without the personal-data permission' }),
  ));
const Email = once(() => z.email().check(z.maxLength(254), z.meta({ description: 'Personal data: masked for roles without the personal-data permission' })));

export const Address = once(() => z
  .strictObject({
    line1: text(200),
    line2: z.optional(text(200)),
    city: text(100),
    region: z.optional(text(100)),
    postalCode: z.optional(text(20)),
    country: Country(),
  })
  .check(z.meta({ id: 'Address', description: 'Personal data: masked (all but city and country) for roles without the personal-data permission' })));

const Tag = once(() => z
  .string()
  .check(z.normalize('NFC'), z.trim(), z.toLowerCase(), z.regex(/^[\p{L}\p{N}][\p{L}\p{N} _-]{0,39}$/u, 'Tags are 1–40 letters, digits, spaces, "-" or "_"')));

/** Fields a client may set on a customer. `null` clears an optional field in PATCH. */
const customerFields = once(() => ({
  type: z.enum(CUSTOMER_TYPES),
  name: text(200),
  industry: text(100),
  tier: z.enum(TIERS),
  lifecycleStage: z.enum(LIFECYCLE_STAGES),
  source: z.enum(SOURCES),
  tags: z.array(Tag()).check(z.maxLength(20)),
  ownerId: text(128),
  phone: Phone(),
  email: Email(),
  address: Address(),
  website: z.url({ protocol: /^https?$/ }).check(z.maxLength(500), z.refine((s) => textProblem(s) === undefined, 'A web address must not contain control characters, white space breaks or bidi controls')),
  taxId: text(50).check(z.meta({ description: 'Tax or identity number. Personal data: masked without the personal-data permission' })),
}));

export const CustomerCreate = once(() => z
  .strictObject({
    type: customerFields().type,
    name: customerFields().name,
    industry: z.optional(customerFields().industry),
    tier: z.optional(customerFields().tier),
    lifecycleStage: z.optional(customerFields().lifecycleStage),
    source: z.optional(customerFields().source),
    tags: z.optional(customerFields().tags),
    ownerId: z.optional(customerFields().ownerId),
    phone: z.optional(customerFields().phone),
    email: z.optional(customerFields().email),
    address: z.optional(customerFields().address),
    website: z.optional(customerFields().website),
    taxId: z.optional(customerFields().taxId),
    custom: z.optional(CustomValuesInput()),
  })
  .check(z.meta({ id: 'CustomerCreate' })));

export const CustomerPatch = once(() => z
  .strictObject({
    type: z.optional(customerFields().type),
    name: z.optional(customerFields().name),
    industry: z.optional(z.nullable(customerFields().industry)),
    tier: z.optional(z.nullable(customerFields().tier)),
    lifecycleStage: z.optional(z.nullable(customerFields().lifecycleStage)),
    source: z.optional(z.nullable(customerFields().source)),
    tags: z.optional(customerFields().tags),
    ownerId: z.optional(customerFields().ownerId),
    phone: z.optional(z.nullable(customerFields().phone)),
    email: z.optional(z.nullable(customerFields().email)),
    address: z.optional(z.nullable(customerFields().address)),
    website: z.optional(z.nullable(customerFields().website)),
    taxId: z.optional(z.nullable(customerFields().taxId)),
    custom: z.optional(CustomValuesInput()),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'CustomerPatch', description: 'Fields to change; null clears an optional field.' }),
  ));

export const Customer = once(() => z
  .object({
    id: Id('cus'),
    type: customerFields().type,
    name: z.string(),
    industry: z.optional(z.string()),
    tier: z.optional(customerFields().tier),
    lifecycleStage: z.optional(customerFields().lifecycleStage),
    source: z.optional(customerFields().source),
    tags: z.array(z.string()),
    ownerId: z.string(),
    phone: z.optional(z.string()),
    email: z.optional(z.string()),
    address: z.optional(z.object({ line1: z.optional(z.string()), line2: z.optional(z.string()), city: z.optional(z.string()), region: z.optional(z.string()), postalCode: z.optional(z.string()), country: z.optional(z.string()) })),
    website: z.optional(z.string()),
    taxId: z.optional(z.string()),
    contactCount: z.int(),
    lastActivityAt: z.optional(Timestamp().check(z.meta({ description: 'Last communication (notes excluded)' }))),
    lastPurchaseAt: z.optional(Timestamp().check(z.meta({ description: 'Time of the last order' }))),
    lifetimeValue: z.optional(z.array(Money()).check(z.meta({ description: 'Sum of all orders, per currency (integer minor units)' }))),
    archivedAt: z.optional(Timestamp()),
    custom: z.optional(CustomValues()),
    mergedInto: z.optional(Id('cus').check(z.meta({ description: 'Set when this customer was merged into another as a duplicate: the survivor, which now holds its records (docs/custom-fields.md, "Merging duplicates")' }))),
    masked: z.optional(z.array(z.string()).check(z.meta({ description: 'Names of fields masked for the caller' }))),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Customer' })));

export const CustomerPage = once(() => pageOf(Customer(), 'CustomerPage'));

export const CustomerListQuery = once(() => z.strictObject({
  ...PageQuery(),
  ownerId: z.optional(text(128)),
  tier: z.optional(z.enum(TIERS)),
  lifecycleStage: z.optional(z.enum(LIFECYCLE_STAGES)),
  tag: z.optional(Tag()),
  q: z.optional(text(100).check(z.meta({ description: 'Name prefix; case- and accent-insensitive' }))),
  archived: z.optional(z.enum(['true', 'false']).check(z.meta({ description: 'true lists archived customers instead of live ones' }))),
}));

export const ContactCreate = once(() => z
  .strictObject({
    firstName: z.optional(text(100)),
    lastName: text(100),
    jobTitle: z.optional(text(100)),
    email: z.optional(Email()),
    phone: z.optional(Phone()),
    mobile: z.optional(Phone()),
    isPrimary: z.optional(z.boolean()),
    notes: z.optional(multilineText(2000)),
    custom: z.optional(CustomValuesInput()),
  })
  .check(z.meta({ id: 'ContactCreate' })));

export const ContactPatch = once(() => z
  .strictObject({
    firstName: z.optional(z.nullable(text(100))),
    lastName: z.optional(text(100)),
    jobTitle: z.optional(z.nullable(text(100))),
    email: z.optional(z.nullable(Email())),
    phone: z.optional(z.nullable(Phone())),
    mobile: z.optional(z.nullable(Phone())),
    isPrimary: z.optional(z.boolean()),
    notes: z.optional(z.nullable(multilineText(2000))),
    custom: z.optional(CustomValuesInput()),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'ContactPatch' }),
  ));

export const Contact = once(() => z
  .object({
    id: Id('con'),
    customerId: Id('cus'),
    firstName: z.optional(z.string()),
    lastName: z.string(),
    jobTitle: z.optional(z.string()),
    email: z.optional(z.string()),
    phone: z.optional(z.string()),
    mobile: z.optional(z.string()),
    isPrimary: z.boolean(),
    notes: z.optional(z.string()),
    custom: z.optional(CustomValues()),
    masked: z.optional(z.array(z.string())),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Contact' })));

export const ContactPage = once(() => pageOf(Contact(), 'ContactPage'));

export const HistoryEntry = once(() => z
  .object({
    id: z.string(),
    at: Timestamp(),
    actor: z.string(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    changes: z.array(
      z.object({
        field: z.string(),
        from: z.optional(z.unknown()),
        to: z.optional(z.unknown()),
        redacted: z.optional(z.boolean().check(z.meta({ description: 'Sensitive field: values are not stored in clear' }))),
      }),
    ),
  })
  .check(z.meta({ id: 'HistoryEntry' })));

export const HistoryPage = once(() => pageOf(HistoryEntry(), 'HistoryPage'));

export const ListQuery = once(() => z.strictObject({ ...PageQuery() }));
