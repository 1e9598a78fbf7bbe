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

const table = () => config().tableName;

type Stored = Record<string, unknown>;

/** Strips key and bookkeeping attributes the stored item has and the record does not. */
function strip<T>(item: Stored | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, kind: _kind, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, gsi3pk: _e, gsi3sk: _f, gsi4pk: _g, gsi4sk: _h, ...rest } = item;
  return rest as T;
}

function customerStored(c: CustomerItem): Stored {
  const { summary: _summary, ...profile } = c;
  return { ...keys.customer.primary(c.id), ...keys.customer.indexes(c), kind: 'customer', ...profile };
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
  const summary: CustomerSummary = {
    lastActivityAt: activity?.lastActivityAt as string | undefined,
    lastPurchaseAt: purchases?.lastPurchaseAt as string | undefined,
    lifetimeValue: purchases?.lifetimeValue as Record<string, number> | undefined,
  };
  return { ...strip<CustomerItem>(profile)!, summary };
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
    // contactsRev too: a contact added meanwhile changed the counters the tag copies repeat and,
    // on an owner change, the set of contacts whose owner copy must move.
    tx.put('customer', customerStored(after), {
      expression: 'version = :v AND (contactsRev = :rev OR attribute_not_exists(contactsRev))',
      values: { ':v': before.version, ':rev': before.contactsRev ?? 0 },
    });
  } else {
    tx.put('customer', customerStored(after), { expression: 'attribute_not_exists(pk)' });
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
        'contactsRev = if_not_exists(contactsRev, :zero) + :one',
        ...(contact.isPrimary ? ['primaryContactId = :cid'] : []),
      ].join(', ')} ADD contactIds :ids`,
      values: { ':zero': 0, ':one': 1, ':ids': new Set([contact.id]), ...(contact.isPrimary ? { ':cid': contact.id } : {}) },
    },
    {
      expression: `attribute_exists(pk) AND ownerId = :owner AND attribute_not_exists(archivedAt) AND (attribute_not_exists(contactCount) OR contactCount < :max)${pointer ? ` AND ${pointer.expression}` : ''}`,
      values: { ':owner': customer.ownerId, ':max': maxContacts, ...(pointer?.values ?? {}) },
    },
  );
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
export async function deleteContact(contact: ContactItem, customer: CustomerItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  countOnTagCopies(tx, customer, -1);
  tx.delete('contact', keys.contact.primary(contact.id), { expression: 'version = :v', values: { ':v': contact.version } });
  const ownsPointer = contact.isPrimary && customer.primaryContactId === contact.id;
  tx.update(
    'customer',
    keys.customer.primary(contact.customerId),
    {
      expression: `SET contactCount = contactCount - :one, contactsRev = if_not_exists(contactsRev, :zero) + :one DELETE contactIds :ids${ownsPointer ? ' REMOVE primaryContactId' : ''}`,
      values: { ':one': 1, ':zero': 0, ':ids': new Set([contact.id]) },
    },
    ownsPointer
      ? { expression: 'attribute_exists(pk) AND primaryContactId = :cid', values: { ':cid': contact.id } }
      : { expression: 'attribute_exists(pk)' },
  );
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
