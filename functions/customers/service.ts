/**
 * Customer and contact rules: ownership and row-level scope, duplicate detection, optimistic
 * concurrency, archive/restore, audit. Pure decisions (planList, ownerFor) are exported for unit
 * tests; everything that touches DynamoDB goes through repository.ts.
 */
import { auditItem, diff, toHistoryEntry } from '../audit/audit';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { Conflict, Forbidden, NotFound, PreconditionFailed } from '../http/problem';
import { maskFor } from '../security/masking';
import type { Scope } from '../security/permissions';
import { assertAccess, type Principal } from '../security/principal';
import { type RecordEvent, visibleRecordEvents } from '../security/record-events';
import { duplicateConflict } from '../security/duplicates';
import {
  applyPatch, CONTACT_FIELDS, CONTACT_SENSITIVE, type ContactItem, CUSTOMER_FIELDS, CUSTOMER_SENSITIVE, type CustomerItem,
  MAX_CONTACTS_PER_CUSTOMER, toContact, toCustomer, uniqueTags,
} from './model';
import * as repo from './repository';
import { assignOwner } from '../territories/assign';
import { customerArchived } from './archived';
import { applyCustom, customDefinitionsFor, customUniqueConflict, definitionsOf, resolveCustom, uniqueKeys } from '../customfields/values';
import type { Infer } from '../../schemas/once';
import type { ContactCreate, ContactPatch, CustomerCreate, CustomerListQuery, CustomerPatch, ListQuery } from '../../schemas/customers';

export const DEFAULT_LIMIT = 25;
/** Retries of a PATCH without If-Match that lost a race: re-read, re-apply, write again. */
const MAX_MERGE_ATTEMPTS = 3;

type CustomerInput = Infer<typeof CustomerCreate>;
type PageInput = Infer<typeof ListQuery>;

const view = (principal: Principal, item: CustomerItem) => maskFor('customer', toCustomer(item), principal, item.ownerId);
const contactView = (principal: Principal, item: ContactItem) => maskFor('contact', toContact(item), principal, item.ownerId);

/** The owner of a new customer: the caller by default; only scope `all` may name someone else. */
export function ownerFor(principal: Principal, scope: Scope, requested: string | undefined): string {
  if (requested === undefined || requested === principal.userId) return principal.userId;
  if (scope !== 'all') throw Forbidden('Your role may only create customers you own');
  return requested;
}

/**
 * Without a named owner, a caller with scope `all` gets the territory's owner (rules in
 * functions/territories); a sales rep's own creations stay theirs, and no match keeps the caller.
 */
async function territoryOwner(scope: Scope, body: CustomerInput, now: Date): Promise<string | undefined> {
  if (body.ownerId !== undefined || scope !== 'all') return undefined;
  return assignOwner({ country: body.address?.country, region: body.address?.region, industry: body.industry }, now);
}

/**
 * A failed uniqueness guard as 409 `duplicate`. The holder is read (one GetItem, for every caller
 * alike) so that only a caller who may read it with its personal data learns its id
 * (functions/security/duplicates.ts).
 */
async function duplicateError(principal: Principal, err: ConditionsFailed): Promise<Error | undefined> {
  for (const field of ['email', 'phone'] as const) {
    const label = `unique:${field}`;
    if (err.labels.includes(label)) {
      const existingId = err.items[label]?.customerId as string | undefined;
      const holder = existingId ? await repo.getCustomer(existingId) : undefined;
      return duplicateConflict(principal, field, holder && { kind: 'customer', id: holder.id, ownerId: holder.ownerId });
    }
  }
  return undefined;
}

/** A merged duplicate takes no changes: its records live on the survivor now (functions/merge). */
const mergedConflict = (id: string, survivorId: string) =>
  Conflict(`Customer ${id} was merged into ${survivorId}; change the survivor instead (GET /v1/customers/${survivorId})`);

async function loadVisibleCustomer(principal: Principal, id: string, action: 'customers:read' | 'customers:update' | 'customers:archive' | 'customers:history' | 'contacts:read' | 'contacts:write') {
  const item = await repo.getCustomer(id);
  if (!item) throw NotFound('No such customer');
  assertAccess(principal, action, item.ownerId, 'customer');
  return item;
}

/** `options.id`: the id to give the new record (CSV imports pass one derived from the file row, so a replayed row finds its record instead of creating a second one: functions/imports/ids.ts). */
export async function createCustomer(principal: Principal, scope: Scope, body: CustomerInput, now: Date, options: { id?: string } = {}) {
  const at = now.toISOString();
  const custom = await resolveCustom('customer', undefined, body.custom, true);
  const item: CustomerItem = {
    id: options.id ?? newId('cus'),
    type: body.type,
    name: body.name,
    industry: body.industry,
    tier: body.tier,
    lifecycleStage: body.lifecycleStage,
    source: body.source,
    tags: uniqueTags(body.tags),
    ownerId: (await territoryOwner(scope, body, now)) ?? ownerFor(principal, scope, body.ownerId),
    phone: body.phone,
    email: body.email,
    address: body.address,
    website: body.website,
    taxId: body.taxId,
    custom,
    contactCount: 0,
    contactsRev: 0,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  const changes = diff(undefined, item, CUSTOMER_FIELDS, CUSTOMER_SENSITIVE);
  const audit = auditItem({ customerId: item.id, entityType: 'customer', entityId: item.id, action: 'created', actor: principal, at: now, version: 1, changes, timeline: true });
  try {
    await repo.saveCustomer(undefined, item, audit);
  } catch (err) {
    if (err instanceof ConditionsFailed) throw customUniqueConflict('customer', err.labels) ?? (await duplicateError(principal, err)) ?? err;
    throw err;
  }
  return view(principal, item);
}

export async function getCustomer(principal: Principal, id: string) {
  return view(principal, await loadVisibleCustomer(principal, id, 'customers:read'));
}

type Mutation = (current: CustomerItem) => { next: CustomerItem; action: 'updated' | 'archived' | 'restored' } | undefined;

/**
 * Applies a change with optimistic concurrency. With If-Match, a stale version is a 412. Without
 * it, a lost race re-reads and re-applies the change (no silent lost update either way).
 */
async function mutateCustomer(principal: Principal, action: 'customers:update' | 'customers:archive', id: string, expectedVersion: number | undefined, now: Date, mutation: Mutation) {
  for (let attempt = 1; ; attempt++) {
    const current = await loadVisibleCustomer(principal, id, action);
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const result = mutation(current);
    if (!result) return view(principal, current);
    const next: CustomerItem = { ...result.next, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    const changes = diff(current, next, [...CUSTOMER_FIELDS, 'archivedAt'], CUSTOMER_SENSITIVE);
    // Key events go on the timeline: archive, restore, and updates that change the owner or tier.
    const timeline = result.action !== 'updated' || changes.some((c) => c.field === 'ownerId' || c.field === 'tier');
    const audit = auditItem({ customerId: id, entityType: 'customer', entityId: id, action: result.action, actor: principal, at: now, version: next.version, changes, timeline });
    try {
      await repo.saveCustomer(current, next, audit);
      return view(principal, next);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      const duplicate = customUniqueConflict('customer', err.labels) ?? await duplicateError(principal, err);
      if (duplicate) throw duplicate;
      if (err.labels.includes('customer')) {
        if (expectedVersion !== undefined) throw PreconditionFailed();
        if (attempt < MAX_MERGE_ATTEMPTS) continue;
        throw Conflict('The customer is being changed by someone else right now; retry');
      }
      throw err;
    }
  }
}

export async function updateCustomer(principal: Principal, scope: Scope, id: string, patch: Infer<typeof CustomerPatch>, expectedVersion: number | undefined, now: Date) {
  const customDefs = patch.custom !== undefined ? await customDefinitionsFor('customer', patch.custom) : undefined;
  return mutateCustomer(principal, 'customers:update', id, expectedVersion, now, (current) => {
    if (current.mergedInto) throw mergedConflict(id, current.mergedInto);
    if (current.archivedAt) throw customerArchived(id);
    if (patch.ownerId !== undefined && patch.ownerId !== current.ownerId && scope !== 'all') {
      throw Forbidden('Your role may not reassign customers to another owner');
    }
    const { custom: customPatch, ...plain } = patch;
    const normalized = plain.tags !== undefined ? { ...plain, tags: uniqueTags(plain.tags) } : plain;
    const next = { ...applyPatch(current, normalized), ...(customDefs ? { custom: applyCustom(customDefs, current.custom, customPatch, false) } : {}) };
    const changed = diff(current, next, CUSTOMER_FIELDS, []).length > 0;
    return changed ? { next, action: 'updated' } : undefined;
  });
}

export async function archiveCustomer(principal: Principal, id: string, expectedVersion: number | undefined, now: Date) {
  return mutateCustomer(principal, 'customers:archive', id, expectedVersion, now, (current) =>
    current.archivedAt ? undefined : { next: { ...current, archivedAt: now.toISOString() }, action: 'archived' },
  );
}

export async function restoreCustomer(principal: Principal, id: string, now: Date) {
  return mutateCustomer(principal, 'customers:archive', id, undefined, now, (current) => {
    if (current.mergedInto) throw mergedConflict(id, current.mergedInto);
    if (!current.archivedAt) return undefined;
    const { archivedAt: _archived, ...rest } = current;
    return { next: rest, action: 'restored' };
  });
}

/**
 * Chooses the index for a list: the caller's own partition when their scope is `own`, otherwise
 * the most selective filter given (owner, tag, tier, stage), else all customers by name. Other
 * filters apply as filter expressions on that one Query; `q` narrows the sort key.
 */
export function planList(principal: Principal, scope: Scope, query: Infer<typeof CustomerListQuery>): repo.QueryPlan | 'empty' {
  const archived = query.archived === 'true';
  const sortPrefix = query.q ? keys.customer.namePrefix(query.q) || undefined : undefined;
  const filters: Record<string, string> = {};
  let ownerId = query.ownerId;
  if (scope === 'own') {
    if (ownerId !== undefined && ownerId !== principal.userId) return 'empty';
    ownerId = principal.userId;
  }
  if (archived) {
    // Archived customers: the owner's archived partition (gsi2) — always for scope own — or all
    // archived (gsi1); tier and stage apply on top.
    for (const field of ['tier', 'lifecycleStage'] as const) if (query[field]) filters[field] = query[field]!;
    if (ownerId) return { index: 'gsi2', partition: keys.customer.archivedOwnerPartition(ownerId), sortPrefix, filters, tag: query.tag };
    return { index: 'gsi1', partition: keys.customer.allPartition(true), sortPrefix, filters, tag: query.tag };
  }
  if (query.tier) filters.tier = query.tier;
  if (query.lifecycleStage) filters.lifecycleStage = query.lifecycleStage;
  if (ownerId) {
    return { index: 'gsi2', partition: keys.customer.ownerPartition(ownerId), sortPrefix, filters, tag: query.tag };
  }
  if (query.tag) return { index: 'gsi1', partition: keys.customer.tagPartition(query.tag), sortPrefix, filters };
  if (query.tier) {
    delete filters.tier;
    return { index: 'gsi3', partition: keys.customer.tierPartition(query.tier), sortPrefix, filters };
  }
  if (query.lifecycleStage) {
    delete filters.lifecycleStage;
    return { index: 'gsi4', partition: keys.customer.stagePartition(query.lifecycleStage), sortPrefix, filters };
  }
  return { index: 'gsi1', partition: keys.customer.allPartition(false), sortPrefix, filters };
}

const fingerprintOf = (plan: repo.QueryPlan) => JSON.stringify([plan.index, plan.partition, plan.sortPrefix ?? '', plan.filters, plan.tag ?? '']);

export async function listCustomers(principal: Principal, scope: Scope, query: Infer<typeof CustomerListQuery>) {
  const plan = planList(principal, scope, query);
  if (plan === 'empty') return { items: [], nextCursor: null };
  const fingerprint = fingerprintOf(plan);
  const startKey = await decodeCursor(query.cursor, fingerprint);
  const page = await repo.queryCustomers(plan, query.limit ?? DEFAULT_LIMIT, startKey);
  return {
    items: page.items.map((item) => view(principal, item)),
    nextCursor: await encodeCursor(page.lastKey, fingerprint),
  };
}

/**
 * One Query page of the customer's audit entries, each shown only to callers who may read the
 * record it describes (functions/security/record-events.ts; for an own-scope caller, deals and
 * other records with their own owner cost one BatchGetItem per page). Hidden entries are left
 * out, so a page can hold fewer than `limit` items.
 */
export async function customerHistory(principal: Principal, id: string, query: PageInput) {
  const customer = await loadVisibleCustomer(principal, id, 'customers:history');
  const fingerprint = `history:${id}`;
  const page = await repo.queryHistory(id, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  const visible = await visibleRecordEvents(principal, customer.ownerId, page.items as unknown as RecordEvent[], repo.readRecords);
  return { items: visible.map((item) => toHistoryEntry(item as unknown as Record<string, unknown>)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

// Contacts ---------------------------------------------------------------------------------------

/**
 * Adds a contact. Whether it becomes primary (asked for, or the first of the customer) is decided
 * from the customer as read, and the write is conditioned on that read (repository `pointerIs`):
 * a concurrent create or update that changed the primary contact makes this one re-read and decide
 * again, so the customer never ends up with two primary contacts. `options.id`: the id to give the
 * new contact (CSV imports derive it from the file row: functions/imports/ids.ts).
 */
export async function createContact(principal: Principal, customerId: string, body: Infer<typeof ContactCreate>, now: Date, options: { id?: string } = {}) {
  const custom = await resolveCustom('contact', undefined, body.custom, true);
  for (let attempt = 1; ; attempt++) {
    const customer = await loadVisibleCustomer(principal, customerId, 'contacts:write');
    if (customer.archivedAt) throw customerArchived(customerId);
    if ((customer.contactCount ?? 0) >= MAX_CONTACTS_PER_CUSTOMER) {
      throw Conflict(`A customer can have at most ${MAX_CONTACTS_PER_CUSTOMER} contacts`);
    }
    const at = now.toISOString();
    const contact: ContactItem = {
      id: options.id ?? newId('con'),
      customerId,
      ownerId: customer.ownerId,
      firstName: body.firstName,
      lastName: body.lastName,
      jobTitle: body.jobTitle,
      email: body.email,
      phone: body.phone,
      mobile: body.mobile,
      // The first contact of a customer is its primary contact unless said otherwise.
      isPrimary: body.isPrimary ?? !customer.primaryContactId,
      notes: body.notes,
      custom,
      version: 1,
      createdAt: at,
      updatedAt: at,
      createdBy: principal.userId,
      updatedBy: principal.userId,
    };
    const changes = diff(undefined, contact, CONTACT_FIELDS, CONTACT_SENSITIVE);
    const audit = auditItem({ customerId, entityType: 'contact', entityId: contact.id, action: 'created', actor: principal, at: now, version: 1, changes, timeline: true });
    const demotion = contact.isPrimary ? await demotionOf(principal, customer, contact.id, now) : undefined;
    try {
      await repo.createContact(customer, contact, audit, MAX_CONTACTS_PER_CUSTOMER, demotion);
      return contactView(principal, contact);
    } catch (err) {
      if (err instanceof ConditionsFailed) {
        const taken = customUniqueConflict('contact', err.labels);
        if (taken) throw taken;
      }
      if (!(err instanceof ConditionsFailed) || !(err.labels.includes('customer') || err.labels.includes('previous-primary'))) throw err;
      // Archived, full, reassigned or a new primary meanwhile: the next round re-reads and decides.
      if (attempt < MAX_PRIMARY_ATTEMPTS) {
        await backOff(attempt);
        continue;
      }
      throw Conflict('The customer changed (owner, archive, contacts or primary contact) while adding the contact; retry');
    }
  }
}

/** Retries of writes that lost a race on the customer's primary contact. */
const MAX_PRIMARY_ATTEMPTS = 6;
const backOff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 25));

/**
 * The demotion of the customer's current primary contact when `newPrimaryId` takes its place
 * (one GetItem), with its own audit entry (`isPrimary` true → false); none when there is no
 * current primary, or the pointer names a contact that is gone or not flagged.
 */
async function demotionOf(principal: Principal, customer: CustomerItem, newPrimaryId: string, now: Date): Promise<repo.Demotion | undefined> {
  const previousId = customer.primaryContactId;
  if (!previousId || previousId === newPrimaryId) return undefined;
  const previous = await repo.getContact(previousId);
  if (!previous || !previous.isPrimary) return undefined;
  const after = { ...previous, isPrimary: false };
  const changes = diff(previous, after, CONTACT_FIELDS, CONTACT_SENSITIVE);
  const audit = auditItem({ customerId: customer.id, entityType: 'contact', entityId: previousId, action: 'updated', actor: principal, at: now, version: previous.version + 1, changes });
  return { contact: previous, audit, at: now.toISOString(), by: principal.userId };
}

async function loadVisibleContact(principal: Principal, id: string, action: 'contacts:read' | 'contacts:write') {
  const item = await repo.getContact(id);
  if (!item) throw NotFound('No such contact');
  assertAccess(principal, action, item.ownerId, 'contact');
  return item;
}

export async function getContact(principal: Principal, id: string) {
  return contactView(principal, await loadVisibleContact(principal, id, 'contacts:read'));
}

export async function updateContact(principal: Principal, id: string, patch: Infer<typeof ContactPatch>, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await loadVisibleContact(principal, id, 'contacts:write');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const { custom: customPatch, ...plain } = patch;
    const custom = await resolveCustom('contact', current.custom, customPatch, false);
    const next = { ...applyPatch(current, plain), custom, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    const changes = diff(current, next, CONTACT_FIELDS, CONTACT_SENSITIVE);
    if (changes.length === 0) return contactView(principal, current);
    // A change of who is primary is written against the customer's pointer as read now.
    const primaryChanges = !!next.isPrimary !== !!current.isPrimary;
    const customer = primaryChanges ? await repo.getCustomer(current.customerId) : undefined;
    if (primaryChanges && !customer) throw NotFound('No such contact');
    const demotion = customer && next.isPrimary ? await demotionOf(principal, customer, id, now) : undefined;
    const audit = auditItem({ customerId: current.customerId, entityType: 'contact', entityId: id, action: 'updated', actor: principal, at: now, version: next.version, changes });
    try {
      await repo.saveContact(current, next, audit, customer, demotion);
      return contactView(principal, next);
    } catch (err) {
      if (err instanceof ConditionsFailed) {
        const taken = customUniqueConflict('contact', err.labels);
        if (taken) throw taken;
      }
      await afterLostRace(err, expectedVersion, attempt, 'The contact is being changed by someone else right now; retry');
    }
  }
}

/**
 * After a contact write lost a race (its version or the customer's primary-contact pointer moved):
 * 412 when the client pinned the contact's version with If-Match, else back off for another
 * attempt, or 409 once the attempts are used up. Any other error is rethrown.
 */
async function afterLostRace(err: unknown, expectedVersion: number | undefined, attempt: number, conflict: string): Promise<void> {
  if (!(err instanceof ConditionsFailed)) throw err;
  if (expectedVersion !== undefined && err.labels.includes('contact')) throw PreconditionFailed();
  if (attempt >= MAX_PRIMARY_ATTEMPTS) throw Conflict(conflict);
  await backOff(attempt);
}

export async function deleteContact(principal: Principal, id: string, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await loadVisibleContact(principal, id, 'contacts:write');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const customer = await repo.getCustomer(current.customerId);
    if (!customer) throw NotFound('No such contact');
    const changes = diff(current, undefined, CONTACT_FIELDS, CONTACT_SENSITIVE);
    const audit = auditItem({ customerId: current.customerId, entityType: 'contact', entityId: id, action: 'deleted', actor: principal, at: now, version: current.version + 1, changes, timeline: true });
    try {
      await repo.deleteContact(current, customer, audit, current.custom ? uniqueKeys(await definitionsOf('contact')) : undefined);
      return;
    } catch (err) {
      // The contact changed (e.g. demoted by a new primary) or the customer's pointer moved.
      await afterLostRace(err, expectedVersion, attempt, 'The contact or its customer changed while deleting the contact; retry');
    }
  }
}

export async function listContacts(principal: Principal, customerId: string, query: PageInput) {
  const customer = await loadVisibleCustomer(principal, customerId, 'contacts:read');
  const fingerprint = `contacts:${customerId}`;
  const page = await repo.queryContacts(customerId, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return {
    items: page.items.map((item) => contactView(principal, { ...item, ownerId: customer.ownerId })),
    nextCursor: await encodeCursor(page.lastKey, fingerprint),
  };
}

