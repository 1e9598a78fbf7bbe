/**
 * Custom fields (docs/custom-fields.md): admins define typed fields per entity; records carry their
 * values in `custom`. The definitions are data, so the value check is built at run time from them
 * (functions/customfields/values.ts); these schemas describe the definitions themselves and the
 * `custom` map as it travels on records.
 */
import * as z from './zod';
import { once } from './once';
import { Id, MAX_AMOUNT_MINOR, RecordMeta, pageOf } from './common';
import { multilineText, text } from './text';

export const CUSTOM_FIELD_ENTITIES = ['customer', 'contact', 'lead', 'deal'] as const;
export const CUSTOM_FIELD_TYPES = ['text', 'number', 'money', 'date', 'boolean', 'select', 'multiselect'] as const;
/** Types whose values can be unique (one guard item per value). */
export const UNIQUE_TYPES = ['text', 'number', 'date'] as const;
export const MAX_FIELDS_PER_ENTITY = 50;
export const MAX_OPTIONS = 100;
/** Longest text value when a field sets no `maxLength`. */
export const DEFAULT_TEXT_MAX = 500;

/** A field key as it appears in `custom`: camelCase-ish, 1–40 characters, never reused after removal. */
export const FIELD_KEY_PATTERN = /^[a-z][A-Za-z0-9_]{0,39}$/;

const FieldKey = once(() => z.string().check(z.regex(FIELD_KEY_PATTERN, 'A field key is 1–40 letters, digits or "_", starting with a lower-case letter')));

const Option = once(() => z.strictObject({
  value: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$/, 'An option value is 1–60 letters, digits, spaces, ".", "-" or "_"')),
  label: z.optional(text(100)),
}));

const bounds = () => ({
  minLength: z.optional(z.int().check(z.minimum(0), z.maximum(5000))),
  maxLength: z.optional(z.int().check(z.minimum(1), z.maximum(5000))),
  min: z.optional(z.number().check(z.minimum(-MAX_AMOUNT_MINOR), z.maximum(MAX_AMOUNT_MINOR))),
  max: z.optional(z.number().check(z.minimum(-MAX_AMOUNT_MINOR), z.maximum(MAX_AMOUNT_MINOR))),
});

export const CustomFieldCreate = once(() => z.strictObject({
  entity: z.enum(CUSTOM_FIELD_ENTITIES),
  key: FieldKey(),
  label: text(100),
  description: z.optional(multilineText(500)),
  type: z.enum(CUSTOM_FIELD_TYPES),
  required: z.optional(z.boolean()),
  unique: z.optional(z.boolean().check(z.meta({ description: 'Only for text, number and date; set at creation only (existing values are not back-filled)' }))),
  ...bounds(),
  currency: z.optional(z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"'), z.meta({ description: 'money: the only currency accepted' }))),
  options: z.optional(z.array(Option()).check(z.minLength(1), z.maxLength(MAX_OPTIONS))),
}).check(z.meta({ id: 'CustomFieldCreate', description: 'A new custom field. `minLength`/`maxLength` apply to text, `min`/`max` to number and to money amounts (minor units), `options` to select and multiselect.' })));

export const CustomFieldPatch = once(() => z.strictObject({
  label: z.optional(text(100)),
  description: z.optional(z.nullable(multilineText(500))),
  required: z.optional(z.boolean()),
  ...{
    minLength: z.optional(z.nullable(z.int().check(z.minimum(0), z.maximum(5000)))),
    maxLength: z.optional(z.nullable(z.int().check(z.minimum(1), z.maximum(5000)))),
    min: z.optional(z.nullable(z.number().check(z.minimum(-MAX_AMOUNT_MINOR), z.maximum(MAX_AMOUNT_MINOR)))),
    max: z.optional(z.nullable(z.number().check(z.minimum(-MAX_AMOUNT_MINOR), z.maximum(MAX_AMOUNT_MINOR)))),
  },
  options: z.optional(z.array(Option()).check(z.minLength(1), z.maxLength(MAX_OPTIONS))),
}).check(
  z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
  z.meta({ id: 'CustomFieldPatch', description: 'Entity, key, type and unique never change. New rules apply to later writes; stored values stay.' }),
));

export const CustomField = once(() => z.object({
  id: Id('cfd'),
  entity: z.enum(CUSTOM_FIELD_ENTITIES),
  key: z.string(),
  label: z.string(),
  description: z.optional(z.string()),
  type: z.enum(CUSTOM_FIELD_TYPES),
  required: z.boolean(),
  unique: z.boolean(),
  minLength: z.optional(z.int()),
  maxLength: z.optional(z.int()),
  min: z.optional(z.number()),
  max: z.optional(z.number()),
  currency: z.optional(z.string()),
  options: z.optional(z.array(z.object({ value: z.string(), label: z.optional(z.string()) }))),
  ...RecordMeta(),
}).check(z.meta({ id: 'CustomField' })));

export const CustomFieldPage = once(() => pageOf(CustomField(), 'CustomFieldPage'));

export const CustomFieldListQuery = once(() => z.strictObject({
  entity: z.optional(z.enum(CUSTOM_FIELD_ENTITIES).check(z.meta({ description: 'Only the fields of this entity (the metadata of its `custom` values)' }))),
}));

/**
 * `custom` on a create or patch body: field key → value. The value's shape depends on the field's
 * type (text: string; number: number; money: `{amount, currency}`; date: `YYYY-MM-DD`; boolean;
 * select: an option value; multiselect: a list of option values); in a patch `null` clears it.
 * Checked against the definitions on write: an unknown key or a wrong value is a 400 naming
 * `custom.<key>`.
 */
export const CustomValuesInput = once(() => z.record(FieldKey(), z.unknown()).check(z.meta({
  description: 'Custom-field values by field key, checked against the definitions (`GET /v1/custom-fields?entity=`); null clears a value in PATCH.',
  'x-custom-fields': 'GET /v1/custom-fields?entity=<entity> lists the keys, types and rules',
})));

/** `custom` on a returned record: every stored value, also of fields removed since. */
export const CustomValues = once(() => z.record(z.string(), z.unknown()).check(z.meta({
  description: 'Custom-field values by field key (`GET /v1/custom-fields?entity=` describes them)',
  'x-custom-fields': 'GET /v1/custom-fields?entity=<entity>',
})));

