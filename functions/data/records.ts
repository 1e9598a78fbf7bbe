/**
 * What every feature does with stored items: strip the table's bookkeeping attributes on the way
 * out, apply a PATCH body, name an index's key attributes. Derived from the table specification,
 * so a new index needs no change here.
 */
import { type IndexName, TABLE_SPEC } from './table';

/** Index name → its partition and sort key attribute names. */
export const INDEX_KEYS = Object.fromEntries(
  TABLE_SPEC.globalIndexes.map((index) => [index.name, [index.partitionKey, index.sortKey]]),
) as Record<IndexName, [string, string]>;

const BOOKKEEPING = new Set<string>([
  TABLE_SPEC.partitionKey,
  TABLE_SPEC.sortKey,
  'kind',
  ...TABLE_SPEC.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
]);

/** The record without key, index-key and `kind` attributes. */
export function withoutKeys<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) if (!BOOKKEEPING.has(name)) out[name] = value;
  return out as T;
}

/** Applies a PATCH body: `null` removes an optional attribute, absent leaves it. */
export function applyPatch<T extends object>(record: T, patch: Record<string, unknown>): T {
  const out = { ...record } as Record<string, unknown>;
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete out[field];
    else if (value !== undefined) out[field] = value;
  }
  return out as T;
}

/**
 * An UpdateItem expression from `changes`: SET each defined field, REMOVE each undefined one, after
 * the caller's own `sets` (a step counter…), with names `#f<i>` and values `:v<i>` added to the
 * caller's maps. Used by job items that move step by step (imports, exports).
 */
export function setRemoveExpression(
  changes: Record<string, unknown>,
  names: Record<string, string>,
  values: Record<string, unknown>,
  sets: string[] = [],
): string {
  const allSets = [...sets];
  const removes: string[] = [];
  Object.entries(changes).forEach(([field, value], i) => {
    names[`#f${i}`] = field;
    if (value === undefined) {
      removes.push(`#f${i}`);
    } else {
      values[`:v${i}`] = value;
      allSets.push(`#f${i} = :v${i}`);
    }
  });
  return [allSets.length ? `SET ${allSets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
}
