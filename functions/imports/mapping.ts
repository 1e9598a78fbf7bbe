/**
 * From a CSV row to the body the entity's create (or update) route receives — and its validation by
 * that route's own zod schema (CustomerCreate, ContactCreate, LeadCreate, ProductCreate and their
 * Patch schemas): one source of truth for what a valid record is. Pure (unit-testable).
 *
 * Cells are text; a few targets convert: `tags` split at `|`, booleans (`true/false`, `yes/no`,
 * `1/0`), whole numbers, and product prices `price.<CUR>` given in major units (`12.99` → 1299
 * minor units, `.` or `,` as the decimal separator). An empty cell leaves the field out.
 */
import type { FieldError } from '../http/problem';
import { ContactCreate, ContactPatch, CustomerCreate, CustomerPatch } from '../../schemas/customers';
import { LeadCreate, LeadPatch } from '../../schemas/leads';
import { ProductCreate, ProductPatch } from '../../schemas/products';
import { type ImportEntity, ListMemberRow } from '../../schemas/imports';

interface EntitySpec {
  /** Top-level fields of the create schema a column may fill. */
  fields: readonly string[];
  /** Objects whose members columns fill one by one (`address.city`). */
  nested?: Readonly<Record<string, readonly string[]>>;
  /** Targets that find the parent record instead of being fields (contacts: their customer). */
  lookups?: readonly string[];
  lists?: readonly string[];
  booleans?: readonly string[];
  integers?: readonly string[];
  /** `price.<CUR>` columns build `prices`. */
  prices?: boolean;
  /** `custom.<name>` columns build `custom` (custom fields; validated by the create schema). */
  custom?: boolean;
  /** Fields an update never changes (products: the SKU is the identity). */
  notPatched?: readonly string[];
}

export const ENTITY_SPECS: Record<ImportEntity, EntitySpec> = {
  customers: {
    fields: ['type', 'name', 'industry', 'tier', 'lifecycleStage', 'source', 'tags', 'ownerId', 'phone', 'email', 'website', 'taxId'],
    nested: { address: ['line1', 'line2', 'city', 'region', 'postalCode', 'country'] },
    lists: ['tags'],
    custom: true,
  },
  contacts: {
    fields: ['firstName', 'lastName', 'jobTitle', 'email', 'phone', 'mobile', 'isPrimary', 'notes'],
    lookups: ['customerId', 'customerEmail', 'customerPhone'],
    booleans: ['isPrimary'],
    custom: true,
  },
  leads: {
    fields: ['firstName', 'lastName', 'companyName', 'title', 'email', 'phone', 'source', 'campaignId', 'status', 'disqualifiedReason', 'ownerId', 'notes', 'country', 'region', 'industry'],
    custom: true,
  },
  products: {
    fields: ['sku', 'name', 'description', 'taxRateBp', 'active'],
    booleans: ['active'],
    integers: ['taxRateBp'],
    prices: true,
    notPatched: ['sku'],
  },
  // A static list's members: the contact by id, or every contact holding the email.
  'list-members': {
    fields: ['contactId', 'email'],
  },
};

const CREATE = { customers: CustomerCreate, contacts: ContactCreate, leads: LeadCreate, products: ProductCreate, 'list-members': ListMemberRow } as const;
// A member has nothing to update: its row schema serves both.
const PATCH = { customers: CustomerPatch, contacts: ContactPatch, leads: LeadPatch, products: ProductPatch, 'list-members': ListMemberRow } as const;

/** Every target an entity accepts, for messages (custom fields and prices as patterns). */
export function targetsOf(entity: ImportEntity): string[] {
  const spec = ENTITY_SPECS[entity];
  return [
    ...spec.fields,
    ...Object.entries(spec.nested ?? {}).flatMap(([name, members]) => members.map((m) => `${name}.${m}`)),
    ...(spec.lookups ?? []),
    ...(spec.prices ? ['price.<CURRENCY>'] : []),
    ...(spec.custom ? ['custom.<field>'] : []),
  ];
}

/** Why `target` is no field of `entity` (undefined: it is one). */
export function targetProblem(entity: ImportEntity, target: string): string | undefined {
  const spec = ENTITY_SPECS[entity];
  const [head = '', member] = target.split('.');
  if (member === undefined && (spec.fields.includes(head) || spec.lookups?.includes(head))) return undefined;
  if (member !== undefined && spec.nested?.[head]?.includes(member)) return undefined;
  if (member !== undefined && head === 'price' && spec.prices && /^[A-Z]{3}$/.test(member)) return undefined;
  if (member !== undefined && head === 'custom' && spec.custom) return undefined;
  return `${entity} have no field "${target}"; map to one of ${targetsOf(entity).join(', ')}`;
}

export interface MappedRow {
  /** The record's fields as the create route would receive them (before validation). */
  values: Record<string, unknown>;
  /** Parent lookups (contacts: customerId, customerEmail, customerPhone). */
  lookup: Record<string, string>;
  /** Cells that could not be converted (not a number, not a boolean, …). */
  errors: FieldError[];
}

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

/** Decimal digits of a currency's minor unit (EUR 2, JPY 0, KWD 3); undefined for an unknown code. */
function minorDigits(currency: string): number | undefined {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return undefined;
  }
}

/** `12.99` / `12,99` / `1299` in major units → integer minor units, or an error message. */
export function minorUnits(text: string, currency: string): number | string {
  const digits = minorDigits(currency);
  if (digits === undefined) return `Unknown currency ${currency}`;
  const m = /^(\d{1,13})(?:[.,](\d+))?$/.exec(text);
  if (!m) return `Expected an amount such as 12.99 (${currency}, major units)`;
  const fraction = m[2] ?? '';
  if (fraction.length > digits) return `${currency} has ${digits} decimal places at most`;
  return Number(m[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/**
 * The row's cells under the mapping. `cells[i]` belongs to `headers[i]`; cells beyond the header,
 * or headers without a cell, are a ragged row, reported by the caller.
 */
export function mapRow(entity: ImportEntity, headers: readonly string[], mapping: Readonly<Record<string, string>>, cells: readonly string[]): MappedRow {
  const spec = ENTITY_SPECS[entity];
  const values: Record<string, unknown> = {};
  const lookup: Record<string, string> = {};
  const errors: FieldError[] = [];
  const prices: { amount: number; currency: string }[] = [];
  const nested: Record<string, Record<string, string>> = {};
  headers.forEach((header, i) => {
    const target = mapping[header];
    const raw = cells[i];
    if (!target || raw === undefined) return;
    const text = raw.trim();
    if (text === '') return;
    const [head = '', member] = target.split('.');
    if (spec.lookups?.includes(head)) {
      lookup[head] = text;
    } else if (member !== undefined && head === 'price') {
      const amount = minorUnits(text, member);
      if (typeof amount === 'string') errors.push({ path: target, message: amount });
      else prices.push({ amount, currency: member });
    } else if (member !== undefined) {
      (nested[head] ??= {})[member] = raw;
    } else if (spec.lists?.includes(head)) {
      values[head] = text.split('|').map((t) => t.trim()).filter(Boolean);
    } else if (spec.booleans?.includes(head)) {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) values[head] = true;
      else if (FALSE.has(lower)) values[head] = false;
      else errors.push({ path: head, message: 'Expected true or false (also yes/no, 1/0)' });
    } else if (spec.integers?.includes(head)) {
      if (/^-?\d{1,15}$/.test(text)) values[head] = Number(text);
      else errors.push({ path: head, message: 'Expected a whole number' });
    } else {
      values[head] = raw;
    }
  });
  if (prices.length) values.prices = prices;
  Object.assign(values, nested);
  return { values, lookup, errors };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

type Parsed<T> = { ok: true; body: T } | { ok: false; errors: FieldError[] };

function check(schema: { safeParse: (v: unknown) => { success: boolean; data?: unknown; error?: { issues: readonly { path: PropertyKey[]; message: string }[] } } }, values: unknown): Parsed<Record<string, unknown>> {
  const result = schema.safeParse(values);
  if (result.success) return { ok: true, body: isRecord(result.data) ? result.data : {} };
  return { ok: false, errors: (result.error?.issues ?? []).map((issue) => ({ path: issue.path.map(String).join('.') || '(row)', message: issue.message })) };
}

/** Validates the values as the entity's create route validates its body. */
export function validateCreate(entity: ImportEntity, values: Record<string, unknown>): Parsed<Record<string, unknown>> {
  return check(CREATE[entity](), values);
}

/** Validates the values as the entity's PATCH route validates its body (fields an update never changes are left out). */
export function validatePatch(entity: ImportEntity, values: Record<string, unknown>): Parsed<Record<string, unknown>> {
  const patch = { ...values };
  for (const field of ENTITY_SPECS[entity].notPatched ?? []) delete patch[field];
  return check(PATCH[entity](), patch);
}

/** One line of reasons for the rejected-rows file. */
export const describeErrors = (errors: readonly FieldError[]) => errors.map((e) => `${e.path}: ${e.message}`).join('; ');
