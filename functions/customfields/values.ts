/**
 * Custom-field values on records: the check of `custom` on a create or patch against the entity's
 * definitions, and the uniqueness guards of `unique` fields, added to the record's own transaction.
 * Used by the customers (customers, contacts), leads and deals features.
 *
 * Definitions are read with one eventually consistent GetItem per entity and kept per container for
 * DEFINITIONS_TTL_MS (docs/custom-fields.md, "Cost"): a write pays ½ RRU at most every 15 s per
 * container and entity instead of on every write. A value naming a key the cached copy does not know
 * re-reads once (strongly consistent) before answering 400, so a field is usable at once after its
 * creation; a rule tightened (required, bounds, options) applies within the TTL.
 */
import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import type { Transaction } from '../data/transaction';
import { BadRequest, Conflict, type FieldError, type HttpError } from '../http/problem';
import { DATE_RANGE } from '../../schemas/common';
import { DEFAULT_TEXT_MAX } from '../../schemas/customfields';
import { textProblem } from '../../schemas/text-rules';
import { type CustomFieldEntity, type CustomValues, type EntityDefinitions, type FieldDef, isCustomFieldEntity, liveByKey, storedFields } from './model';

export const DEFINITIONS_TTL_MS = 15_000;

const cache = new Map<CustomFieldEntity, { at: number; defs: EntityDefinitions }>();

/** Reads an entity's definitions from the table (no cache). */
export async function readDefinitions(entity: CustomFieldEntity, consistent: boolean): Promise<EntityDefinitions> {
  const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: keys.customFields.definitions(entity), ConsistentRead: consistent }));
  const item = out.Item;
  const defs: EntityDefinitions = item ? { entity, version: Number(item.version ?? 0), fields: storedFields(item.fields) } : { entity, version: 0, fields: {} };
  cache.set(entity, { at: Date.now(), defs });
  return defs;
}

/** The entity's definitions, cached per container for DEFINITIONS_TTL_MS. */
export async function definitionsOf(entity: CustomFieldEntity): Promise<EntityDefinitions> {
  const hit = cache.get(entity);
  if (hit && Date.now() - hit.at < DEFINITIONS_TTL_MS) return hit.defs;
  return readDefinitions(entity, false);
}

/** Forgets the cached copy (after this container changed the definitions). */
export function forgetDefinitions(entity: CustomFieldEntity): void {
  cache.delete(entity);
}

/**
 * The unique keys (key → true) of each `custom` object applyCustom returned: the guards are added
 * later, synchronously, inside the repository's transaction builder, from the object itself.
 */
const uniqueKeysOf = new WeakMap<object, ReadonlySet<string>>();

const isDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;

/** The stored form of one value, or the message of why it is not valid. */
function checkValue(def: FieldDef, value: unknown): { value: unknown } | { problem: string } {
  switch (def.type) {
    case 'text': {
      if (typeof value !== 'string') return { problem: 'Expected text' };
      const s = value.normalize('NFC').trim();
      const problem = textProblem(s);
      if (problem) return { problem };
      const length = [...s].length;
      if (length < Math.max(1, def.minLength ?? 1)) return { problem: `Expected at least ${Math.max(1, def.minLength ?? 1)} characters` };
      if (length > (def.maxLength ?? DEFAULT_TEXT_MAX)) return { problem: `Expected at most ${def.maxLength ?? DEFAULT_TEXT_MAX} characters` };
      return { value: s };
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { problem: 'Expected a number' };
      if (def.min !== undefined && value < def.min) return { problem: `Expected a number of at least ${def.min}` };
      if (def.max !== undefined && value > def.max) return { problem: `Expected a number of at most ${def.max}` };
      return { value };
    }
    case 'money': {
      const m = value;
      if (typeof m !== 'object' || m === null || Array.isArray(m) || !('amount' in m) || !('currency' in m) || Object.keys(m).some((k) => k !== 'amount' && k !== 'currency')) return { problem: 'Expected money: {"amount": <integer minor units>, "currency": "EUR"}' };
      if (typeof m.amount !== 'number' || !Number.isInteger(m.amount) || m.amount < 0 || m.amount > 1e12) return { problem: 'Expected an integer amount of minor units, 0–1000000000000' };
      if (typeof m.currency !== 'string' || !/^[A-Z]{3}$/.test(m.currency)) return { problem: 'Expected an ISO 4217 currency code, e.g. "EUR"' };
      if (def.currency && m.currency !== def.currency) return { problem: `Expected the currency ${def.currency}` };
      if (def.min !== undefined && m.amount < def.min) return { problem: `Expected an amount of at least ${def.min}` };
      if (def.max !== undefined && m.amount > def.max) return { problem: `Expected an amount of at most ${def.max}` };
      return { value: { amount: m.amount, currency: m.currency } };
    }
    case 'date':
      if (typeof value !== 'string' || !isDate(value)) return { problem: 'Expected a date YYYY-MM-DD' };
      if (value < DATE_RANGE.min || value > DATE_RANGE.max) return { problem: `Expected a date between ${DATE_RANGE.min} and ${DATE_RANGE.max}` };
      return { value };
    case 'boolean':
      return typeof value === 'boolean' ? { value } : { problem: 'Expected true or false' };
    case 'select':
      if (typeof value !== 'string' || !def.options?.some((o) => o.value === value)) return { problem: `Expected one of: ${(def.options ?? []).map((o) => o.value).join(', ')}` };
      return { value };
    case 'multiselect': {
      if (!Array.isArray(value)) return { problem: 'Expected a list of option values' };
      const allowed = new Set((def.options ?? []).map((o) => o.value));
      const bad = value.find((v) => typeof v !== 'string' || !allowed.has(v));
      if (bad !== undefined) return { problem: `Expected values among: ${[...allowed].join(', ')}` };
      return { value: [...new Set(value.filter((v): v is string => typeof v === 'string'))] };
    }
  }
}

/**
 * The record's `custom` after a create (`before` undefined) or patch: each sent value checked
 * against its live field (`null` clears, in a patch), required fields present after a create and
 * never cleared by a patch. Unknown keys, and values for removed fields, are a 400 naming
 * `custom.<key>`; values of removed fields already stored are kept. Returns `before` itself when
 * nothing was sent.
 */
export function applyCustom(defs: EntityDefinitions, before: CustomValues | undefined, input: Record<string, unknown> | null | undefined, creating: boolean): CustomValues | undefined {
  const fields = liveByKey(defs);
  const errors: FieldError[] = [];
  const next: CustomValues = { ...(before ?? {}) };
  for (const [key, value] of Object.entries(input ?? {})) {
    const def = fields.get(key);
    if (!def) {
      errors.push({ path: `custom.${key}`, message: `No custom field "${key}" is defined for ${defs.entity}s` });
      continue;
    }
    if (value === null) {
      if (creating) errors.push({ path: `custom.${key}`, message: 'Leave the field out instead of sending null' });
      else if (def.required) errors.push({ path: `custom.${key}`, message: 'This field is required and cannot be cleared' });
      else delete next[key];
      continue;
    }
    const checked = checkValue(def, value);
    if ('problem' in checked) errors.push({ path: `custom.${key}`, message: checked.problem });
    else if (def.type === 'multiselect' && Array.isArray(checked.value) && checked.value.length === 0) delete next[key];
    else next[key] = checked.value;
  }
  if (creating) {
    for (const def of fields.values()) {
      if (def.required && next[def.key] === undefined && !errors.some((e) => e.path === `custom.${def.key}`)) {
        errors.push({ path: `custom.${def.key}`, message: 'This field is required' });
      }
    }
  }
  if (errors.length) throw BadRequest('Some custom fields are not valid', errors);
  if (!input && before === undefined && !creating) return before;
  if (Object.keys(next).length === 0 && before === undefined) return undefined;
  uniqueKeysOf.set(next, uniqueKeys(defs));
  return next;
}

/**
 * The custom values a record of another entity brings along (a lead converted into a customer and
 * a contact): each stored value whose key is a live field of `defs` and that passes that field's
 * rules, in the form that field stores. Values with no such field, or that fail its rules (another
 * type, an option the target lacks), stay behind on the source record. Required fields of the
 * target are not enforced (a conversion is not a create form). Unique fields get their guards in the
 * target's transaction (addCustomGuards), so a value another record holds fails that transaction.
 */
export function carriedCustom(defs: EntityDefinitions, source: CustomValues | undefined): CustomValues | undefined {
  if (!source) return undefined;
  const fields = liveByKey(defs);
  const next: CustomValues = {};
  for (const [key, value] of Object.entries(source)) {
    const def = fields.get(key);
    if (!def) continue;
    const checked = checkValue(def, value);
    if ('value' in checked && !(Array.isArray(checked.value) && checked.value.length === 0)) next[key] = checked.value;
  }
  if (Object.keys(next).length === 0) return undefined;
  uniqueKeysOf.set(next, uniqueKeys(defs));
  return next;
}

/**
 * The 409 for a failed custom-field guard in a transaction that writes records of several entities
 * (a lead conversion): the entity is the one of the guard item that holds the value.
 */
export function customUniqueConflictOf(failed: { labels: readonly string[]; items: Record<string, Record<string, unknown> | undefined> }): HttpError | undefined {
  const label = failed.labels.find((l) => l.startsWith(CUSTOM_UNIQUE_LABEL) && !l.endsWith(':release'));
  if (!label) return undefined;
  const entity = failed.items[label]?.entity;
  return customUniqueConflict(isCustomFieldEntity(entity) ? entity : 'customer', failed.labels);
}

/**
 * The definitions to check `input` against: the cached ones, unless `input` names a key they do not
 * know — then one consistent re-read (a field created a moment ago in another container).
 */
export async function customDefinitionsFor(entity: CustomFieldEntity, input: Record<string, unknown> | null | undefined): Promise<EntityDefinitions> {
  const defs = await definitionsOf(entity);
  const known = liveByKey(defs);
  return Object.keys(input ?? {}).some((key) => !known.has(key)) ? readDefinitions(entity, true) : defs;
}

/** resolveCustom in one call: the definitions (customDefinitionsFor), then applyCustom. */
export async function resolveCustom(entity: CustomFieldEntity, before: CustomValues | undefined, input: Record<string, unknown> | null | undefined, creating: boolean): Promise<CustomValues | undefined> {
  if (!creating && (input === undefined || input === null)) return before;
  return applyCustom(await customDefinitionsFor(entity, input), before, input, creating);
}

/** Keys of the entity's unique fields, removed ones included (their stored values still hold guards). */
export function uniqueKeys(defs: EntityDefinitions): ReadonlySet<string> {
  return new Set(Object.values(defs.fields).filter((d) => d.unique).map((d) => d.key));
}

/** A unique value's guard key part: a hash of its normalised form (values may be personal data; keys stay short). */
export function uniqueValueKey(value: unknown): string | undefined {
  let normal: string;
  if (typeof value === 'string') normal = value.normalize('NFKC').trim().toLowerCase();
  else if (typeof value === 'number') normal = String(value);
  else return undefined;
  return createHash('sha256').update(normal).digest('base64url');
}

/** Label of a custom-field guard in a transaction: `custom-unique:<key>`. */
export const CUSTOM_UNIQUE_LABEL = 'custom-unique:';

/**
 * Adds the uniqueness guards of a record's `custom` change to its transaction: a value that
 * changed or went away releases its guard (only if this record holds it), a new value takes one
 * (`attribute_not_exists`, label `custom-unique:<key>`). Which fields are unique comes from the
 * `after` object applyCustom returned, or from `unique` (a delete has no `after`); removed fields
 * count, so their values are released as records change. Nothing is added for other fields.
 */
export function addCustomGuards(tx: Transaction, entity: CustomFieldEntity, recordId: string, before: CustomValues | undefined, after: CustomValues | undefined, unique?: ReadonlySet<string>): void {
  if (before === after) return;
  const uniques = unique ?? (after && uniqueKeysOf.get(after));
  if (!uniques || uniques.size === 0) return;
  for (const key of uniques) {
    const old = uniqueValueKey(before?.[key]);
    const now = uniqueValueKey(after?.[key]);
    if (old === now) continue;
    if (old) tx.delete(`${CUSTOM_UNIQUE_LABEL}${key}:release`, keys.customFields.unique(entity, key, old), { expression: 'attribute_not_exists(pk) OR recordId = :cfRecord', values: { ':cfRecord': recordId } });
    if (now) tx.put(`${CUSTOM_UNIQUE_LABEL}${key}`, { ...keys.customFields.unique(entity, key, now), kind: 'custom-field-unique', entity, recordId }, { expression: 'attribute_not_exists(pk)' });
  }
}

/** The 409 for a failed custom-field guard, or undefined when no such label failed. The holder is not named. */
export function customUniqueConflict(entity: CustomFieldEntity, labels: readonly string[]): HttpError | undefined {
  const label = labels.find((l) => l.startsWith(CUSTOM_UNIQUE_LABEL) && !l.endsWith(':release'));
  if (!label) return undefined;
  return Conflict(`Another ${entity} already has this value of the unique custom field "${label.slice(CUSTOM_UNIQUE_LABEL.length)}"`);
}
