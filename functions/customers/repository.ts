/**
 * DynamoDB access for customers, contacts and their history. Keys come from data/keys.ts; every
 * multi-item change is one transaction whose labelled conditions the service maps to errors.
 * Each read is a single request (GetItem or one Query page).
 */
import { queryIndexPage } from '../data/query';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { batchGetItems } from '../jobs/batch-get';
import { keys, normalizeEmail, normalizePhone } from '../data/keys';
import type { IndexName } from '../data/table';
import { Transaction } from '../data/transaction';
import type { ContactItem, CustomerItem, CustomerSummary } from './model';
import { addCustomerCounters } from '../dashboard/counters';
import { addCustomGuards } from '../customfields/values';

const table = () => config().tableName;

type Stored = Record<string, unknown>;

/** Strips key and bookkeeping attributes the stored item has and the record does not. */
function strip<T>(item: Stored | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, kind: _kind, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, gsi3pk: _e, gsi3sk: _f, gsi4pk: _g, gsi4sk: _h, ...rest } = item;
  return rest as T;
}

/**
 * The profile item. The contact ids and their revision live on the contacts summary beside it
 * (`#CONTACTS`): they change with every contact, and the profile is copied into four indexes and
 * read by other features' condition checks, all billed per started KB.
 */
function customerStored(c: CustomerItem): Stored {
  const { summary: _summary, contactIds: _ids, contactsRev: _rev, ...profile } = c;
  return { ...keys.customer.primary(c.id), ...keys.customer.indexes(c), kind: 'customer', ...profile };
}

/** Attributes of the profile that contact writes keep (a customer change never writes them). */
const CONTACT_MANAGED = new Set(['contactCount', 'primaryContactId']);

/**
 * The UpdateItem of a changed profile: SET what differs from the profile as read, REMOVE what is
 * gone (index keys of a list the customer left, cleared fields). Attributes it does not name —
 * the contact counters, and contactIds/contactsRev on profiles written before the contacts summary
 * existed — are left as they are, so a concurrent contact write is never overwritten.
 */
function profileUpdate(before: CustomerItem, after: CustomerItem): { expression: string; names: Record<string, string>; values: Stored } {
  const old = customerStored(before);
  const now = customerStored(after);
  const sets: string[] = [];
  const removes: string[] = [];
  const names: Record<string, string> = {};
  const values: Stored = {};
  let n = 0;
  for (const name of new Set([...Object.keys(old), ...Object.keys(now)])) {
    if (name === 'pk' || name === 'sk' || CONTACT_MANAGED.has(name)) continue;
    const was = old[name];
    const is = now[name];
    if (is === undefined) {
      if (was === undefined) continue;
      names[`#p${n}`] = name;
      removes.push(`#p${n++}`);
    } else if (JSON.stringify(was) !== JSON.stringify(is)) {
      names[`#p${n}`] = name;
      values[`:p${n}`] = is;
      sets.push(`#p${n} = :p${n++}`);
    }
  }
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
  return { expression, names, values };
}

/** The contacts summary as first written (a customer created with its contact: lead conversion). */
function contactsStored(customerId: string, ids: Set<string>, rev: number): Stored {
  return { ...keys.customer.contacts(customerId), kind: 'customer-contacts', customerId, contactIds: ids, contactsRev: rev };
}

/** Condition: the contacts summary is still at the revision read (no contact added or removed since). */
function contactsUnchanged(rev: number | undefined): { expression: string; values: Stored } {
  return rev
    ? { expression: 'contactsRev = :readRev', values: { ':readRev': rev } }
    : { expression: 'attribute_not_exists(contactsRev) OR contactsRev = :readRev', values: { ':readRev': 0 } };
}

/** Moves the contacts summary on by one contact added (`ADD`) or removed (`DELETE`). */
function touchContacts(tx: Transaction, customerId: string, op: 'ADD' | 'DELETE', contactId: string): void {
  tx.update('customer-contacts', keys.customer.contacts(customerId), {
    expression: `SET kind = :contactsKind, customerId = :contactsOf, contactsRev = if_not_exists(contactsRev, :zeroRev) + :oneRev ${op} contactIds :contactIdSet`,
    values: { ':contactsKind': 'customer-contacts', ':contactsOf': customerId, ':zeroRev': 0, ':oneRev': 1, ':contactIdSet': new Set([contactId]) },
  });
}

/** The list-facing copy of a customer stored once per tag (no internal counters). */
function tagStored(c: CustomerItem, tag: string): Stored {
  const { contactIds: _ids, contactsRev: _rev, primaryContactId: _p, summary: _s, ...visible } = c;
  return { ...keys.customer.tagItem(c, tag), kind: 'customer-tag', ...visible };
}

function contactStored(c: ContactItem): Stored {
  return { ...keys.contact.primary(c.id), ...keys.contact.indexes(c), kind: 'contact', ...c };
}

/** The profile with the summary items beside it (activity, purchases): one strongly consistent Query. */
export async function getCustomer(id: string): Promise<CustomerItem | undefined> {
  const { pk, sk: profileSk } = keys.customer.primary(id);
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': keys.customer.summaryPrefix },
    ConsistentRead: true,
  }));
  const items = out.Items ?? [];
  const profile = items.find((item) => item.sk === profileSk);
  if (!profile) return undefined;
  const activity = items.find((item) => item.sk === keys.customerActivity.primary(id).sk);
  const purchases = items.find((item) => item.sk === keys.customer.purchases(id).sk);
  const contacts = items.find((item) => item.sk === keys.customer.contacts(id).sk);
  const summary: CustomerSummary = {
    lastActivityAt: activity?.lastActivityAt as string | undefined,
    lastPurchaseAt: purchases?.lastPurchaseAt as string | undefined,
    lifetimeValue: purchases?.lifetimeValue as Record<string, number> | undefined,
  };
  // Profiles written before the contacts summary existed hold their contacts' ids themselves;
  // contact writes since then went to the summary (and a removal from either set is applied to
  // both), so the customer's contacts are the union. Their revision is the summary's.
  const ids = new Set<string>([...((profile.contactIds as Set<string> | undefined) ?? []), ...((contacts?.contactIds as Set<string> | undefined) ?? [])]);
  return {
    ...strip<CustomerItem>(profile)!,
    ...(ids.size > 0 ? { contactIds: ids } : { contactIds: undefined }),
    contactsRev: (contacts?.contactsRev as number | undefined) ?? 0,
    summary,
  };
}

export async function getContact(id: string): Promise<ContactItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.contact.primary(id), ConsistentRead: true }));
  return strip<ContactItem>(out.Item);
}

const liveEmail = (c: CustomerItem | undefined) => (c && !c.archivedAt && c.email ? normalizeEmail(c.email) : undefined);
const livePhone = (c: CustomerItem | undefined) => (c && !c.archivedAt && c.phone ? normalizePhone(c.phone) : undefined);
const liveTags = (c: CustomerItem | undefined) => (c && !c.archivedAt ? c.tags : []);

/**
 * Writes a new or changed customer with everything that must agree with it: uniqueness guards for
 * email and phone, tag index copies, contacts' owner copies, and the audit/outbox entry.
 * Conditions (labels): `customer` (version/revision unchanged), `unique:email`, `unique:phone`.
 */
export async function saveCustomer(before: CustomerItem | undefined, after: CustomerItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  addCustomerWrites(tx, before, after, audit);
  await tx.commit();
}

/**
 * Adds everything saveCustomer writes to a caller's transaction (lead conversion creates the
 * customer in its own transaction). Same items, same labelled conditions.
 */
export function addCustomerWrites(tx: Transaction, before: CustomerItem | undefined, after: CustomerItem, audit: Stored): void {
  const ownerChanged = before !== undefined && before.ownerId !== after.ownerId;
  if (before) {
    // Only what changed is written. contactCount as read: the tag copies below repeat it, so a
    // contact added or removed meanwhile must make this write retry, not be undone by it.
    const count = before.contactCount ?? 0;
    tx.update('customer', keys.customer.primary(after.id), profileUpdate(before, after), {
      expression: `version = :v AND ${count === 0 ? '(attribute_not_exists(contactCount) OR contactCount = :count)' : 'contactCount = :count'}`,
      values: { ':v': before.version, ':count': count },
    });
    // An owner change moves every contact's owner copy: the set of contacts must be the one read.
    if (ownerChanged) tx.check('customer', keys.customer.contacts(after.id), contactsUnchanged(before.contactsRev));
  } else {
    tx.put('customer', customerStored(after), { expression: 'attribute_not_exists(pk)' });
    if (after.contactIds && after.contactIds.size > 0) {
      tx.put('customer-contacts', contactsStored(after.id, after.contactIds, after.contactsRev || 1), { expression: 'attribute_not_exists(pk)' });
    }
  }

  const guards: [string, string | undefined, string | undefined, (v: string) => Stored][] = [
    ['unique:email', liveEmail(before), liveEmail(after), (v) => keys.unique.email(v)],
    ['unique:phone', livePhone(before), livePhone(after), (v) => keys.unique.phone(v)],
  ];
  for (const [label, old, now, key] of guards) {
    if (old === now) continue;
    if (old) {
      tx.delete(`${label}:release`, key(old), {
        expression: 'attribute_not_exists(pk) OR customerId = :id',
        values: { ':id': after.id },
      });
    }
    if (now) {
      tx.put(label, { ...key(now), kind: 'unique', customerId: after.id }, { expression: 'attribute_not_exists(pk)' });
    }
  }

  const oldTags = liveTags(before);
  const newTags = liveTags(after);
  for (const tag of oldTags) if (!newTags.includes(tag)) tx.delete('tag', keys.customer.tagKey(after.id, tag));
  for (const tag of newTags) tx.put('tag', tagStored(after, tag));

  if (ownerChanged) {
    for (const contactId of before!.contactIds ?? []) {
      tx.update('contact-owner', keys.contact.primary(contactId), { expression: 'SET ownerId = :owner', values: { ':owner': after.ownerId } }, { expression: 'attribute_exists(pk)' });
    }
  }
  tx.put('audit', audit);
  addCustomGuards(tx, 'customer', after.id, before?.custom, after.custom);
  // The dashboard's customer distribution (functions/dashboard/counters.ts).
  addCustomerCounters(tx, before, after);
}

/** Tag copies repeat the contact count the lists show; keep them in step in the same transaction. */
function countOnTagCopies(tx: Transaction, customer: CustomerItem, delta: number): void {
  for (const tag of liveTags(customer)) {
    tx.update('tag', keys.customer.tagKey(customer.id, tag), {
      expression: 'SET contactCount = if_not_exists(contactCount, :zero) + :delta',
      values: { ':zero': 0, ':delta': delta },
    }, { expression: 'attribute_exists(pk)' });
  }
}

/**
 * A contact that stops being the primary one because another takes its place: its flag, version
 * and audit entry, on condition that it is still primary at the version read.
 */
export interface Demotion {
  contact: ContactItem;
  audit: Stored;
  at: string;
  by: string;
}

/**
 * "One primary contact per customer" holds in the write, not in a read before it: every change of
 * who is primary conditions the customer item on the `primaryContactId` the caller read (absent or
 * that id). Two concurrent "I am primary" writes cannot both pass it: the loser re-reads and sees
 * the winner. Values use their own placeholders so they combine with other conditions.
 */
function pointerIs(read: string | undefined): { expression: string; values: Stored } {
  return read
    ? { expression: 'primaryContactId = :readPrimary', values: { ':readPrimary': read } }
    : { expression: 'attribute_not_exists(primaryContactId)', values: {} };
}

function addDemotion(tx: Transaction, demotion: Demotion): void {
  tx.update('previous-primary', keys.contact.primary(demotion.contact.id), {
    expression: 'SET isPrimary = :notPrimary, version = :demotedVersion, updatedAt = :demotedAt, updatedBy = :demotedBy',
    values: { ':notPrimary': false, ':demotedVersion': demotion.contact.version + 1, ':demotedAt': demotion.at, ':demotedBy': demotion.by },
  }, {
    expression: 'version = :previousVersion AND isPrimary = :wasPrimary',
    values: { ':previousVersion': demotion.contact.version, ':wasPrimary': true },
  });
  tx.put('previous-primary-audit', demotion.audit);
}

/**
 * Adds a contact; the customer's owner must still be the one the contact copies, it must be live
 * and have room, and — when the contact becomes primary — its primary pointer must still be the
 * one read (label `customer` for all of these; the service tells them apart from the old item).
 */
export async function createContact(customer: CustomerItem, contact: ContactItem, audit: Stored, maxContacts: number, demotion?: Demotion): Promise<void> {
  const tx = new Transaction();
  addContactCreation(tx, customer, contact, audit, maxContacts, false, demotion);
  await tx.commit();
}

/**
 * Adds createContact's items to a caller's transaction. With `customerIsNew` the customer is put in
 * the same transaction already carrying the contact (count, ids, primary): a transaction may touch
 * an item once, so only the contact and its audit entry are added then.
 */
export function addContactCreation(tx: Transaction, customer: CustomerItem, contact: ContactItem, audit: Stored, maxContacts: number, customerIsNew = false, demotion?: Demotion): void {
  addCustomGuards(tx, 'contact', contact.id, undefined, contact.custom);
  if (customerIsNew) {
    tx.put('contact', contactStored(contact), { expression: 'attribute_not_exists(pk)' });
    tx.put('audit', audit);
    return;
  }
  tx.put('contact', contactStored(contact), { expression: 'attribute_not_exists(pk)' });
  const pointer = contact.isPrimary ? pointerIs(customer.primaryContactId) : undefined;
  tx.update(
    'customer',
    keys.customer.primary(customer.id),
    {
      expression: `SET ${[
        'contactCount = if_not_exists(contactCount, :zero) + :one',
        ...(contact.isPrimary ? ['primaryContactId = :cid'] : []),
      ].join(', ')}`,
      values: { ':zero': 0, ':one': 1, ...(contact.isPrimary ? { ':cid': contact.id } : {}) },
    },
    {
      expression: `attribute_exists(pk) AND ownerId = :owner AND attribute_not_exists(archivedAt) AND (attribute_not_exists(contactCount) OR contactCount < :max)${pointer ? ` AND ${pointer.expression}` : ''}`,
      values: { ':owner': customer.ownerId, ':max': maxContacts, ...(pointer?.values ?? {}) },
    },
  );
  touchContacts(tx, customer.id, 'ADD', contact.id);
  countOnTagCopies(tx, customer, 1);
  if (contact.isPrimary && demotion) addDemotion(tx, demotion);
  tx.put('audit', audit);
}

/**
 * Saves a changed contact (condition label `contact`: version unchanged). When it becomes primary
 * or stops being primary, `customer` is the customer as read: its pointer must still be what was
 * read (label `customer`), and the previous primary is demoted in the same transaction.
 */
export async function saveContact(before: ContactItem, after: ContactItem, audit: Stored, customer?: CustomerItem, demotion?: Demotion): Promise<void> {
  const tx = new Transaction();
  tx.put('contact', contactStored(after), { expression: 'version = :v', values: { ':v': before.version } });
  addCustomGuards(tx, 'contact', after.id, before.custom, after.custom);
  if (customer && after.isPrimary && !before.isPrimary) {
    const pointer = pointerIs(customer.primaryContactId);
    tx.update('customer', keys.customer.primary(customer.id), { expression: 'SET primaryContactId = :cid', values: { ':cid': after.id } }, {
      expression: `attribute_exists(pk) AND ${pointer.expression}`,
      values: pointer.values,
    });
    if (demotion) addDemotion(tx, demotion);
  } else if (customer && before.isPrimary && !after.isPrimary) {
    if (customer.primaryContactId === after.id) {
      tx.update('customer', keys.customer.primary(after.customerId), { expression: 'REMOVE primaryContactId' }, { expression: 'primaryContactId = :cid', values: { ':cid': after.id } });
    } else {
      // The pointer names another contact (data from before the pointer was guarded): only this
      // contact's flag changes, as long as the pointer still is what was read.
      const pointer = pointerIs(customer.primaryContactId);
      tx.check('customer', keys.customer.primary(after.customerId), { expression: pointer.expression, values: pointer.values });
    }
  }
  tx.put('audit', audit);
  await tx.commit();
}

/** Deletes a contact (label `contact`: version unchanged); a primary one takes the pointer along. */
export async function deleteContact(contact: ContactItem, customer: CustomerItem, audit: Stored, customUnique?: ReadonlySet<string>): Promise<void> {
  const tx = new Transaction();
  addCustomGuards(tx, 'contact', contact.id, contact.custom, undefined, customUnique);
  countOnTagCopies(tx, customer, -1);
  tx.delete('contact', keys.contact.primary(contact.id), { expression: 'version = :v', values: { ':v': contact.version } });
  const ownsPointer = contact.isPrimary && customer.primaryContactId === contact.id;
  tx.update(
    'customer',
    keys.customer.primary(contact.customerId),
    {
      // DELETE from the profile's own set too: profiles from before the contacts summary hold ids.
      expression: `SET contactCount = contactCount - :one DELETE contactIds :ids${ownsPointer ? ' REMOVE primaryContactId' : ''}`,
      values: { ':one': 1, ':ids': new Set([contact.id]) },
    },
    ownsPointer
      ? { expression: 'attribute_exists(pk) AND primaryContactId = :cid', values: { ':cid': contact.id } }
      : { expression: 'attribute_exists(pk)' },
  );
  touchContacts(tx, contact.customerId, 'DELETE', contact.id);
  tx.put('audit', audit);
  await tx.commit();
}

export interface QueryPlan {
  index: IndexName;
  partition: string;
  /** Sort-key prefix (name search). */
  sortPrefix?: string;
  /** Attribute equality filters the chosen index does not cover. */
  filters: Record<string, string>;
  /** Tag filter when the index is not the tag index. */
  tag?: string;
}

export async function queryCustomers(plan: QueryPlan, limit: number, startKey: Record<string, unknown> | undefined) {
  const page = await queryIndexPage<CustomerItem>({
    index: plan.index,
    partition: plan.partition,
    sort: plan.sortPrefix ? { prefix: plan.sortPrefix } : undefined,
    equals: plan.filters,
    contains: plan.tag ? { tags: plan.tag } : undefined,
  }, limit, startKey);
  return { items: page.items, lastKey: page.lastKey };
}

export async function queryContacts(customerId: string, limit: number, startKey: Record<string, unknown> | undefined) {
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.contact.byCustomerPartition(customerId) },
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: (out.Items ?? []).map((i) => strip<ContactItem>(i)!), lastKey: out.LastEvaluatedKey };
}

export async function queryHistory(customerId: string, limit: number, startKey: Record<string, unknown> | undefined) {
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.audit.partition(customerId), ':prefix': keys.audit.prefix },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
}

/** Records by key, strongly consistent: the owners of the records a history page describes (one BatchGetItem per 100 keys). */
export function readRecords(wanted: Record<string, string>[]): Promise<Stored[]> {
  return batchGetItems(wanted, { consistent: true });
}
