/**
 * One CSV row into the CRM: validated by the entity's create (or PATCH) schema, matched against
 * existing records through the uniqueness guards and lookup keys (GetItem, never Scan), and written
 * by the entity's own service — createCustomer, updateCustomer, createContact, createLead,
 * createProduct, … — as the importer, so guards, counters, territories, audit entries and domain
 * events are exactly those of the API. There is no second write path.
 *
 * Dedupe (per import, docs/imports.md):
 * - `skip`: a row matching an existing record is counted as skipped;
 * - `update`: it updates that record with the row's non-empty cells (PATCH semantics);
 * - `create`: no matching; the row is created, and the uniqueness guards refuse a taken email,
 *   phone or SKU (rejected with the API's 409 message).
 * A match whose record an earlier row of the same file created (its id says so: ./ids.ts) is a
 * duplicate inside the file: rejected in `skip` and `create` mode, merged (the later row updates the
 * record) in `update` mode.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys, normalizeEmail, normalizePhone } from '../data/keys';
import { HttpError } from '../http/problem';
import type { Scope } from '../security/permissions';
import { scopeFor, type Principal } from '../security/principal';
import * as customers from '../customers/service';
import * as leads from '../leads/service';
import * as products from '../products/service';
import { addMember } from '../marketing/segments';
import { ContactCreate, ContactPatch, CustomerCreate, CustomerPatch } from '../../schemas/customers';
import { LeadCreate, LeadPatch } from '../../schemas/leads';
import { ProductCreate, ProductPatch } from '../../schemas/products';
import { type ImportEntity, ListMemberRow } from '../../schemas/imports';
import { importRowOf, type RecordPrefix, rowRecordId } from './ids';
import { describeErrors, ENTITY_SPECS } from './mapping';
import type { DedupeMode } from './repository';

export type RowOutcome = { kind: 'created' | 'updated' | 'skipped' } | { kind: 'rejected'; reason: string };

export interface RowContext {
  importId: string;
  createdAt: string;
  entity: ImportEntity;
  dedupe: DedupeMode;
  principal: Principal;
  now: Date;
  /** entity list-members: the list the rows' contacts join. */
  listId?: string;
  /** The chunk may have run before (a crash after some rows committed): look for each row's own record first. */
  recovering: boolean;
}

const table = () => config().tableName;
type Key = { pk: string; sk: string };

async function getItem(key: Key): Promise<Record<string, unknown> | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
  return out.Item;
}

/** The record a guard item names (its `customerId`, `leadId` or `productId`). */
async function guardHolder(key: Key, attribute: string): Promise<string | undefined> {
  const item = await getItem(key);
  const id = item?.[attribute];
  return typeof id === 'string' ? id : undefined;
}

interface Match { id: string; by: string }

interface EntityOps {
  prefix: RecordPrefix;
  primary: (id: string) => Key;
  /** Normalised values that identify the row's record (rows sharing one run in file order). */
  identities: (values: Record<string, unknown>, lookup: Record<string, string>) => string[];
  /** The existing record the row matches. */
  match: (values: Record<string, unknown>, parent: string | undefined) => Promise<Match | undefined>;
  create: (ctx: RowContext, values: Record<string, unknown>, id: string, parent: string | undefined) => Promise<RowOutcome>;
  update: (ctx: RowContext, id: string, values: Record<string, unknown>) => Promise<RowOutcome>;
}

const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** A validation failure as the row's reason. */
const invalid = (issues: readonly { path: PropertyKey[]; message: string }[]): RowOutcome =>
  ({ kind: 'rejected', reason: describeErrors(issues.map((i) => ({ path: i.path.map(String).join('.') || '(row)', message: i.message }))) });

const scopeOf = (ctx: RowContext, action: 'customers:create' | 'customers:update' | 'leads:write'): Scope => scopeFor(ctx.principal, action) ?? 'own';

/** Fields an update never changes are not sent (products: the SKU). */
function patchValues(entity: ImportEntity, values: Record<string, unknown>): Record<string, unknown> {
  const patch = { ...values };
  for (const field of ENTITY_SPECS[entity].notPatched ?? []) delete patch[field];
  return patch;
}

type RecordEntity = Exclude<ImportEntity, 'list-members'>;

const OPS: Record<RecordEntity, EntityOps> = {
  customers: {
    prefix: 'cus',
    primary: keys.customer.primary,
    identities: (v) => [text(v.email) && `email:${normalizeEmail(text(v.email)!)}`, text(v.phone) && `phone:${normalizePhone(text(v.phone)!)}`].filter((k): k is string => !!k),
    match: async (v) => {
      const email = text(v.email);
      const byEmail = email ? await guardHolder(keys.unique.email(email), 'customerId') : undefined;
      if (byEmail) return { id: byEmail, by: 'email' };
      const phone = text(v.phone);
      const byPhone = phone ? await guardHolder(keys.unique.phone(phone), 'customerId') : undefined;
      return byPhone ? { id: byPhone, by: 'phone' } : undefined;
    },
    create: async (ctx, values, id) => {
      const parsed = CustomerCreate().safeParse(values);
      if (!parsed.success) return invalid(parsed.error.issues);
      await customers.createCustomer(ctx.principal, scopeOf(ctx, 'customers:create'), parsed.data, ctx.now, { id });
      return { kind: 'created' };
    },
    update: async (ctx, id, values) => {
      const parsed = CustomerPatch().safeParse(patchValues('customers', values));
      if (!parsed.success) return invalid(parsed.error.issues);
      await customers.updateCustomer(ctx.principal, scopeOf(ctx, 'customers:update'), id, parsed.data, undefined, ctx.now);
      return { kind: 'updated' };
    },
  },
  contacts: {
    prefix: 'con',
    primary: keys.contact.primary,
    identities: (v, lookup) => {
      const parent = lookup.customerId ?? lookup.customerEmail ?? lookup.customerPhone ?? '';
      return [text(v.email) && `${parent}|email:${normalizeEmail(text(v.email)!)}`, text(v.phone) && `${parent}|phone:${normalizePhone(text(v.phone)!)}`].filter((k): k is string => !!k);
    },
    // A customer's contacts are one Query of its gsi1 partition (at most 50 contacts per customer).
    match: async (v, parent) => {
      if (!parent) return undefined;
      const email = text(v.email) && normalizeEmail(text(v.email)!);
      const phone = text(v.phone) && normalizePhone(text(v.phone)!);
      if (!email && !phone) return undefined;
      const out = await ddb().send(new QueryCommand({
        TableName: table(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': keys.contact.byCustomerPartition(parent) },
      }));
      for (const item of out.Items ?? []) {
        if (email && typeof item.email === 'string' && normalizeEmail(item.email) === email) return { id: String(item.id), by: 'email' };
        if (phone && typeof item.phone === 'string' && normalizePhone(item.phone) === phone) return { id: String(item.id), by: 'phone' };
      }
      return undefined;
    },
    create: async (ctx, values, id, parent) => {
      const parsed = ContactCreate().safeParse(values);
      if (!parsed.success) return invalid(parsed.error.issues);
      if (!parent) return { kind: 'rejected', reason: 'customer: name the contact\'s customer (a column mapped to customerId, customerEmail or customerPhone) that matches a live customer' };
      await customers.createContact(ctx.principal, parent, parsed.data, ctx.now, { id });
      return { kind: 'created' };
    },
    update: async (ctx, id, values) => {
      const parsed = ContactPatch().safeParse(values);
      if (!parsed.success) return invalid(parsed.error.issues);
      await customers.updateContact(ctx.principal, id, parsed.data, undefined, ctx.now);
      return { kind: 'updated' };
    },
  },
  leads: {
    prefix: 'led',
    primary: keys.lead.primary,
    identities: (v) => [text(v.email) && `email:${normalizeEmail(text(v.email)!)}`, text(v.phone) && `phone:${normalizePhone(text(v.phone)!)}`].filter((k): k is string => !!k),
    match: async (v) => {
      const email = text(v.email);
      const byEmail = email ? await guardHolder(keys.lead.uniqueEmail(email), 'leadId') : undefined;
      if (byEmail) return { id: byEmail, by: 'email' };
      const phone = text(v.phone);
      const byPhone = phone ? await guardHolder(keys.lead.uniquePhone(phone), 'leadId') : undefined;
      return byPhone ? { id: byPhone, by: 'phone' } : undefined;
    },
    create: async (ctx, values, id) => {
      const parsed = LeadCreate().safeParse(values);
      if (!parsed.success) return invalid(parsed.error.issues);
      await leads.createLead(ctx.principal, scopeOf(ctx, 'leads:write'), parsed.data, ctx.now, { id });
      return { kind: 'created' };
    },
    update: async (ctx, id, values) => {
      const parsed = LeadPatch().safeParse(values);
      if (!parsed.success) return invalid(parsed.error.issues);
      await leads.updateLead(ctx.principal, scopeOf(ctx, 'leads:write'), id, parsed.data, undefined, ctx.now);
      return { kind: 'updated' };
    },
  },
  products: {
    prefix: 'prd',
    primary: keys.product.primary,
    identities: (v) => (text(v.sku) ? [`sku:${text(v.sku)!.trim().toUpperCase()}`] : []),
    match: async (v) => {
      const sku = text(v.sku);
      const holder = sku ? await guardHolder(keys.product.sku(sku), 'productId') : undefined;
      return holder ? { id: holder, by: 'sku' } : undefined;
    },
    create: async (ctx, values, id) => {
      const parsed = ProductCreate().safeParse(values);
      if (!parsed.success) return invalid(parsed.error.issues);
      await products.createProduct(ctx.principal, parsed.data, ctx.now, { id });
      return { kind: 'created' };
    },
    update: async (ctx, id, values) => {
      const parsed = ProductPatch().safeParse(patchValues('products', values));
      if (!parsed.success) return invalid(parsed.error.issues);
      await products.updateProduct(ctx.principal, id, parsed.data, undefined, ctx.now);
      return { kind: 'updated' };
    },
  },
};

/** list-members rows that name the same contact (id) or email run in file order. */
function memberIdentities(values: Record<string, unknown>): string[] {
  return [text(values.contactId) && `contact:${text(values.contactId)!.trim()}`, text(values.email) && `email:${normalizeEmail(text(values.email)!)}`].filter((k): k is string => !!k);
}

export const identitiesOf = (entity: ImportEntity, values: Record<string, unknown>, lookup: Record<string, string>) =>
  (entity === 'list-members' ? memberIdentities(values) : OPS[entity].identities(values, lookup));

/** Contacts one email names at most (a shared address such as info@…): all of them join the list. */
export const MAX_CONTACTS_PER_EMAIL = 25;

/** The contacts a list-members row names: the contact by id (if it exists), or those holding the email (gsi2). */
async function memberContacts(row: { contactId?: string; email?: string }): Promise<string[]> {
  if (row.contactId) return (await getItem(keys.contact.primary(row.contactId))) ? [row.contactId] : [];
  if (!row.email) return [];
  const out = await ddb().send(new QueryCommand({
    TableName: table(), IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.contact.byEmailPartition(row.email) }, ProjectionExpression: 'id', Limit: MAX_CONTACTS_PER_EMAIL,
  }));
  return (out.Items ?? []).map((item) => item.id).filter((id): id is string => typeof id === 'string');
}

/**
 * A list-members row: its contacts join the list through the marketing feature's own membership
 * write, marked with the import and row. Counted `created` when a contact joined (or this row's own
 * earlier run added it: a replayed chunk), `skipped` when all were members already, and rejected as
 * a duplicate when an earlier row of this file added them.
 */
async function importMemberRow(ctx: RowContext, row: number, values: Record<string, unknown>): Promise<RowOutcome> {
  const parsed = ListMemberRow().safeParse(values);
  if (!parsed.success) return invalid(parsed.error.issues);
  if (!ctx.listId || !scopeFor(ctx.principal, 'marketing:write')) return { kind: 'rejected', reason: 'forbidden: adding list members needs marketing:write' };
  const contactIds = await memberContacts(parsed.data);
  if (contactIds.length === 0) return { kind: 'rejected', reason: parsed.data.contactId ? 'contactId: No such contact' : 'email: No contact has this email' };
  let added = false;
  let earlierRow: number | undefined;
  for (const contactId of contactIds) {
    const result = await addMember(ctx.principal, ctx.listId, contactId, ctx.now, { importId: ctx.importId, row });
    if (result.added || (result.origin?.importId === ctx.importId && result.origin.row === row)) added = true;
    else if (result.origin?.importId === ctx.importId) earlierRow = result.origin.row;
  }
  if (added) return { kind: 'created' };
  if (earlierRow !== undefined) return { kind: 'rejected', reason: `duplicate: row ${earlierRow} of this file names the same contact` };
  return { kind: 'skipped' };
}

/** The live customer a contact row names (by id, or by the email/phone guard). */
async function contactParent(lookup: Record<string, string>): Promise<string | undefined> {
  if (lookup.customerId) return lookup.customerId;
  if (lookup.customerEmail) return guardHolder(keys.unique.email(lookup.customerEmail), 'customerId');
  if (lookup.customerPhone) return guardHolder(keys.unique.phone(lookup.customerPhone), 'customerId');
  return undefined;
}

/**
 * Imports one row (already mapped). Errors the API would answer with a 4xx (a duplicate, a record
 * the importer may not change, an archived customer) reject the row with the API's message; any
 * other error (the database unreachable) is thrown, and the chunk runs again.
 */
export async function importRow(ctx: RowContext, row: number, values: Record<string, unknown>, lookup: Record<string, string>): Promise<RowOutcome> {
  if (ctx.entity === 'list-members') return importMemberRow(ctx, row, values);
  const ops = OPS[ctx.entity];
  const ownId = rowRecordId(ops.prefix, ctx.importId, ctx.createdAt, row);
  try {
    // A replayed chunk: this row's create may have committed before the crash.
    if (ctx.recovering && (await getItem(ops.primary(ownId)))) return { kind: 'created' };
    const parent = ctx.entity === 'contacts' ? await contactParent(lookup) : undefined;
    const matched = await ops.match(values, parent);
    const earlierRow = matched ? importRowOf(matched.id, ctx.importId, ctx.createdAt) : undefined;
    if (matched && earlierRow !== undefined && earlierRow !== row) {
      if (ctx.dedupe !== 'update') return { kind: 'rejected', reason: `duplicate: row ${earlierRow} of this file has the same ${matched.by}` };
      return await ops.update(ctx, matched.id, values);
    }
    if (matched && ctx.dedupe === 'skip') return { kind: 'skipped' };
    if (matched && ctx.dedupe === 'update') return await ops.update(ctx, matched.id, values);
    return await ops.create(ctx, values, ownId, parent);
  } catch (error) {
    if (error instanceof HttpError && error.status < 500) return { kind: 'rejected', reason: `${error.title.toLowerCase()}: ${error.detail ?? error.title}` };
    throw error;
  }
}
