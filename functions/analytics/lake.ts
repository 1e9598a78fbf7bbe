/**
 * The analytics lake's tables, generated from the API's own response schemas (schemas/*.ts): one
 * source, no drift. A field added to a response schema becomes a column without hand-edited SQL;
 * `LAKE_OVERRIDES` only says where a column's value lives in the stored item when that differs
 * from the API field (derived or renamed fields), and which API fields have no stored source.
 *
 * Column conventions (docs/analytics.md):
 * - snake_case names of the API fields; nested objects are flattened one level
 *   (`address.city` → `address_city`), money objects become `<field>_amount` (bigint minor units)
 *   and `<field>_currency`;
 * - ids and enums are varchar, integers bigint, decimals double, times UTC timestamps, local dates
 *   dates, lists of strings varchar[], anything deeper json: text holding plain JSON (`{"region":
 *   "north"}`, not DynamoDB's `{"M":{"region":{"S":"north"}}}`), converted by the field's schema;
 * - personal data follows the analyst policy (`LAKE_MASKING`): emails become a keyed hash of the
 *   normalised address (joinable and countable, not readable), phones, tax ids, street addresses
 *   and activity content never reach the lake.
 *
 * `transformSql` turns a table's columns into one SELECT over the records of a DynamoDB export
 * (each line `{"Item": {...}}` in DynamoDB JSON, read as a json column named `Item`), in DuckDB's
 * dialect (the local stand-in) or Athena's (Trino) — the dialect differences are listed there.
 */
import * as z from '../../schemas/zod';
import type { ZodMiniType } from 'zod/mini';
import { Activity } from '../../schemas/activities';
import { Asset } from '../../schemas/assets';
import { Contact, Customer } from '../../schemas/customers';
import { Deal, StageHistoryEntry } from '../../schemas/deals';
import { Lead } from '../../schemas/leads';
import { Pipeline } from '../../schemas/pipelines';
import { Product } from '../../schemas/products';
import { Order, Quote, QuoteLine } from '../../schemas/quotes';
import { Task } from '../../schemas/tasks';
import { Contract } from '../../schemas/contracts';
import { Article } from '../../schemas/kb';
import { Ticket } from '../../schemas/tickets';
import { Campaign, MailingList, Recipient, Segment } from '../../schemas/marketing';
import { SENSITIVE_FIELDS } from '../security/masking';

export type LakeType = 'varchar' | 'bigint' | 'double' | 'boolean' | 'timestamp' | 'date' | 'varchar[]' | 'json';
export type Dialect = 'duckdb' | 'athena';

export interface LakeColumn {
  name: string;
  type: LakeType;
  /** Attribute path in the stored item (DynamoDB map keys), or a computed expression. */
  source: { path: string[] } | { computed: Computed };
  /** `hash`: keyed SHA-256 of the normalised value (emails). */
  mask?: 'hash';
  /** `json` columns: what the value holds (from its schema), which the SQL turns into plain JSON. */
  shape?: JsonShape;
  description?: string;
}

/**
 * The structure of a `json` column's value, from its JSON Schema node: known properties are
 * converted by their type, maps with keys not known in advance (custom-field values) and anything
 * the schema leaves open (`any`) by the DynamoDB type tag each value carries.
 */
export type JsonShape =
  | { kind: 'string' | 'number' | 'boolean' | 'any' }
  | { kind: 'array'; items: JsonShape }
  | { kind: 'object'; properties: Record<string, JsonShape> }
  | { kind: 'map'; values: JsonShape }
  | DerivedProperty;

/** A property the API derives on read rather than stores: the element's 0-based place in its list, or whether a sibling property is set. */
export type DerivedProperty = { kind: 'index' } | { kind: 'isSet'; property: string };

/** Values the stored item does not hold under the API field's name. */
export type Computed =
  | { op: 'scale'; path: string[]; divisor: number }
  | { op: 'isNull'; path: string[] }
  | { op: 'constant'; value: string };

export interface LakeTable {
  /** Table name in the lake: `<name>_current` holds the current state. */
  name: string;
  /** The stored items' `kind`. */
  kind: string;
  /** Primary key columns. */
  key: string[];
  columns: LakeColumn[];
  /** A child table: one row per element of a list attribute of the parent item. */
  unnest?: { path: string[]; parentKey: { column: string; path: string[] } };
  description: string;
}

interface Spec {
  name: string;
  kind: string;
  schema: () => ZodMiniType;
  key?: string[];
  description: string;
  unnest?: LakeTable['unnest'];
  /** API field → where its value lives in the stored item, or `null`: derived at read time, not in the lake. */
  overrides?: Record<string, string[] | Computed | null>;
  /**
   * Stored attributes the response schema does not carry in this form (a child record's parent id;
   * a ticket's SLA facts): a path (a string) or a path with its type and description.
   */
  extra?: Record<string, string[] | { path: string[]; type: LakeType; description: string }>;
  /** API field → properties of its objects (or its list's objects) that the API derives on read: the json column derives them too. */
  derived?: Record<string, Record<string, DerivedProperty>>;
}

/** Where the masking policy of the API (SENSITIVE_FIELDS) lands in the lake; a test keeps them in step. */
export const LAKE_MASKING: Record<string, Record<string, 'hash' | 'drop' | { keep: string[] } | { only: string }>> = {
  customer: { email: 'hash', phone: 'drop', address: { keep: ['city', 'region', 'country'] }, taxId: 'drop' },
  contact: { email: 'hash', phone: 'drop', mobile: 'drop' },
  lead: { email: 'hash', phone: 'drop' },
  activity: { content: 'drop', participants: { only: 'contactId' } },
  ticket: { description: 'drop', resolution: 'drop', requester: 'drop' },
  // Messages are not in the lake (yet); should they be, their text stays out.
  ticketMessage: { body: 'drop' },
  // A campaign's ledger (the API masks it in its own route, functions/marketing/campaigns.ts
  // listRecipients: address and number): the address as the keyed hash emails get everywhere (so
  // it joins contacts_current.email), the number out, and the ledger's own key — an unkeyed hash of
  // the address, which a dictionary of addresses would reverse — keyed as well.
  'campaign-recipient': { email: 'hash', phone: 'drop', addressHash: 'hash' },
};

const LINE_OVERRIDES: Spec['overrides'] = {
  quantity: { op: 'scale', path: ['quantityMilli'], divisor: 1000 },
  subtotal: ['amounts', 'gross'],
  discount: ['amounts', 'discount'],
  net: ['amounts', 'net'],
  tax: ['amounts', 'tax'],
  total: ['amounts', 'total'],
};

const SPECS: Spec[] = [
  {
    name: 'customers', kind: 'customer', schema: Customer, description: 'Customers (companies and people), archived ones included with archived_at set.',
    // Kept on summary items next to the profile, not on it; the orders and activities tables hold their sources.
    overrides: { lastActivityAt: null, lastPurchaseAt: null, lifetimeValue: null },
  },
  { name: 'contacts', kind: 'contact', schema: Contact, description: 'Contacts of customers.' },
  { name: 'leads', kind: 'lead', schema: Lead, description: 'Leads, converted ones included.' },
  { name: 'deals', kind: 'deal', schema: Deal, description: 'Deals (opportunities) with their current stage.' },
  {
    name: 'deal_stage_history', kind: 'deal-stage', schema: StageHistoryEntry, key: ['deal_id', 'n'],
    description: 'Every stage a deal entered, with entry and exit times.',
    extra: { dealId: ['dealId'] },
    overrides: { secondsInStage: null, current: { op: 'isNull', path: ['leftAt'] } },
  },
  {
    name: 'quotes', kind: 'quote', schema: Quote, description: 'Quotes, every revision (latest = no superseding revision).',
    // ownerId is the deal owner's (join deals); status `expired` is computed from valid_until at read time.
    overrides: { ownerId: null, latest: { op: 'isNull', path: ['supersededBy'] }, lines: null },
  },
  {
    name: 'quote_lines', kind: 'quote', schema: QuoteLine, key: ['quote_id', 'line_no'],
    description: 'Lines of every quote revision.',
    unnest: { path: ['lines'], parentKey: { column: 'quote_id', path: ['id'] } },
    overrides: LINE_OVERRIDES,
  },
  {
    name: 'orders', kind: 'order', schema: Order, description: 'Orders created from accepted quotes.',
    // `total` repeats totals_total with the currency (both columns exist).
    overrides: { lines: null, total: null },
  },
  {
    name: 'order_lines', kind: 'order', schema: QuoteLine, key: ['order_id', 'line_no'],
    description: 'Lines of every order.',
    unnest: { path: ['lines'], parentKey: { column: 'order_id', path: ['id'] } },
    overrides: LINE_OVERRIDES,
  },
  { name: 'products', kind: 'product', schema: Product, description: 'Products and their prices.' },
  { name: 'activities', kind: 'activity', schema: Activity, description: 'Calls, emails, meetings, visits and notes (content not in the lake).' },
  { name: 'tasks', kind: 'task', schema: Task, description: 'Tasks with their due dates and status.', overrides: { reminders: null } },
  { name: 'assets', kind: 'asset', schema: Asset, description: 'Installed products and their warranties.' },
  {
    name: 'contracts', kind: 'contract', schema: Contract,
    description: 'Service contracts with term, value and stored status (an active contract past its end turns expired with the daily contract-renewals run).',
    // Derived at read time: the reminder day follows from end_date and renewal_reminder_days.
    overrides: { renewalReminderOn: null },
  },
  {
    name: 'kb_articles', kind: 'article', schema: Article, description: 'Knowledge-base articles (title, category, tags, status); bodies stay in the CRM.',
    // The body is a separate item and the HTML is rendered on read.
    overrides: { body: null, bodyHtml: null },
  },
  {
    name: 'tickets', kind: 'ticket', schema: Ticket, description: 'Service tickets: channel, category, priority, status, links, resolution times and the SLA outcome (policy, breaches; free text and the running clocks stay in the CRM).',
    // The stored SLA state is the clocks' internal form (business milliseconds, running stretches), not the API's view.
    overrides: { sla: null },
    // The SLA's outcome as stored (functions/tickets/sla.ts SlaState): enough to count compliance
    // as GET /v1/reports/service does (resolved with no clock breached).
    extra: {
      slaPolicy: { path: ['sla', 'policy'], type: 'varchar', description: 'The SLA policy applied: priority, and tier when a tier-specific policy matched (normal/A)' },
      slaBreaches: { path: ['sla', 'breaches'], type: 'bigint', description: 'SLA clocks breached so far (first response, resolution): 0 = within SLA' },
      slaFirstResponseAt: { path: ['sla', 'firstResponse', 'stoppedAt'], type: 'timestamp', description: 'The first public reply (stops the first-response clock)' },
      slaFirstResponseBreachedAt: { path: ['sla', 'firstResponse', 'breachedAt'], type: 'timestamp', description: 'When the first-response deadline passed unmet' },
      slaResolutionBreachedAt: { path: ['sla', 'resolution', 'breachedAt'], type: 'timestamp', description: 'When the resolution deadline passed unmet' },
    },
  },
  {
    name: 'pipelines', kind: 'pipeline', schema: Pipeline, description: 'Sales pipelines and their stages.',
    // A stage's place is its index in the stored list; it is retired once it has a retiredAt.
    derived: { stages: { position: { kind: 'index' }, retired: { kind: 'isSet', property: 'retiredAt' } } },
  },
  {
    name: 'campaigns', kind: 'campaign', schema: Campaign,
    description: 'Marketing campaigns: channel, audience, status and send times. Their delivery figures are not columns (the API sums counter shards at read time): count campaign_recipients instead.',
    overrides: { stats: null },
  },
  {
    name: 'campaign_recipients', kind: 'campaign-recipient', schema: Recipient, key: ['campaign_id', 'address_hash'],
    description: 'Every campaign\'s ledger: one row per address the campaign reached or skipped, with its send status and SES feedback times (address hashed, phone number not in the lake).',
    extra: { campaignId: ['campaignId'], addressHash: ['addressHash'], customerId: ['customerId'] },
  },
  {
    name: 'segments', kind: 'segment', schema: Segment, description: 'Marketing segments and their rules.',
    // The read plan follows from the rules at read time.
    overrides: { plan: null },
  },
  { name: 'mailing_lists', kind: 'mailing-list', schema: MailingList, description: 'Static mailing lists (their members stay in the CRM).' },
];

type Json = Record<string, any>;

const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A JSON Schema node (anything else reads as an empty schema). */
const asJson = (v: unknown): Json => (isJson(v) ? v : {});

export const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

function resolve(node: Json, defs: Json): Json {
  let n = node;
  for (let i = 0; i < 10 && n?.$ref; i++) n = defs[String(n.$ref).replace('#/$defs/', '')] ?? {};
  if (Array.isArray(n?.anyOf)) {
    const nonNull = n.anyOf.filter((a: Json) => a.type !== 'null');
    if (nonNull.length === 1) return resolve(nonNull[0], defs);
  }
  return n ?? {};
}

function scalarType(node: Json): LakeType | undefined {
  if (node.type === 'string') return node.format === 'date-time' ? 'timestamp' : node.format === 'date' ? 'date' : 'varchar';
  if (node.type === 'integer') return 'bigint';
  if (node.type === 'number') return 'double';
  if (node.type === 'boolean') return 'boolean';
  if (Array.isArray(node.enum)) return 'varchar';
  return undefined;
}

/** A schema node's JsonShape; `$ref`s resolved (`depth` stops a recursive schema). */
function shapeOf(node: Json, defs: Json, depth = 0): JsonShape {
  const n = resolve(node, defs);
  if (depth > 8) return { kind: 'any' };
  if (n.type === 'string' || (Array.isArray(n.enum) && n.enum.every((v: unknown) => typeof v === 'string'))) return { kind: 'string' };
  if (n.type === 'integer' || n.type === 'number') return { kind: 'number' };
  if (n.type === 'boolean') return { kind: 'boolean' };
  if (n.type === 'array') return { kind: 'array', items: shapeOf(asJson(n.items), defs, depth + 1) };
  if (n.type === 'object' && isJson(n.properties) && Object.keys(n.properties).length > 0) {
    return { kind: 'object', properties: Object.fromEntries(Object.entries<unknown>(n.properties).map(([k, v]) => [k, shapeOf(asJson(v), defs, depth + 1)])) };
  }
  if (n.type === 'object') return { kind: 'map', values: isJson(n.additionalProperties) ? shapeOf(n.additionalProperties, defs, depth + 1) : { kind: 'any' } };
  return { kind: 'any' };
}

/** `shape` (an object, or a list of objects) with the derived properties in place of the schema's. */
function withDerived(shape: JsonShape, derived: Record<string, DerivedProperty> | undefined): JsonShape {
  if (!derived) return shape;
  if (shape.kind === 'array') return { kind: 'array', items: withDerived(shape.items, derived) };
  if (shape.kind === 'object') return { kind: 'object', properties: { ...shape.properties, ...derived } };
  return shape;
}

const isMoney = (node: Json) => node.type === 'object' && node.properties?.amount?.type === 'integer' && node.properties?.currency && Object.keys(node.properties).length === 2;

function columnsOf(spec: Spec, personalData: PersonalData): LakeColumn[] {
  const json: Json = z.toJSONSchema(spec.schema(), { io: 'output', unrepresentable: 'any' });
  const defs: Json = json.$defs ?? {};
  const root = resolve(json, defs);
  const masking = personalData === 'masked' ? LAKE_MASKING[spec.kind] ?? {} : {};
  const out: LakeColumn[] = [];
  if (spec.unnest) {
    out.push({ name: spec.unnest.parentKey.column, type: 'varchar', source: { path: spec.unnest.parentKey.path } });
    out.push({ name: 'line_no', type: 'bigint', source: { computed: { op: 'constant', value: 'ordinality' } } });
  }
  for (const [field, extra] of Object.entries(spec.extra ?? {})) {
    const rule = masking[field];
    if (rule === 'drop') continue;
    const { path, type, description } = Array.isArray(extra) ? { path: extra, type: 'varchar' as const, description: undefined } : extra;
    out.push({ name: snake(field), type, source: { path }, ...(description ? { description } : {}), ...(rule === 'hash' ? { mask: 'hash' as const } : {}) });
  }
  for (const [field, raw] of Object.entries<unknown>(root.properties ?? {})) {
    if (API_ONLY_FIELDS.includes(field)) continue;
    const override = spec.overrides?.[field];
    if (override === null) continue;
    const rule = masking[field];
    if (rule === 'drop') continue;
    const node = resolve(asJson(raw), defs);
    const description = typeof node.description === 'string' ? node.description : undefined;
    const name = snake(field);
    if (override && !Array.isArray(override)) {
      out.push({ name, type: override.op === 'isNull' ? 'boolean' : override.op === 'scale' ? 'double' : 'varchar', source: { computed: override }, description });
      continue;
    }
    const path = override ?? [field];
    if (isMoney(node)) {
      out.push({ name: `${name}_amount`, type: 'bigint', source: { path: [...path, 'amount'] }, description: 'Minor units' });
      out.push({ name: `${name}_currency`, type: 'varchar', source: { path: [...path, 'currency'] } });
      continue;
    }
    const scalar = scalarType(node);
    if (scalar) {
      out.push({ name, type: scalar, source: { path }, ...(rule === 'hash' ? { mask: 'hash' as const } : {}), description });
      continue;
    }
    if (node.type === 'array') {
      const item = resolve(node.items ?? {}, defs);
      if (typeof rule === 'object' && 'only' in rule) {
        out.push({ name: `${snake(field)}_${snake(rule.only)}s`, type: 'varchar[]', source: { path: [...path, `*`, rule.only] }, description });
      } else {
        if (scalarType(item) === 'varchar') out.push({ name, type: 'varchar[]', source: { path }, description });
        else out.push({ name, type: 'json', shape: withDerived(shapeOf(node, defs), spec.derived?.[field]), source: { path }, description });
      }
      continue;
    }
    if (node.type === 'object' && node.properties) {
      const keep = typeof rule === 'object' && 'keep' in rule ? rule.keep : undefined;
      for (const [sub, subRaw] of Object.entries<unknown>(node.properties)) {
        if (keep && !keep.includes(sub)) continue;
        const subNode = resolve(asJson(subRaw), defs);
        if (isMoney(subNode)) {
          out.push({ name: `${name}_${snake(sub)}_amount`, type: 'bigint', source: { path: [...path, sub, 'amount'] } });
          out.push({ name: `${name}_${snake(sub)}_currency`, type: 'varchar', source: { path: [...path, sub, 'currency'] } });
        } else {
          const type = scalarType(subNode) ?? (subNode.type === 'array' && scalarType(resolve(subNode.items ?? {}, defs)) === 'varchar' ? 'varchar[]' : 'json');
          out.push({ name: `${name}_${snake(sub)}`, type, ...(type === 'json' ? { shape: shapeOf(subNode, defs) } : {}), source: { path: [...path, sub] } });
        }
      }
      continue;
    }
    out.push({ name, type: 'json', shape: withDerived(shapeOf(node, defs), spec.derived?.[field]), source: { path }, description });
  }
  return out;
}

/** Response fields about the caller, not the record. */
const API_ONLY_FIELDS = ['masked'];

/**
 * `masked` (default): the analyst policy of LAKE_MASKING — the lake's tables. `clear`: every field
 * as the API stores it (the restricted database's tables, and on-demand exports, which mask values
 * by the caller's role instead of leaving columns out: functions/exports).
 */
export type PersonalData = 'masked' | 'clear';

const tables: Partial<Record<PersonalData, LakeTable[]>> = {};

/** Every lake table with its columns (built on first use). */
export function lakeTables(personalData: PersonalData = 'masked'): LakeTable[] {
  tables[personalData] ??= SPECS.map((spec) => {
    const columns = columnsOf(spec, personalData);
    return {
      name: spec.name,
      kind: spec.kind,
      key: spec.key ?? ['id'],
      columns,
      description: spec.description,
      ...(spec.unnest ? { unnest: spec.unnest } : {}),
    };
  });
  return tables[personalData]!;
}

/** A SQL string literal. */
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * JSON path of an attribute path inside a DynamoDB-JSON value: every map level is `.M`, the
 * last hop carries the type letter. `*` steps into a list (`.L[*]`).
 */
function jsonPath(path: string[], leaf: 'S' | 'N' | 'BOOL' | '' = ''): string {
  let p = '$';
  path.forEach((step, i) => {
    const last = i === path.length - 1;
    if (step === '*') p += '.L[*]';
    else p += `${i === 0 || path[i - 1] === '*' ? '' : '.M'}.${JSON.stringify(step).slice(1, -1).includes('.') ? `"${step}"` : step}`;
    if (last && leaf) p += `.${leaf}`;
  });
  return p;
}

/** How many levels of a value the schema leaves open (`any`) are converted by type tag: custom-field values are scalars, lists of strings and money maps. */
const ANY_DEPTH = 2;

/**
 * The SQL that turns the DynamoDB-JSON value at `path` in `src` (a JSON expression) into plain
 * JSON of the given shape: a JSON value, SQL NULL where the attribute is absent or DynamoDB NULL.
 * Both dialects build the same value from their own functions:
 * - S → a JSON string: DuckDB `to_json(json_extract_string(…, '$.x.S'))`, Athena
 *   `CAST(json_extract_scalar(…, '$.x.S') AS JSON)` (Trino's cast of text to JSON quotes it);
 * - N → a JSON number with the stored digits: DuckDB `json(…)`, Athena `json_parse(…)`;
 * - BOOL → `json_extract(…, '$.x.BOOL')` in both;
 * - L → an array of the converted elements: DuckDB `to_json(list_transform(CAST(… AS JSON[]), lambda x: …))`,
 *   Athena `CAST(transform(CAST(… AS ARRAY(JSON)), x -> …) AS JSON)`; a string set (SS) as it is;
 * - M with known properties → an object of the converted properties, absent ones left out:
 *   DuckDB `to_json(map_from_entries(list_filter(map_entries(MAP([…], […])), …)))`,
 *   Athena `CAST(map_filter(MAP(ARRAY[…], ARRAY[…]), …) AS JSON)`;
 * - M with any keys (custom fields) → an object of its values, each converted by the type tag it
 *   carries (`any`): DuckDB through `map_entries(CAST(… AS MAP(VARCHAR, JSON)))`, Athena
 *   `transform_values(CAST(… AS MAP(VARCHAR, JSON)), …)`. `any` goes ANY_DEPTH levels deep; a
 *   list or map below that is null (left out of its object);
 * - properties the API derives on read (Spec.derived): an element's index in its list (DuckDB's
 *   lambda index, Trino's `zip_with` of the elements and 0…n-1), or whether a sibling is set.
 */
function plainJson(shape: JsonShape, src: string, path: string, dialect: Dialect, level = 1, index?: string): string {
  const duck = dialect === 'duckdb';
  /** The JSON at `path` + `tail` in `src` (one path, so one parse of `src`). */
  const at = (tail: string) => `json_extract(${src}, ${lit(path + tail)})`;
  const text = (tail: string) => `${duck ? 'json_extract_string' : 'json_extract_scalar'}(${src}, ${lit(path + tail)})`;
  // Lambda parameters named by nesting level: an inner lambda never hides an outer one.
  const [x, e, k] = [`x${level}`, `e${level}`, `k${level}`];
  const list = (element: string) => (duck
    ? `to_json(list_transform(CAST(${at('.L')} AS JSON[]), lambda ${x}: ${element}))`
    : `CAST(transform(CAST(${at('.L')} AS ARRAY(JSON)), ${x} -> ${element}) AS JSON)`);
  // A list whose elements need their index: DuckDB's lambda takes it (1-based); Trino zips the
  // elements with 0…n-1 (`slice` of 0…n, as `sequence(0, -1)` would count down).
  const i = `i${level}`;
  const indexedList = (element: (index: string) => string) => {
    const elements = `CAST(${at('.L')} AS ARRAY(JSON))`;
    return duck
      ? `to_json(list_transform(CAST(${at('.L')} AS JSON[]), lambda ${x}, ${i}: ${element(`(${i} - 1)`)}))`
      : `CAST(zip_with(${elements}, slice(sequence(0, cardinality(${elements})), 1, cardinality(${elements})), (${x}, ${i}) -> ${element(i)}) AS JSON)`;
  };
  const anyMap = (value: (e: string) => string) => (duck
    ? `to_json(map_from_entries(list_filter(list_transform(map_entries(CAST(${at('.M')} AS MAP(VARCHAR, JSON))), lambda ${e}: {'key': ${e}.key, 'value': ${value(`${e}.value`)}}), lambda ${e}: ${e}.value IS NOT NULL)))`
    : `CAST(map_filter(transform_values(CAST(${at('.M')} AS MAP(VARCHAR, JSON)), (${k}, ${e}) -> ${value(e)}), (${k}, ${e}) -> ${e} IS NOT NULL) AS JSON)`);
  const string = duck ? `to_json(${text('.S')})` : `CAST(${text('.S')} AS JSON)`;
  const number = duck ? `json(${text('.N')})` : `json_parse(${text('.N')})`;
  switch (shape.kind) {
    case 'string': return string;
    case 'number': return number;
    case 'boolean': return at('.BOOL');
    case 'array': {
      const items = shape.items;
      const indexed = items.kind === 'object' && Object.values(items.properties).some((p) => p.kind === 'index');
      const elements = indexed ? indexedList((index) => plainJson(items, x, '$', dialect, level + 1, index)) : list(plainJson(items, x, '$', dialect, level + 1));
      return items.kind === 'string' ? `coalesce(${elements}, ${at('.SS')})` : elements;
    }
    case 'index':
      if (!index) return 'NULL';
      return duck ? `to_json(${index})` : `CAST(${index} AS JSON)`;
    case 'isSet': return 'NULL'; // only as an object's property (below)
    case 'object': {
      const member = (key: string) => `${path}.M${jsonPath([key]).slice(1)}`;
      const keys = Object.keys(shape.properties);
      const values = keys.map((key) => {
        const property = shape.properties[key]!;
        if (property.kind !== 'isSet') return plainJson(property, src, member(key), dialect, level + 1, index);
        const set = `json_extract(${src}, ${lit(member(property.property))}) IS NOT NULL`;
        return duck ? `to_json(${set})` : `CAST(${set} AS JSON)`;
      });
      const object = duck
        ? `to_json(map_from_entries(list_filter(map_entries(MAP([${keys.map(lit).join(', ')}], [${values.join(', ')}])), lambda ${e}: ${e}.value IS NOT NULL)))`
        : `CAST(map_filter(MAP(ARRAY[${keys.map(lit).join(', ')}], ARRAY[${values.join(', ')}]), (${k}, ${e}) -> ${e} IS NOT NULL) AS JSON)`;
      return `CASE WHEN ${at('.M')} IS NOT NULL THEN ${object} END`;
    }
    case 'map': return anyMap((value) => plainJson(shape.values, value, '$', dialect, level + 1));
    case 'any': {
      const numberSet = duck
        ? `to_json(list_transform(CAST(${at('.NS')} AS VARCHAR[]), lambda ${x}: json(${x})))`
        : `CAST(transform(CAST(${at('.NS')} AS ARRAY(VARCHAR)), ${x} -> json_parse(${x})) AS JSON)`;
      const tagged = [string, number, at('.BOOL'), at('.SS'), numberSet];
      if (level <= ANY_DEPTH) {
        tagged.push(list(plainJson(shape, x, '$', dialect, level + 1)), anyMap((value) => plainJson(shape, value, '$', dialect, level + 1)));
      }
      // Each conversion is NULL unless the value carries its tag.
      return `coalesce(${tagged.join(', ')})`;
    }
  }
}

/**
 * One column's SQL expression over `src` (a json value holding the item, or a list element).
 * Dialect differences bridged here (docs/analytics.md):
 * - string at a path: DuckDB `json_extract_string`, Athena `json_extract_scalar`;
 * - timestamps: DuckDB casts ISO-8601 with `Z` via `strptime`-free `CAST(replace(…,'Z','') AS TIMESTAMP)`,
 *   Athena `from_iso8601_timestamp` (then `AT TIME ZONE 'UTC'` dropped to a plain timestamp);
 * - lists of strings: DuckDB's JSON path wildcard returns a list, Athena needs
 *   `transform(CAST(json_extract(…) AS ARRAY(JSON)), x -> json_extract_scalar(x, '$.S'))`;
 * - hashing: DuckDB `sha256(text)` (hex), Athena `to_hex(sha256(to_utf8(text)))` lower-cased;
 * - json columns: plain JSON built by plainJson from the column's shape, then text (DuckDB
 *   `CAST(… AS VARCHAR)`, Athena `json_format(…)`).
 */
function expression(column: LakeColumn, src: string, dialect: Dialect, salt: string, scalars?: string[]): string {
  /** The text at a JSON path, from the one-pass extraction when there is one. */
  const extracted = (p: string) => {
    if (scalars) {
      const i = scalars.includes(p) ? scalars.indexOf(p) : scalars.push(p) - 1;
      return `${SCALARS}[${i + 1}]`;
    }
    return dialect === 'duckdb' ? `json_extract_string(${src}, ${lit(p)})` : `json_extract_scalar(${src}, ${lit(p)})`;
  };
  const str = (path: string[], leaf: 'S' | 'N' | 'BOOL') => extracted(jsonPath(path, leaf));
  if ('computed' in column.source) {
    const c = column.source.computed;
    if (c.op === 'isNull') return `(${str(c.path, 'S')} IS NULL)`;
    if (c.op === 'scale') return `(CAST(${str(c.path, 'N')} AS DOUBLE) / ${c.divisor})`;
    return c.value === 'ordinality' ? 'line_no' : lit(c.value);
  }
  const path = column.source.path;
  switch (column.type) {
    case 'varchar': {
      const value = str(path, 'S');
      if (column.mask !== 'hash') return value;
      // An empty value (an SMS recipient's email) is no address: null, not the hash of nothing.
      const normalised = `lower(trim(${value}))`;
      return dialect === 'duckdb'
        ? `CASE WHEN coalesce(${value}, '') = '' THEN NULL ELSE sha256(${lit(salt)} || ${normalised}) END`
        : `CASE WHEN coalesce(${value}, '') = '' THEN NULL ELSE lower(to_hex(sha256(to_utf8(${lit(salt)} || ${normalised})))) END`;
    }
    case 'bigint': return `CAST(${str(path, 'N')} AS BIGINT)`;
    case 'double': return `CAST(${str(path, 'N')} AS DOUBLE)`;
    case 'boolean': return `CAST(${str(path, 'BOOL')} AS BOOLEAN)`;
    case 'timestamp':
      return dialect === 'duckdb'
        ? `CAST(replace(${str(path, 'S')}, 'Z', '') AS TIMESTAMP)`
        : `CAST(from_iso8601_timestamp(${str(path, 'S')}) AT TIME ZONE 'UTC' AS TIMESTAMP)`;
    case 'date': return `CAST(${str(path, 'S')} AS DATE)`;
    case 'varchar[]': {
      const star = path.indexOf('*');
      if (star >= 0) {
        const listPath = path.slice(0, star);
        const inner = path.slice(star + 1);
        return dialect === 'duckdb'
          ? `json_extract_string(${src}, ${lit(`${jsonPath(listPath)}.L[*].M.${inner.join('.M.')}.S`)})`
          : `transform(CAST(json_extract(${src}, ${lit(`${jsonPath(listPath)}.L`)}) AS ARRAY(JSON)), x -> json_extract_scalar(x, ${lit(`$.M.${inner.join('.M.')}.S`)}))`;
      }
      return dialect === 'duckdb'
        ? `CASE WHEN json_extract(${src}, ${lit(`${jsonPath(path)}.SS`)}) IS NOT NULL THEN json_extract_string(${src}, ${lit(`${jsonPath(path)}.SS[*]`)}) ELSE json_extract_string(${src}, ${lit(`${jsonPath(path)}.L[*].S`)}) END`
        : `coalesce(transform(CAST(json_extract(${src}, ${lit(`${jsonPath(path)}.L`)}) AS ARRAY(JSON)), x -> json_extract_scalar(x, '$.S')), CAST(json_extract(${src}, ${lit(`${jsonPath(path)}.SS`)}) AS ARRAY(VARCHAR)))`;
    }
    case 'json': {
      // The attribute's DynamoDB JSON. DuckDB's one-pass extraction gives a map or list as its
      // JSON text, so the item is still parsed once; the (small) value is parsed again here.
      const shape = column.shape ?? { kind: 'any' };
      const plain = scalars ? plainJson(shape, `CAST(${extracted(jsonPath(path))} AS JSON)`, '$', dialect) : plainJson(shape, src, jsonPath(path), dialect);
      return dialect === 'duckdb' ? `CAST(${plain} AS VARCHAR)` : `json_format(${plain})`;
    }
  }
}

/** The DuckDB column holding an item's scalar values (and its json columns' DynamoDB JSON as text), extracted in one pass (transformSql). */
const SCALARS = '"__scalars"';

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The SELECT that turns export records into the table's typed rows. `from` is a relation with a
 * json column `Item` (a full export's records; DuckDB: read_json(…, columns={Item: 'JSON'})).
 * `salt` keys the email hash (a deployment secret; never the same in two deployments).
 * `passThrough` columns of `from` are selected as they are (the `deleted` flag of a change).
 */
export function transformSql(table: LakeTable, from: string, dialect: Dialect, salt: string, passThrough: string[] = []): string {
  const kind = dialect === 'duckdb' ? `json_extract_string(Item, '$.kind.S')` : `json_extract_scalar(Item, '$.kind.S')`;
  const extra = passThrough.map((c) => `,\n  ${quoteIdent(c)}`).join('');
  if (!table.unnest && dialect === 'duckdb') {
    // DuckDB parses the item once per path it extracts, and keeps a vector's worth of parsed
    // items per path: 40 columns took over 128 MB. One multi-path extraction parses each item
    // once (half the time, a fraction of the memory); the columns index into its list.
    const scalars: string[] = [];
    const cols = table.columns.map((c) => `  ${expression(c, 'Item', dialect, salt, scalars)} AS ${quoteIdent(c.name)}`).join(',\n');
    const extracted = scalars.length ? `, json_extract_string(Item, [${scalars.map(lit).join(', ')}]) AS ${SCALARS}` : '';
    return `SELECT\n${cols}${extra}\nFROM (SELECT *${extracted} FROM ${from} WHERE ${kind} = ${lit(table.kind)})`;
  }
  if (!table.unnest) {
    const cols = table.columns.map((c) => `  ${expression(c, 'Item', dialect, salt)} AS ${quoteIdent(c.name)}`).join(',\n');
    return `SELECT\n${cols}${extra}\nFROM ${from}\nWHERE ${kind} = ${lit(table.kind)}`;
  }
  const parent = table.columns.find((c) => c.name === table.unnest!.parentKey.column)!;
  const listPath = jsonPath(table.unnest.path);
  const cols = table.columns.map((c) => {
    if (c === parent) return `  ${expression(c, 'Item', dialect, salt)} AS ${quoteIdent(c.name)}`;
    return `  ${expression(c, 'line', dialect, salt)} AS ${quoteIdent(c.name)}`;
  }).join(',\n');
  // Each list element is a DynamoDB-JSON {"M": {...}}: step into M so column paths start at the line's fields.
  const list = dialect === 'duckdb' ? `CAST(json_extract(Item, ${lit(`${listPath}.L`)}) AS JSON[])` : `CAST(json_extract(Item, ${lit(`${listPath}.L`)}) AS ARRAY(JSON))`;
  const inner = passThrough.map((c) => `, ${quoteIdent(c)}`).join('');
  return `SELECT\n${cols}${extra}\nFROM (\n  SELECT Item, json_extract(u.element, '$.M') AS line, u.line_no${inner}\n  FROM ${from}\n  CROSS JOIN UNNEST(${list}) WITH ORDINALITY AS u(element, line_no)\n  WHERE ${kind} = ${lit(table.kind)}\n)`;
}

/**
 * The latest change per item in an incremental export window. `from` has DynamoDB's incremental
 * export columns as json: `Keys`, `NewImage`, `OldImage` (export view NEW_AND_OLD_IMAGES) and
 * `Metadata` (`WriteTimestampMicros`). A change without `NewImage` is a deletion; its `OldImage`
 * still says what was deleted (kind and id).
 */
export function latestChangesSql(from: string, dialect: Dialect): string {
  const str = dialect === 'duckdb' ? 'json_extract_string' : 'json_extract_scalar';
  return `SELECT coalesce(NewImage, OldImage) AS Item, NewImage IS NULL AS ${quoteIdent('deleted')}\nFROM (\n  SELECT NewImage, OldImage, row_number() OVER (\n    PARTITION BY ${str}(Keys, '$.pk.S'), ${str}(Keys, '$.sk.S')\n    ORDER BY CAST(${str}(Metadata, '$.WriteTimestampMicros.N') AS BIGINT) DESC\n  ) AS change_rank\n  FROM ${from}\n)\nWHERE change_rank = 1`;
}

/**
 * Statements that apply a window's changes (`changes`: a relation shaped like latestChangesSql's
 * result) to the table's current state in `target`: MERGE on the key for records (update, insert,
 * delete), and for child tables delete-then-insert the rows of every changed parent (a quote's
 * lines can shrink). Applying the same window twice leaves the same state.
 */
export function mergeSql(table: LakeTable, target: string, changes: string, dialect: Dialect, salt: string): string[] {
  const source = transformSql(table, changes, dialect, salt, ['deleted']);
  const names = table.columns.map((c) => quoteIdent(c.name));
  if (table.unnest) {
    const parentKey = quoteIdent(table.unnest.parentKey.column);
    const parentIds = transformSql({ ...table, unnest: undefined, columns: table.columns.filter((c) => c.name === table.unnest!.parentKey.column) }, changes, dialect, salt);
    return [
      `DELETE FROM ${target} WHERE ${parentKey} IN (SELECT ${parentKey} FROM (${parentIds}))`,
      `INSERT INTO ${target} (${names.join(', ')})\nSELECT ${names.join(', ')} FROM (${source}) s WHERE NOT s.${quoteIdent('deleted')}`,
    ];
  }
  const on = table.key.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ');
  const nonKey = table.columns.filter((c) => !table.key.includes(c.name)).map((c) => `${quoteIdent(c.name)} = s.${quoteIdent(c.name)}`);
  return [
    `MERGE INTO ${target} t\nUSING (${source}) s\nON (${on})\n`
    + `WHEN MATCHED AND s.${quoteIdent('deleted')} THEN DELETE\n`
    + `WHEN MATCHED THEN UPDATE SET ${nonKey.join(', ')}\n`
    + `WHEN NOT MATCHED AND NOT s.${quoteIdent('deleted')} THEN INSERT (${names.join(', ')}) VALUES (${table.columns.map((c) => `s.${quoteIdent(c.name)}`).join(', ')})`,
  ];
}

/** Column definitions for CREATE TABLE (DuckDB and Athena/Iceberg type names). */
export function columnDdl(table: LakeTable, dialect: Dialect): string {
  const type = (t: LakeType) => {
    if (dialect === 'duckdb') return ({ varchar: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP', date: 'DATE', 'varchar[]': 'VARCHAR[]', json: 'VARCHAR' })[t];
    return ({ varchar: 'string', bigint: 'bigint', double: 'double', boolean: 'boolean', timestamp: 'timestamp', date: 'date', 'varchar[]': 'array<string>', json: 'string' })[t];
  };
  return table.columns.map((c) => `${quoteIdent(c.name)} ${type(c.type)}`).join(', ');
}

/** Sensitive fields of the API masking policy that the lake has no rule for (a test wants none). */
export function unmaskedSensitiveFields(): string[] {
  const missing: string[] = [];
  for (const [entity, fields] of Object.entries(SENSITIVE_FIELDS)) {
    for (const field of Object.keys(fields)) if (!LAKE_MASKING[entity]?.[field]) missing.push(`${entity}.${field}`);
  }
  return missing;
}

/** The column reference of docs/analytics.md (between its lake-columns markers; `npm run docs:lake`). */
export function lakeColumnsMarkdown(): string {
  return lakeTables().map((t) => [
    `#### \`${t.name}_current\``,
    '',
    `${t.description} Key: ${t.key.map((k) => `\`${k}\``).join(', ')}.`,
    '',
    '| column | type | notes |',
    '|---|---|---|',
    ...t.columns.map((c) => `| \`${c.name}\` | ${c.type} | ${[c.mask === 'hash' ? 'keyed SHA-256 of the normalised value' : '', c.description ?? ''].filter(Boolean).join('; ').replace(/\|/g, '\\|')} |`),
  ].join('\n')).join('\n\n');
}

export const LAKE_COLUMNS_START = '<!-- lake-columns:start (npm run docs:lake) -->';
export const LAKE_COLUMNS_END = '<!-- lake-columns:end -->';

export function withLakeColumns(doc: string): string {
  const start = doc.indexOf(LAKE_COLUMNS_START);
  const end = doc.indexOf(LAKE_COLUMNS_END);
  if (start < 0 || end < start) throw new Error('docs/analytics.md lacks the lake-columns markers');
  return `${doc.slice(0, start + LAKE_COLUMNS_START.length)}\n\n${lakeColumnsMarkdown()}\n\n${doc.slice(end)}`;
}

/** Where DynamoDB writes the lake's exports in the exports bucket (AWS and local alike). */
export const LAKE_EXPORT_PREFIX = 'lake/exports';

/** The workflow's checkpoint item in the CRM table: the end of the last window applied. */
export const LAKE_CHECKPOINT_KEY = { pk: 'ANALYTICS#LAKE', sk: '#CHECKPOINT' } as const;

/** Glue/Iceberg column type of a lake type. */
export function glueType(type: LakeType): string {
  return ({ varchar: 'string', bigint: 'bigint', double: 'double', boolean: 'boolean', timestamp: 'timestamp', date: 'date', 'varchar[]': 'array<string>', json: 'string' } as const)[type];
}

/** The export's lines (table `export_records`, one string column `line`, one partition per export). */
const exportLines = (exportId: string) => `export_records WHERE export_id = ${lit(exportId)}`;

/**
 * Athena statements that load a full export into the Iceberg tables (`<table>_current`):
 * each table emptied and filled. `exportId` and `salt` may be tokens the workflow substitutes.
 */
export function athenaFullStatements(tables: LakeTable[], exportId: string, salt: string, database?: string): string[] {
  const from = `(SELECT json_extract(line, '$.Item') AS Item FROM ${exportLines(exportId)}) export_items`;
  return tables.flatMap((table) => {
    const target = targetTable(table, database);
    const names = table.columns.map((c) => quoteIdent(c.name)).join(', ');
    return [`DELETE FROM ${target}`, `INSERT INTO ${target} (${names})\nSELECT ${names} FROM (${transformSql(table, from, 'athena', salt)}) s`];
  });
}

/**
 * Athena statements that apply an incremental export (view NEW_AND_OLD_IMAGES) to the Iceberg
 * tables. `database`: the tables of another Glue database (the restricted, unmasked one) than the
 * statements' context database, which holds `export_records`.
 */
export function athenaIncrementalStatements(tables: LakeTable[], exportId: string, salt: string, database?: string): string[] {
  const records = `(SELECT json_extract(line, '$.Keys') AS Keys, json_extract(line, '$.NewImage') AS NewImage, json_extract(line, '$.OldImage') AS OldImage, json_extract(line, '$.Metadata') AS Metadata FROM ${exportLines(exportId)}) export_changes`;
  const changes = `(${latestChangesSql(records, 'athena')}) changes`;
  return tables.flatMap((table) => mergeSql(table, targetTable(table, database), changes, 'athena', salt));
}

const targetTable = (table: LakeTable, database?: string) =>
  `${database ? `${quoteIdent(database)}.` : ''}${quoteIdent(`${table.name}_current`)}`;
