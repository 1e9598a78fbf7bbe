/**
 * Custom-field definitions: define, change and remove typed fields per entity (admin), list them
 * (every staff role: the metadata of records' `custom` values). Rules that only make sense for some
 * types are refused for the others; a key is never reused within an entity, not even after its
 * field was removed, so stored values and their uniqueness guards never change meaning.
 */
import { auditItem, diff, NO_CUSTOMER } from '../audit/audit';
import { keys, newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { BadRequest, Conflict, type FieldError, NotFound, PreconditionFailed } from '../http/problem';
import type { Principal } from '../security/principal';
import { MAX_FIELDS_PER_ENTITY, UNIQUE_TYPES } from '../../schemas/customfields';
import type { CustomFieldCreate, CustomFieldListQuery, CustomFieldPatch } from '../../schemas/customfields';
import type { Infer } from '../../schemas/once';
import { type CustomFieldEntity, type EntityDefinitions, type FieldDef, toCustomField } from './model';
import * as repo from './repository';
import { forgetDefinitions, readDefinitions } from './values';

const MAX_ATTEMPTS = 3;
const FIELD_ATTRIBUTES = ['label', 'description', 'required', 'minLength', 'maxLength', 'min', 'max', 'options'] as const;

type Rules = Pick<FieldDef, 'type' | 'unique' | 'minLength' | 'maxLength' | 'min' | 'max' | 'currency' | 'options'>;

/** What a field's rules may hold for its type; each misfit is a 400 naming the attribute. */
export function ruleProblems(def: Rules): FieldError[] {
  const errors: FieldError[] = [];
  const only = (attr: keyof Rules, types: readonly string[], present: boolean) => {
    if (present && !types.includes(def.type)) errors.push({ path: attr, message: `Only for fields of type ${types.join(' or ')}` });
  };
  only('unique', UNIQUE_TYPES, def.unique);
  only('minLength', ['text'], def.minLength !== undefined);
  only('maxLength', ['text'], def.maxLength !== undefined);
  only('min', ['number', 'money'], def.min !== undefined);
  only('max', ['number', 'money'], def.max !== undefined);
  only('currency', ['money'], def.currency !== undefined);
  only('options', ['select', 'multiselect'], def.options !== undefined);
  if ((def.type === 'select' || def.type === 'multiselect') && !def.options?.length) errors.push({ path: 'options', message: 'A select field needs at least one option' });
  if (def.options && new Set(def.options.map((o) => o.value)).size !== def.options.length) errors.push({ path: 'options', message: 'Option values must be distinct' });
  if (def.min !== undefined && def.max !== undefined && def.min > def.max) errors.push({ path: 'min', message: 'min must not exceed max' });
  if (def.minLength !== undefined && def.maxLength !== undefined && def.minLength > def.maxLength) errors.push({ path: 'minLength', message: 'minLength must not exceed maxLength' });
  return errors;
}

function audit(principal: Principal, action: 'created' | 'updated' | 'deleted', before: FieldDef | undefined, after: FieldDef | undefined, now: Date) {
  const def = (after ?? before)!;
  const changes = diff(before, action === 'deleted' ? undefined : after, ['entity', 'key', 'type', 'unique', 'currency', ...FIELD_ATTRIBUTES], []);
  const base = auditItem({ customerId: NO_CUSTOMER, entityType: 'custom-field', entityId: def.id, action, actor: principal, at: now, version: action === 'deleted' ? def.version + 1 : def.version, changes });
  return { ...base, ...keys.customFields.audit(String(base.at), String(base.id)) };
}

/**
 * Read, change, write the entity's definitions under their version. `expected` is the field's
 * If-Match version (412 when stale); a lost race without it re-reads and re-applies.
 */
async function changeDefinitions(entity: CustomFieldEntity, change: (defs: EntityDefinitions) => { fields: Record<string, FieldDef>; audit: Record<string, unknown>; result: FieldDef | undefined }) {
  for (let attempt = 1; ; attempt++) {
    const defs = await readDefinitions(entity, true);
    const next = change(defs);
    // Nothing changed: no write, no audit entry.
    if (!('pk' in next.audit)) return next.result;
    try {
      await repo.saveDefinitions(defs, next.fields, next.audit);
      forgetDefinitions(entity);
      return next.result;
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.includes('definitions')) throw err;
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The custom fields are being changed by someone else right now; retry');
    }
  }
}

/** A PATCH's nullable rule: `null` removes it, a value sets it, absent leaves it. */
function setOrClear<K extends 'description' | 'minLength' | 'maxLength' | 'min' | 'max'>(def: FieldDef, key: K, value: FieldDef[K] | null | undefined): void {
  if (value === null) delete def[key];
  else if (value !== undefined) def[key] = value;
}

/** The definition without attributes that are undefined (as stored and compared; options copied). */
function compact(def: FieldDef): FieldDef {
  const { description, minLength, maxLength, min, max, currency, options, deletedAt, ...rest } = def;
  return {
    ...rest,
    ...(description !== undefined ? { description } : {}),
    ...(minLength !== undefined ? { minLength } : {}),
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(currency !== undefined ? { currency } : {}),
    ...(options !== undefined ? { options: options.map((o) => ({ value: o.value, ...(o.label !== undefined ? { label: o.label } : {}) })) } : {}),
    ...(deletedAt !== undefined ? { deletedAt } : {}),
  };
}

export async function createField(principal: Principal, body: Infer<typeof CustomFieldCreate>, now: Date) {
  const at = now.toISOString();
  const def: FieldDef = {
    id: newId('cfd'),
    entity: body.entity,
    key: body.key,
    label: body.label,
    description: body.description,
    type: body.type,
    required: body.required ?? false,
    unique: body.unique ?? false,
    minLength: body.minLength,
    maxLength: body.maxLength,
    min: body.min,
    max: body.max,
    currency: body.currency,
    options: body.options,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  const problems = ruleProblems(def);
  if (problems.length) throw BadRequest('The field\'s rules do not fit its type', problems);
  const stored = compact(def);
  await changeDefinitions(body.entity, (defs) => {
    const all = Object.values(defs.fields);
    if (all.some((f) => f.key === body.key)) {
      throw Conflict(`The key "${body.key}" is taken for ${body.entity}s (keys of removed fields are not reused: their values stay on records)`);
    }
    if (all.filter((f) => !f.deletedAt).length >= MAX_FIELDS_PER_ENTITY) throw Conflict(`An entity can have at most ${MAX_FIELDS_PER_ENTITY} custom fields`);
    return { fields: { ...defs.fields, [def.id]: stored }, audit: audit(principal, 'created', undefined, stored, now), result: stored };
  });
  return toCustomField(stored);
}

export async function listFields(query: Infer<typeof CustomFieldListQuery>) {
  const all = await repo.allDefinitions();
  const items = all
    .filter((defs) => !query.entity || defs.entity === query.entity)
    .flatMap((defs) => Object.values(defs.fields))
    .filter((def) => !def.deletedAt)
    .sort((a, b) => a.entity.localeCompare(b.entity) || a.key.localeCompare(b.key))
    .map(toCustomField);
  return { items, nextCursor: null };
}

async function findField(id: string): Promise<FieldDef> {
  for (const defs of await repo.allDefinitions()) {
    const def = defs.fields[id];
    if (def && !def.deletedAt) return def;
  }
  throw NotFound('No such custom field');
}

export async function getField(id: string) {
  return toCustomField(await findField(id));
}

export async function updateField(principal: Principal, id: string, patch: Infer<typeof CustomFieldPatch>, expectedVersion: number | undefined, now: Date) {
  const found = await findField(id);
  const result = await changeDefinitions(found.entity, (defs) => {
    const current = defs.fields[id];
    if (!current || current.deletedAt) throw NotFound('No such custom field');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const next: FieldDef = { ...current };
    if (patch.label !== undefined) next.label = patch.label;
    if (patch.required !== undefined) next.required = patch.required;
    if (patch.options !== undefined) next.options = patch.options;
    setOrClear(next, 'description', patch.description);
    setOrClear(next, 'minLength', patch.minLength);
    setOrClear(next, 'maxLength', patch.maxLength);
    setOrClear(next, 'min', patch.min);
    setOrClear(next, 'max', patch.max);
    const problems = ruleProblems(next);
    if (problems.length) throw BadRequest('The field\'s rules do not fit its type', problems);
    if (diff(current, next, FIELD_ATTRIBUTES, []).length === 0) return { fields: defs.fields, audit: {}, result: current };
    const saved = compact({ ...next, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId });
    return { fields: { ...defs.fields, [id]: saved }, audit: audit(principal, 'updated', current, saved, now), result: saved };
  });
  return toCustomField(result!);
}

/**
 * Removes a field: it leaves the definitions (and the OpenAPI metadata endpoint), writes naming it
 * are refused, and its key stays taken. Values already stored stay on records and are returned;
 * a record change releases the guard of a removed unique field's value.
 */
export async function deleteField(principal: Principal, id: string, expectedVersion: number | undefined, now: Date): Promise<void> {
  const found = await findField(id);
  await changeDefinitions(found.entity, (defs) => {
    const current = defs.fields[id];
    if (!current || current.deletedAt) throw NotFound('No such custom field');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const removed: FieldDef = { ...current, required: false, deletedAt: now.toISOString(), version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    return { fields: { ...defs.fields, [id]: removed }, audit: audit(principal, 'deleted', current, undefined, now), result: undefined };
  });
}
