/**
 * What an export file holds, and how a stored item becomes one of its rows. Pure (unit-testable).
 *
 * Columns are the lake's (functions/analytics/lake.ts, generated from the API's response schemas):
 * the same names and types an analyst meets in Athena, in their `clear` form — every field is a
 * column. Personal data is masked by *value*, with the API's own maskers (functions/security/
 * masking.ts) whenever the export's creator lacks `pii:read` for every record: an analyst's file
 * has `j***@example.com` and `***67` where an admin's has the address and number, and street and
 * postcode are empty. A column layout that does not depend on the role keeps downstream scripts
 * working for both.
 */
import { type LakeColumn, type LakeTable, lakeTables } from '../analytics/lake';
import { type Masker, SENSITIVE_FIELDS } from '../security/masking';
import type { ExportEntity } from '../../schemas/exports';
import { ENTITY_PLANS } from './plans';

export { type EntityPlan, ENTITY_PLANS } from './plans';

export function exportTable(entity: ExportEntity): LakeTable {
  const name = ENTITY_PLANS[entity].table;
  const table = lakeTables('clear').find((t) => t.name === name);
  if (!table) throw new Error(`No lake table ${name}`);
  return table;
}

type Item = Record<string, unknown>;

/** The item as the creator may see it: sensitive fields through the API's maskers. */
export function maskItem(entity: ExportEntity, item: Item, masked: boolean): Item {
  const sensitive = ENTITY_PLANS[entity].sensitive;
  if (!masked || !sensitive) return item;
  const out: Item = { ...item };
  const maskers: Record<string, Masker> = SENSITIVE_FIELDS[sensitive];
  for (const [field, mask] of Object.entries(maskers)) {
    if (out[field] !== undefined && out[field] !== null) out[field] = mask(out[field]);
  }
  return out;
}

function at(value: unknown, path: readonly string[]): unknown {
  let current: unknown = value;
  for (const [i, step] of path.entries()) {
    if (current === undefined || current === null) return undefined;
    if (step === '*') {
      const list = current instanceof Set ? [...current] : Array.isArray(current) ? current : [];
      return list.map((element) => at(element, path.slice(i + 1))).filter((v) => v !== undefined && v !== null);
    }
    if (typeof current !== 'object') return undefined;
    current = Reflect.get(current, step);
  }
  return current;
}

/** One column's value of an item (undefined = empty cell). */
export function columnValue(column: LakeColumn, item: Item): unknown {
  if ('computed' in column.source) {
    const c = column.source.computed;
    if (c.op === 'isNull') return at(item, c.path) === undefined || at(item, c.path) === null;
    if (c.op === 'scale') {
      const n = at(item, c.path);
      return typeof n === 'number' ? n / c.divisor : undefined;
    }
    return c.value;
  }
  const value = at(item, column.source.path);
  if (value === undefined || value === null) return undefined;
  switch (column.type) {
    case 'varchar[]':
      return value instanceof Set ? [...value].map(String) : Array.isArray(value) ? value.map(String) : [String(value)];
    case 'json':
      return JSON.stringify(value instanceof Set ? [...value] : value);
    case 'bigint':
    case 'double':
      return typeof value === 'number' ? value : Number(value);
    case 'boolean':
      return Boolean(value);
    default:
      return typeof value === 'string' ? value : String(value);
  }
}

/**
 * Spreadsheet programs run a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula
 * (OWASP "CSV injection"): such text cells get a leading `'`. Numbers are written as numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(value: unknown, guard = true): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = Array.isArray(value) ? JSON.stringify(value) : String(value);
  if (guard && !Array.isArray(value) && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(table: LakeTable): string {
  return `${table.columns.map((c) => csvCell(c.name)).join(',')}\r\n`;
}

/**
 * One RFC 4180 record (CRLF-terminated) of the item's columns. `guardFormulas: false` for the CSV
 * that only feeds the Parquet writer (no spreadsheet reads it; the values stay exact).
 */
export function csvRow(table: LakeTable, item: Item, guardFormulas = true): string {
  return `${table.columns.map((c) => csvCell(columnValue(c, item), guardFormulas)).join(',')}\r\n`;
}
