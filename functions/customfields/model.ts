/**
 * Custom-field definitions as stored: one item per entity (`SETTINGS#CUSTOM_FIELDS` /
 * `#ENTITY#<entity>`) holding every field of that entity by id, removed ones as tombstones
 * (`deletedAt`) so a key is never reused — values written under it stay on records, and their
 * uniqueness guards stay meaningful.
 */
import { CUSTOM_FIELD_ENTITIES, type CUSTOM_FIELD_TYPES } from '../../schemas/customfields';

export type CustomFieldEntity = (typeof CUSTOM_FIELD_ENTITIES)[number];
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

/** Values on a record: field key → value (shape per type). */
export type CustomValues = Record<string, unknown>;

export interface FieldDef {
  id: string;
  entity: CustomFieldEntity;
  key: string;
  label: string;
  description?: string;
  type: CustomFieldType;
  required: boolean;
  unique: boolean;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  currency?: string;
  options?: { value: string; label?: string }[];
  deletedAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export const isCustomFieldEntity = (value: unknown): value is CustomFieldEntity => CUSTOM_FIELD_ENTITIES.some((e) => e === value);

/** A stored definition: the attributes every definition has (the item was written whole from a FieldDef). */
function isFieldDef(value: unknown): value is FieldDef {
  if (typeof value !== 'object' || value === null) return false;
  return 'id' in value && typeof value.id === 'string' && 'key' in value && typeof value.key === 'string'
    && 'type' in value && typeof value.type === 'string' && 'entity' in value && isCustomFieldEntity(value.entity)
    && 'version' in value && typeof value.version === 'number';
}

/** The `fields` map of a stored definitions item, by id (anything that is no definition left out). */
export function storedFields(value: unknown): Record<string, FieldDef> {
  const out: Record<string, FieldDef> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [id, def] of Object.entries(value)) if (isFieldDef(def)) out[id] = def;
  return out;
}

export interface EntityDefinitions {
  entity: CustomFieldEntity;
  /** Version of the entity's item (0: never written); every write is conditioned on it. */
  version: number;
  fields: Record<string, FieldDef>;
}

export function toCustomField(def: FieldDef) {
  const { deletedAt: _deleted, ...rest } = def;
  return { ...rest, options: def.options?.map((o) => ({ ...o })) };
}

/** The live (not removed) fields of an entity, by key. */
export function liveByKey(defs: EntityDefinitions): Map<string, FieldDef> {
  const out = new Map<string, FieldDef>();
  for (const def of Object.values(defs.fields)) if (!def.deletedAt) out.set(def.key, def);
  return out;
}
