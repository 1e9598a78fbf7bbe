/**
 * Lead rules: ownership (territories when no owner is named), row-level scope, database-enforced
 * duplicate detection against open leads and live customers, optimistic concurrency, hard delete,
 * and conversion — customer (or a linked one), contact, optional deal and the lead's new status in
 * one transaction. Pure decisions (planList, ownerOf) are exported for unit tests.
 */
import { auditItem, diff } from '../audit/audit';
import { addContactCreation, addCustomerWrites, getCustomer, readRecords } from '../customers/repository';
import { customerArchived, wasArchived } from '../customers/archived';
import { CONTACT_FIELDS, CONTACT_SENSITIVE, type ContactItem, CUSTOMER_FIELDS, CUSTOMER_SENSITIVE, type CustomerItem, MAX_CONTACTS_PER_CUSTOMER } from '../customers/model';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed } from '../http/problem';
import { maskFor } from '../security/masking';
import type { Scope } from '../security/permissions';
import { assertAccess, canAccess, type Principal } from '../security/principal';
import { type DuplicateHolder, duplicateConflict } from '../security/duplicates';
import { assignOwner } from '../territories/assign';
import { addDealStep, type DealRequest } from './deal-step';
import { assertCampaignExists } from '../marketing/attribution';
import { type ConsentItem, consentWrite, SIGNUP_USER_ID } from '../marketing/consent';
import { getItem } from '../marketing/store';
import { customerNameOf, LEAD_FIELDS, LEAD_SENSITIVE, type LeadItem, toLead } from './model';
import * as repo from './repository';
import { carriedCustom, customUniqueConflict, customUniqueConflictOf, definitionsOf, resolveCustom, uniqueKeys } from '../customfields/values';
import { applyPatch } from '../data/records';
import type { Infer } from '../../schemas/once';
import type { LeadConvert, LeadCreate, LeadListQuery, LeadPatch } from '../../schemas/leads';

export const DEFAULT_LIMIT = 25;
const MAX_ATTEMPTS = 3;


const view = (principal: Principal, item: LeadItem) => maskFor('lead', toLead(item), principal, item.ownerId);

/** Lead events carry the lead's id; a converted lead's also the customer it became. */
export function leadAudit(principal: Principal, before: LeadItem | undefined, after: LeadItem, action: 'created' | 'updated' | 'deleted' | 'converted', now: Date) {
  const changes = diff(before, action === 'deleted' ? undefined : after, [...LEAD_FIELDS, 'convertedCustomerId', 'convertedContactId', 'convertedDealId'], LEAD_SENSITIVE);
  const item = auditItem({ customerId: after.convertedCustomerId ?? '', entityType: 'lead', entityId: after.id, action, actor: principal, at: now, version: after.version, changes });
  return { ...item, ...keys.lead.audit(after.id, item.at as string, item.id as string) };
}

/** A cancelled transaction that lost a race with another one (not a failed condition): retry. */
const isTransactionConflict = (err: unknown) => {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  return e?.name === 'TransactionConflictException' || (e?.name === 'TransactionCanceledException' && !!e.CancellationReasons?.some((r) => r.Code === 'TransactionConflict'));
};

async function commitRetrying(write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!isTransactionConflict(err) || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
    }
  }
}

/**
 * The holder of a taken email or phone, read to decide what the 409 may name: the same one
 * request whether it is a lead or a customer, so not even the cost tells them apart.
 */
async function readHolder(kind: 'lead' | 'customer', id: string | undefined): Promise<DuplicateHolder | undefined> {
  const [holder] = await readRecords([kind === 'lead' ? keys.lead.primary(id ?? '-') : keys.customer.primary(id ?? '-')]);
  return holder && id ? { kind, id, ownerId: holder.ownerId as string | undefined } : undefined;
}

/**
 * Maps a failed duplicate condition to 409 `duplicate`, naming the holder (`existingId`, its kind)
 * only to a caller who may read it with its personal data (functions/security/duplicates.ts).
 */
async function duplicateError(principal: Principal, err: ConditionsFailed): Promise<Error | undefined> {
  for (const field of ['email', 'phone'] as const) {
    for (const kind of ['lead', 'customer'] as const) {
      const label = `${kind}-unique:${field}`;
      if (!err.labels.includes(label)) continue;
      const holder = err.items[label];
      const existingId = (kind === 'lead' ? holder?.leadId : holder?.customerId) as string | undefined;
      return duplicateConflict(principal, field, await readHolder(kind, existingId));
    }
  }
  return undefined;
}

/** The owner of a new lead: the named one (scope all only), the territory's, or the caller. */
export async function ownerOf(principal: Principal, scope: Scope, body: Pick<Infer<typeof LeadCreate>, 'ownerId' | 'country' | 'region' | 'industry'>, now: Date): Promise<string> {
  const requested = body.ownerId;
  if (requested !== undefined && requested !== principal.userId) {
    if (scope !== 'all') throw Forbidden('Your role may only create leads you own');
    return requested;
  }
  if (requested === undefined && scope === 'all') {
    const assigned = await assignOwner({ country: body.country, region: body.region, industry: body.industry }, now);
    if (assigned) return assigned;
  }
  return principal.userId;
}

/** `options.id`: the id to give the new record (CSV imports pass one derived from the file row, so a replayed row finds its record instead of creating a second one: functions/imports/ids.ts). */
export async function createLead(principal: Principal, scope: Scope, body: Infer<typeof LeadCreate>, now: Date, options: { id?: string } = {}) {
  const at = now.toISOString();
  await assertCampaignExists(body.campaignId, undefined);
  const custom = await resolveCustom('lead', undefined, body.custom, true);
  // The body holds the client's lead fields only (the schema is strict; an absent field is no key).
  const item: LeadItem = {
    ...body,
    custom,
    id: options.id ?? newId('led'),
    status: body.status ?? 'new',
    ownerId: await ownerOf(principal, scope, body, now),
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  try {
    await commitRetrying(() => repo.saveLead(undefined, item, leadAudit(principal, undefined, item, 'created', now)));
  } catch (err) {
    if (err instanceof ConditionsFailed) throw customUniqueConflict('lead', err.labels) ?? (await duplicateError(principal, err)) ?? err;
    throw err;
  }
  return view(principal, item);
}

async function loadVisibleLead(principal: Principal, id: string, action: 'leads:read' | 'leads:write' | 'leads:convert') {
  const item = await repo.getLead(id);
  if (!item) throw NotFound('No such lead');
  assertAccess(principal, action, item.ownerId, 'lead');
  return item;
}

export async function getLead(principal: Principal, id: string) {
  return view(principal, await loadVisibleLead(principal, id, 'leads:read'));
}

/** PATCH with optimistic concurrency: If-Match stale → 412; without it a lost race re-applies. */
export async function updateLead(principal: Principal, scope: Scope, id: string, patch: Infer<typeof LeadPatch>, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await loadVisibleLead(principal, id, 'leads:write');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    if (current.status === 'converted') throw Conflict('The lead is converted; change the customer, contact or deal instead');
    if (patch.ownerId !== undefined && patch.ownerId !== current.ownerId && scope !== 'all') throw Forbidden('Your role may not reassign leads to another owner');
    const { custom: customPatch, ...plain } = patch;
    const next: LeadItem = { ...applyPatch(current, plain), custom: await resolveCustom('lead', current.custom, customPatch, false) };
    await assertCampaignExists(next.campaignId, current.campaignId);
    if (next.status === 'disqualified' && !next.disqualifiedReason) {
      throw BadRequest('A disqualified lead needs a reason', [{ path: 'disqualifiedReason', message: 'Required when status is disqualified' }]);
    }
    if (diff(current, next, LEAD_FIELDS, []).length === 0) return view(principal, current);
    const after: LeadItem = { ...next, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    try {
      await commitRetrying(() => repo.saveLead(current, after, leadAudit(principal, current, after, 'updated', now)));
      return view(principal, after);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      const duplicate = customUniqueConflict('lead', err.labels) ?? await duplicateError(principal, err);
      if (duplicate) throw duplicate;
      if (!err.labels.includes('lead')) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The lead is being changed by someone else right now; retry');
    }
  }
}

/**
 * Hard delete (leads are prospecting data, not a record of business: a deleted lead must not keep
 * blocking the same person from being captured again, and erasure requests need it gone). The
 * audit entry stays. A converted lead is the record of where its customer came from: 409.
 */
export async function deleteLead(principal: Principal, id: string, expectedVersion: number | undefined, now: Date) {
  const current = await loadVisibleLead(principal, id, 'leads:write');
  if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
  if (current.status === 'converted') throw Conflict('A converted lead is kept as the origin of its customer; it cannot be deleted');
  try {
    const customUnique = current.custom ? uniqueKeys(await definitionsOf('lead')) : undefined;
    await commitRetrying(() => repo.deleteLead(current, customUnique, leadAudit(principal, current, { ...current, version: current.version + 1 }, 'deleted', now)));
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('lead')) {
      if (expectedVersion !== undefined) throw PreconditionFailed();
      throw Conflict('The lead changed while deleting it; fetch it again and retry');
    }
    throw err;
  }
}

/**
 * The index for a list: the caller's owner partition for scope `own` (or `ownerId`), else status,
 * else source, else all leads. Other filters apply as filter expressions; `q` narrows the sort key.
 */
export function planList(principal: Principal, scope: Scope, query: Infer<typeof LeadListQuery>): repo.LeadQueryPlan | 'empty' {
  const sortPrefix = query.q ? keys.customer.namePrefix(query.q) || undefined : undefined;
  const filters: Record<string, string> = {};
  let ownerId = query.ownerId;
  if (scope === 'own') {
    if (ownerId !== undefined && ownerId !== principal.userId) return 'empty';
    ownerId = principal.userId;
  }
  if (query.status) filters.status = query.status;
  if (query.source) filters.source = query.source;
  if (ownerId) return { index: 'gsi2', partition: keys.lead.ownerPartition(ownerId), sortPrefix, filters };
  if (query.status) {
    delete filters.status;
    return { index: 'gsi3', partition: keys.lead.statusPartition(query.status), sortPrefix, filters };
  }
  if (query.source) {
    delete filters.source;
    return { index: 'gsi4', partition: keys.lead.sourcePartition(query.source), sortPrefix, filters };
  }
  return { index: 'gsi1', partition: keys.lead.allPartition, sortPrefix, filters };
}

export async function listLeads(principal: Principal, scope: Scope, query: Infer<typeof LeadListQuery>) {
  const plan = planList(principal, scope, query);
  if (plan === 'empty') return { items: [], nextCursor: null };
  const fingerprint = `leads:${JSON.stringify([plan.index, plan.partition, plan.sortPrefix ?? '', plan.filters])}`;
  const page = await repo.queryLeads(plan, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map((item) => view(principal, item)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

// Conversion --------------------------------------------------------------------------------------

const alreadyConverted = (lead: LeadItem) =>
  Conflict(
    `The lead was already converted: customer ${lead.convertedCustomerId}, contact ${lead.convertedContactId}${lead.convertedDealId ? `, deal ${lead.convertedDealId}` : ''}`,
    lead.convertedCustomerId,
  );

export type ConvertBody = Infer<typeof LeadConvert>;

/**
 * Converts a lead in ONE transaction: the customer (new, or the linked one, which must still have
 * the owner read, be live and have room for a contact), the contact, optionally the deal (deals
 * feature's addDealCreation), and the lead → converted with its guards released. The lead's
 * condition (version read AND status ≠ converted) makes a repeated or concurrent convert fail as a
 * whole: it can never create a second customer.
 */
export async function convertLead(principal: Principal, id: string, body: ConvertBody, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const lead = await loadVisibleLead(principal, id, 'leads:convert');
    if (lead.status === 'converted') throw alreadyConverted(lead);
    if (lead.status === 'disqualified') throw Conflict('A disqualified lead cannot be converted; set it back to working or qualified first');
    const at = now.toISOString();
    const tx = new Transaction();

    let customer: CustomerItem;
    const contactId = newId('con');
    const linked = body.customerId !== undefined;
    // The lead's custom values whose key the customer's (a new one only) or the contact's fields
    // define too, valid by those fields' rules (docs/custom-fields.md, "Lead conversion").
    const customerCustom = lead.custom && !linked ? carriedCustom(await definitionsOf('customer'), lead.custom) : undefined;
    const contactCustom = lead.custom ? carriedCustom(await definitionsOf('contact'), lead.custom) : undefined;
    if (linked) {
      const existing = await getCustomer(body.customerId!);
      if (!existing || !canAccess(principal, 'customers:read', existing.ownerId)) throw NotFound('No such customer');
      if (existing.archivedAt) throw customerArchived(existing.id);
      if ((existing.contactCount ?? 0) >= MAX_CONTACTS_PER_CUSTOMER) throw Conflict(`A customer can have at most ${MAX_CONTACTS_PER_CUSTOMER} contacts`);
      customer = existing;
    } else {
      const { type, name } = customerNameOf(lead);
      customer = {
        id: newId('cus'),
        type,
        name,
        industry: lead.industry,
        lifecycleStage: body.createDeal ? 'opportunity' : 'prospect',
        source: lead.source,
        tags: [],
        ownerId: lead.ownerId,
        // The lead's contact data moves to the customer too, so its uniqueness guards keep
        // blocking a duplicate lead of the same person after conversion.
        email: lead.email,
        phone: lead.phone,
        ...(lead.country ? { address: { country: lead.country, ...(lead.region ? { region: lead.region } : {}) } } : {}),
        ...(customerCustom ? { custom: customerCustom } : {}),
        contactCount: 1,
        contactIds: new Set([contactId]),
        contactsRev: 1,
        primaryContactId: contactId,
        version: 1,
        createdAt: at,
        updatedAt: at,
        createdBy: principal.userId,
        updatedBy: principal.userId,
      };
      for (const key of Object.keys(customer) as (keyof CustomerItem)[]) if (customer[key] === undefined) delete customer[key];
      const changes = diff(undefined, customer, CUSTOMER_FIELDS, CUSTOMER_SENSITIVE);
      addCustomerWrites(tx, undefined, customer, auditItem({ customerId: customer.id, entityType: 'customer', entityId: customer.id, action: 'created', actor: principal, at: now, version: 1, changes, timeline: true }));
    }

    const contact: ContactItem = {
      id: contactId,
      customerId: customer.id,
      ownerId: customer.ownerId,
      ...(lead.firstName ? { firstName: lead.firstName } : {}),
      lastName: lead.lastName,
      ...(lead.title ? { jobTitle: lead.title } : {}),
      ...(lead.email ? { email: lead.email } : {}),
      ...(lead.phone ? { phone: lead.phone } : {}),
      ...(contactCustom ? { custom: contactCustom } : {}),
      isPrimary: linked ? !customer.primaryContactId : true,
      version: 1,
      createdAt: at,
      updatedAt: at,
      createdBy: principal.userId,
      updatedBy: principal.userId,
    };
    const contactChanges = diff(undefined, contact, CONTACT_FIELDS, CONTACT_SENSITIVE);
    addContactCreation(
      tx, customer, contact,
      auditItem({ customerId: customer.id, entityType: 'contact', entityId: contact.id, action: 'created', actor: principal, at: now, version: 1, changes: contactChanges, timeline: true }),
      MAX_CONTACTS_PER_CUSTOMER, !linked,
    );

    // A confirmed sign-up (double opt-in, functions/marketing/signup.ts) passes its email opt-in on
    // to the contact, with its original source and time (one GetItem, only for leads the sign-up
    // form created: no other lead has a consent of its own).
    const signupConsent = lead.createdBy === SIGNUP_USER_ID ? await getItem<ConsentItem>(keys.consent.primary(lead.id, 'email')) : undefined;
    if (signupConsent?.status === 'opted_in') {
      consentWrite(tx, { contactId: contact.id, channel: 'email', from: 'unknown', to: 'opted_in', source: signupConsent.source, note: `carried over from lead ${lead.id}`, by: signupConsent.by, at: signupConsent.at, expectedVersion: 0 });
    }

    const dealId = body.createDeal
      ? await addDealStep(tx, { ...body.createDeal, customerId: customer.id, contactId: contact.id, ownerId: customer.ownerId, leadId: lead.id, ...(lead.campaignId ? { campaignId: lead.campaignId } : {}) }, principal, now)
      : undefined;

    const after: LeadItem = {
      ...lead,
      status: 'converted',
      convertedAt: at,
      convertedCustomerId: customer.id,
      convertedContactId: contact.id,
      ...(dealId ? { convertedDealId: dealId } : {}),
      version: lead.version + 1,
      updatedAt: at,
      updatedBy: principal.userId,
    };
    repo.addLeadPut(tx, lead, after);
    repo.addLeadGuards(tx, lead, after);
    tx.put('lead-audit', leadAudit(principal, lead, after, 'converted', now));

    try {
      await tx.commit();
      return { lead: view(principal, after), customerId: customer.id, contactId: contact.id, ...(dealId ? { dealId } : {}), customerCreated: !linked };
    } catch (err) {
      // Cancelled for a conflict with another transaction (not a failed condition): nothing was
      // written; back off and run the conversion again from fresh reads.
      if (isTransactionConflict(err) && attempt < MAX_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
        continue;
      }
      if (err instanceof ConditionsFailed) {
        const customUnique = customUniqueConflictOf(err);
        if (customUnique && !err.labels.includes('lead')) throw customUnique;
        if (err.labels.includes('lead')) {
          const now2 = await repo.getLead(id);
          if (now2?.status === 'converted') throw alreadyConverted(now2);
          if (attempt < MAX_ATTEMPTS) continue;
          throw Conflict('The lead is being changed by someone else right now; retry');
        }
        for (const field of ['email', 'phone'] as const) {
          if (err.labels.includes(`unique:${field}`)) {
            const existingId = err.items[`unique:${field}`]?.customerId as string | undefined;
            throw duplicateConflict(principal, field, await readHolder('customer', existingId), 'convert with customerId to link it');
          }
        }
        if (err.labels.includes('customer')) {
          if (linked && wasArchived(err.items.customer)) throw customerArchived(customer.id);
          if (attempt < MAX_ATTEMPTS) continue;
          throw Conflict('The customer changed (owner, archive or contact limit) while converting; retry');
        }
        throw err;
      }
      if (isTransactionConflict(err)) {
        const now2 = await repo.getLead(id);
        if (now2?.status === 'converted') throw alreadyConverted(now2);
        if (attempt < MAX_ATTEMPTS + 2) {
          await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
          continue;
        }
      }
      throw err;
    }
  }
}
