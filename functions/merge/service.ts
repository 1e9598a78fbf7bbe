/**
 * Merging a duplicate customer into a survivor (`POST /v1/customers/{survivorId}/merge`
 * `{duplicateId}`), as a job that survives interruption:
 *
 * 1. **Freeze** (one transaction): the job item is created (`moving`), and the duplicate is archived
 *    with `mergedInto` — through the customers feature's own write (guards released, tag copies
 *    removed, dashboard counters moved, a `customer.merged` audit entry). From then on nothing new
 *    can be added to the duplicate (every such write checks the customer is live), so the set of
 *    records to move only shrinks.
 * 2. **Move**, kind by kind, in chunks of at most CHUNK records: each chunk is one transaction of
 *    the records' updates (customer id, index keys; contacts also take the survivor's owner and
 *    stop being primary), the counters that follow them (contacts: both profiles' `contactCount`,
 *    both contacts summaries, the survivor's tag copies), and the job's progress. Every record's
 *    update is conditioned on still belonging to the duplicate, so a chunk can never apply twice.
 * 3. **Finish** (one transaction): the duplicate's purchase summary is added to the survivor's,
 *    the survivor's activity tracker moves forward to the duplicate's later activity and follow-up,
 *    the job is marked `done`, and the survivor gets its `customer.merged` audit entry. The sums
 *    are added only in the transaction that moves the job from `moving` to `done`, so a repeated
 *    finish cannot add them twice; the tracker only ever takes the later of two times.
 *
 * A retry of the same request (a crash, a timeout, a 503) finds the job and continues from what is
 * still on the duplicate; a retry after `done` answers the same result. Nothing is moved twice and
 * no counter counts twice.
 */
import { getTracker, type Tracker } from '../activities/repository';
import { auditItem, diff } from '../audit/audit';
import { customerArchived } from '../customers/archived';
import { addCustomerWrites, getCustomer } from '../customers/repository';
import { CUSTOMER_FIELDS, CUSTOMER_SENSITIVE, type CustomerItem, MAX_CONTACTS_PER_CUSTOMER, toCustomer } from '../customers/model';
import type { CustomValues } from '../customfields/model';
import { CUSTOM_UNIQUE_LABEL, definitionsOf, uniqueKeys, uniqueValueKey } from '../customfields/values';
import { keys } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { BadRequest, Conflict, NotFound } from '../http/problem';
import { maskFor } from '../security/masking';
import type { Principal } from '../security/principal';
import { MERGED_KINDS } from '../../schemas/merge';
import * as repo from './repository';

/** Records per chunk transaction: a contacts chunk adds ≤ 26 counter items (20 tag copies), within the 100-item limit. */
export const CHUNK = 40;
/** Rounds of a chunk that lost a race (a record changed, the survivor's owner or tags moved). */
const MAX_CHUNK_ATTEMPTS = 4;

const zeroMoved = (): Record<repo.MergedKind, number> => ({ contacts: 0, activities: 0, assets: 0, orders: 0, contracts: 0, tickets: 0, tasks: 0, deals: 0, quotes: 0 });

async function loadCustomer(id: string): Promise<CustomerItem> {
  const item = await getCustomer(id);
  if (!item) throw NotFound('No such customer');
  return item;
}

export async function mergeCustomers(principal: Principal, survivorId: string, duplicateId: string, now: Date) {
  if (survivorId === duplicateId) throw BadRequest('A customer cannot be merged into itself', [{ path: 'duplicateId', message: 'Must differ from the customer in the path' }]);
  const survivor = await loadCustomer(survivorId);
  if (survivor.mergedInto) throw Conflict(`Customer ${survivorId} was itself merged into ${survivor.mergedInto}; merge into that one`);
  if (survivor.archivedAt) throw customerArchived(survivorId);
  let job = await repo.getJob(duplicateId);
  if (job && job.survivorId !== survivorId) throw Conflict(`Customer ${duplicateId} is being merged, or was merged, into ${job.survivorId}`);
  if (!job) job = await freeze(principal, survivor, await loadCustomer(duplicateId), now);
  if (job.state !== 'done') {
    for (const kind of MERGED_KINDS) await moveAll(kind, duplicateId, survivorId, now);
    await finish(principal, survivorId, duplicateId, now);
    job = (await repo.getJob(duplicateId))!;
  }
  const merged = await loadCustomer(survivorId);
  // A job from before a kind existed has no counter for it.
  return { survivor: maskFor('customer', toCustomer(merged), principal, merged.ownerId), duplicateId, state: 'done' as const, moved: { ...zeroMoved(), ...job.moved } };
}

/** Step 1: the job and the archived duplicate, together. */
async function freeze(principal: Principal, survivor: CustomerItem, duplicate: CustomerItem, now: Date): Promise<repo.MergeJob> {
  if (duplicate.mergedInto) throw Conflict(`Customer ${duplicate.id} was already merged into ${duplicate.mergedInto}`);
  if ((survivor.contactCount ?? 0) + (duplicate.contactCount ?? 0) > MAX_CONTACTS_PER_CUSTOMER) {
    throw Conflict(`Together the two customers have more than ${MAX_CONTACTS_PER_CUSTOMER} contacts; delete some of the duplicate's contacts first`);
  }
  const at = now.toISOString();
  const job: repo.MergeJob = { duplicateId: duplicate.id, survivorId: survivor.id, state: 'moving', moved: zeroMoved(), startedAt: at, startedBy: principal.userId };
  const after: CustomerItem = { ...duplicate, archivedAt: duplicate.archivedAt ?? at, mergedInto: survivor.id, version: duplicate.version + 1, updatedAt: at, updatedBy: principal.userId };
  const changes = [{ field: 'mergedInto', to: survivor.id }, ...(duplicate.archivedAt ? [] : [{ field: 'archivedAt', to: at }])];
  const audit = auditItem({ customerId: duplicate.id, entityType: 'customer', entityId: duplicate.id, action: 'merged', actor: principal, at: now, version: after.version, changes, timeline: true });
  const tx = new Transaction();
  tx.put('job', repo.jobStored(job), { expression: 'attribute_not_exists(pk)' });
  addCustomerWrites(tx, duplicate, after, audit);
  tx.check('survivor', keys.customer.primary(survivor.id), { expression: 'attribute_exists(pk) AND attribute_not_exists(archivedAt) AND attribute_not_exists(mergedInto)' });
  try {
    await tx.commit();
    return job;
  } catch (err) {
    if (!(err instanceof ConditionsFailed)) throw err;
    // A concurrent merge of the same duplicate created the job first: continue that one if it is ours.
    const existing = await repo.getJob(duplicate.id);
    if (existing?.survivorId === survivor.id) return existing;
    if (existing) throw Conflict(`Customer ${duplicate.id} is being merged into ${existing.survivorId}`);
    if (err.labels.includes('survivor')) throw Conflict(`Customer ${survivor.id} was archived or merged meanwhile`);
    throw Conflict('The duplicate changed while the merge started; retry');
  }
}

/**
 * Step 2 for one kind: every record the index lists under the duplicate, re-read strongly and
 * moved in chunks; then one more look (the index is eventually consistent), until a pass finds
 * nothing left on the duplicate.
 */
async function moveAll(kind: repo.MergedKind, duplicateId: string, survivorId: string, now: Date): Promise<void> {
  for (;;) {
    const found = await repo.findRecords(kind, duplicateId, Number.POSITIVE_INFINITY);
    let moved = 0;
    for (let i = 0; i < found.length; i += CHUNK) moved += await moveChunk(kind, found.slice(i, i + CHUNK), duplicateId, survivorId, now);
    if (moved === 0) return;
  }
}

/** One chunk: one transaction of the records still on the duplicate, their counters and the job's progress. */
async function moveChunk(kind: repo.MergedKind, keysOf: Record<string, unknown>[], duplicateId: string, survivorId: string, now: Date): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const records = await repo.stillOnDuplicate(keysOf, duplicateId);
    if (records.length === 0) return 0;
    const tx = new Transaction();
    const at = now.toISOString();
    if (kind === 'contacts') {
      const survivor = await loadCustomer(survivorId);
      addContactCounters(tx, survivor, duplicateId, records.map((r) => String(r.id)));
      for (const record of records) {
        repo.moveRecord(tx, kind, record, duplicateId, survivorId, {
          sets: ['ownerId = :owner', 'isPrimary = :notPrimary', 'version = version + :one', 'updatedAt = :at'],
          values: { ':owner': survivor.ownerId, ':notPrimary': false, ':one': 1, ':at': at },
        });
      }
    } else {
      for (const record of records) repo.moveRecord(tx, kind, record, duplicateId, survivorId);
    }
    repo.advanceJob(tx, duplicateId, survivorId, kind, records.length, at);
    try {
      await tx.commit();
      return records.length;
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      if (err.labels.includes('job')) throw Conflict('The merge job changed meanwhile (finished or taken over); retry to see its result');
      if (err.labels.includes('survivor') && attempt >= MAX_CHUNK_ATTEMPTS) throw Conflict(`Customer ${survivorId} was archived or reached ${MAX_CONTACTS_PER_CUSTOMER} contacts during the merge; retry to continue`);
      if (attempt >= MAX_CHUNK_ATTEMPTS) throw Conflict('Records kept changing while they were being moved; retry to continue the merge');
    }
  }
}

/**
 * The counters a chunk of contacts moves: the survivor's profile count (live, same owner, room
 * left), contacts summary and tag copies; the duplicate's count, ids and primary pointer.
 */
function addContactCounters(tx: Transaction, survivor: CustomerItem, duplicateId: string, contactIds: string[]): void {
  const n = contactIds.length;
  const ids = new Set(contactIds);
  tx.update('survivor', keys.customer.primary(survivor.id), {
    expression: 'SET contactCount = if_not_exists(contactCount, :zero) + :n',
    values: { ':zero': 0, ':n': n },
  }, {
    expression: 'attribute_exists(pk) AND attribute_not_exists(archivedAt) AND ownerId = :owner AND (attribute_not_exists(contactCount) OR contactCount <= :room)',
    values: { ':owner': survivor.ownerId, ':room': MAX_CONTACTS_PER_CUSTOMER - n },
  });
  tx.update('survivor-contacts', keys.customer.contacts(survivor.id), {
    expression: 'SET kind = :kind, customerId = :cid, contactsRev = if_not_exists(contactsRev, :zero) + :one ADD contactIds :ids',
    values: { ':kind': 'customer-contacts', ':cid': survivor.id, ':zero': 0, ':one': 1, ':ids': ids },
  });
  for (const tag of survivor.tags ?? []) {
    tx.update('survivor-tag', keys.customer.tagKey(survivor.id, tag), {
      expression: 'SET contactCount = if_not_exists(contactCount, :zero) + :n',
      values: { ':zero': 0, ':n': n },
    }, { expression: 'attribute_exists(pk)' });
  }
  tx.update('duplicate', keys.customer.primary(duplicateId), {
    // DELETE from the profile's own set too: profiles from before the contacts summary hold ids.
    expression: 'SET contactCount = if_not_exists(contactCount, :n) - :n REMOVE primaryContactId DELETE contactIds :ids',
    values: { ':n': n, ':ids': ids },
  });
  tx.update('duplicate-contacts', keys.customer.contacts(duplicateId), {
    expression: 'SET kind = :kind, customerId = :dup, contactsRev = if_not_exists(contactsRev, :zero) + :one DELETE contactIds :ids',
    values: { ':kind': 'customer-contacts', ':dup': duplicateId, ':zero': 0, ':one': 1, ':ids': ids },
  });
}

/**
 * The duplicate's custom values the survivor takes: those of keys the survivor has no value for
 * (the survivor's own values win), as stored — removed fields' values included, since their keys
 * are never reused.
 */
export function customTaken(survivor: CustomValues | undefined, duplicate: CustomValues | undefined): CustomValues {
  const taken: CustomValues = {};
  for (const [key, value] of Object.entries(duplicate ?? {})) if (survivor?.[key] === undefined) taken[key] = value;
  return taken;
}

/**
 * Step 3: purchases follow the orders, the survivor takes the duplicate's custom values it lacks
 * (unique values' guards handed over from the duplicate to it), the job is done, and the survivor's
 * audit entry says what came. Retried when the survivor changed meanwhile.
 */
async function finish(principal: Principal, survivorId: string, duplicateId: string, now: Date): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const job = await repo.getJob(duplicateId);
    if (!job || job.state === 'done') return;
    const [mine, theirs, survivor, duplicate, myTracker, theirTracker] = await Promise.all([
      repo.getPurchases(survivorId), repo.getPurchases(duplicateId), loadCustomer(survivorId), loadCustomer(duplicateId), getTracker(survivorId), getTracker(duplicateId),
    ]);
    const tx = new Transaction();
    const at = now.toISOString();
    tx.update('job', keys.merge.job(duplicateId), {
      expression: 'SET #state = :done, finishedAt = :at',
      names: { '#state': 'state' },
      values: { ':done': 'done', ':at': at, ':moving': 'moving' },
    }, { expression: '#state = :moving' });
    addPurchases(tx, survivorId, duplicateId, mine, theirs);
    addActivity(tx, survivor, myTracker, theirTracker);
    const moved = MERGED_KINDS.filter((k) => (job.moved[k] ?? 0) > 0).map((k) => ({ field: `moved.${k}`, to: job.moved[k] }));
    const taken = customTaken(survivor.custom, duplicate.custom);
    if (Object.keys(taken).length === 0) {
      tx.put('audit', auditItem({ customerId: survivorId, entityType: 'customer', entityId: survivorId, action: 'merged', actor: principal, at: now, version: survivor.version, changes: [{ field: 'mergedFrom', to: duplicateId }, ...moved], timeline: true }));
    } else {
      const after: CustomerItem = { ...survivor, custom: { ...survivor.custom, ...taken }, version: survivor.version + 1, updatedAt: at, updatedBy: principal.userId };
      const changes = [{ field: 'mergedFrom', to: duplicateId }, ...moved, ...diff(survivor, after, CUSTOMER_FIELDS, CUSTOMER_SENSITIVE)];
      // The profile, its list and tag copies, through the customers feature's own write. Its custom
      // guards are not taken there (the object is no applyCustom result): they are handed over below.
      addCustomerWrites(tx, survivor, after, auditItem({ customerId: survivorId, entityType: 'customer', entityId: survivorId, action: 'merged', actor: principal, at: now, version: after.version, changes, timeline: true }));
      const unique = uniqueKeys(await definitionsOf('customer'));
      for (const [key, value] of Object.entries(taken)) {
        const hash = unique.has(key) ? uniqueValueKey(value) : undefined;
        if (!hash) continue;
        tx.update(`${CUSTOM_UNIQUE_LABEL}${key}:handover`, keys.customFields.unique('customer', key, hash), {
          expression: 'SET recordId = :survivor, kind = :kind, entity = :entity',
          values: { ':survivor': survivorId, ':kind': 'custom-field-unique', ':entity': 'customer', ':duplicate': duplicateId },
        }, { expression: 'attribute_not_exists(pk) OR recordId = :duplicate' });
      }
    }
    try {
      await tx.commit();
      return;
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      if (err.labels.includes('job')) return;
      // The survivor, its purchases or its tracker changed meanwhile (a contact added, an order
      // accepted, an activity logged): read again.
      if (attempt < MAX_CHUNK_ATTEMPTS) continue;
      throw Conflict('The survivor changed while the merge finished; retry to finish it');
    }
  }
}

/** The duplicate's purchase summary added to the survivor's (lifetime value per currency, order count, last purchase). */
function addPurchases(tx: Transaction, survivorId: string, duplicateId: string, mine: Record<string, unknown> | undefined, theirs: Record<string, unknown> | undefined): void {
  const ltv = amounts(theirs?.lifetimeValue);
  if (!theirs || (Object.keys(ltv).length === 0 && Number(theirs.orderCount ?? 0) === 0)) return;
  const sets = ['kind = :kind', 'customerId = :cid'];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':kind': 'customer-purchases', ':cid': survivorId, ':orders': Number(theirs.orderCount ?? 0) };
  const conditions: string[] = [];
  if (mine?.lifetimeValue) {
    Object.entries(ltv).forEach(([currency, amount], i) => {
      names[`#c${i}`] = currency;
      values[`:a${i}`] = amount;
      sets.push(`lifetimeValue.#c${i} = if_not_exists(lifetimeValue.#c${i}, :zero) + :a${i}`);
    });
    values[':zero'] = 0;
    conditions.push('attribute_exists(lifetimeValue)');
  } else {
    sets.push('lifetimeValue = :ltv');
    values[':ltv'] = ltv;
    conditions.push('attribute_not_exists(lifetimeValue)');
  }
  const last = typeof theirs.lastPurchaseAt === 'string' ? theirs.lastPurchaseAt : undefined;
  if (last && (!mine?.lastPurchaseAt || String(mine.lastPurchaseAt) < last)) {
    sets.push('lastPurchaseAt = :last');
    values[':last'] = last;
    conditions.push('(attribute_not_exists(lastPurchaseAt) OR lastPurchaseAt < :last)');
  }
  tx.update('survivor-purchases', keys.customer.purchases(survivorId), { expression: `SET ${sets.join(', ')} ADD orderCount :orders`, names, values }, { expression: conditions.join(' AND ') });
  tx.delete('duplicate-purchases', keys.customer.purchases(duplicateId));
}

/**
 * The survivor's activity tracker after the merge: the later of the two last activities and
 * follow-ups, and a dormancy clock restarted by them (the duplicate's creation does not restart it:
 * creating a duplicate record is no contact with the customer). Nothing is written when the
 * duplicate's times are not later. Conditioned on the tracker's `rev` as read, like every tracker
 * writer (activities, follow-ups), so a concurrent activity makes the finish read again instead of
 * being moved back.
 */
export function trackerAfterMerge(survivorCreatedAt: string, mine: Tracker | undefined, theirs: Tracker | undefined): { lastActivityAt?: string; lastFollowUpAt?: string; touchedAt: string } | undefined {
  const later = (own: string | undefined, other: string | undefined) => (other !== undefined && (own === undefined || own < other) ? other : undefined);
  const lastActivityAt = later(mine?.lastActivityAt, theirs?.lastActivityAt);
  const lastFollowUpAt = later(mine?.lastFollowUpAt, theirs?.lastFollowUpAt);
  if (lastActivityAt === undefined && lastFollowUpAt === undefined) return undefined;
  const touchedAt = [survivorCreatedAt, mine?.touchedAt ?? '', lastActivityAt ?? '', lastFollowUpAt ?? ''].sort().at(-1)!;
  return { ...(lastActivityAt ? { lastActivityAt } : {}), ...(lastFollowUpAt ? { lastFollowUpAt } : {}), touchedAt };
}

function addActivity(tx: Transaction, survivor: CustomerItem, mine: Tracker | undefined, theirs: Tracker | undefined): void {
  const next = trackerAfterMerge(survivor.createdAt, mine, theirs);
  if (!next) return;
  const sets = ['kind = :kind', 'customerId = :cus', 'touchedAt = :touched', 'gsi3sk = :sort', 'rev = if_not_exists(rev, :zero) + :one'];
  const values: Record<string, unknown> = {
    ':kind': 'activity-tracker', ':cus': survivor.id, ':touched': next.touchedAt,
    ':sort': keys.customerActivity.dormancySort(next.touchedAt, survivor.id), ':zero': 0, ':one': 1,
  };
  if (next.lastActivityAt) {
    sets.push('lastActivityAt = :last');
    values[':last'] = next.lastActivityAt;
  }
  if (next.lastFollowUpAt) {
    sets.push('lastFollowUpAt = :followUp');
    values[':followUp'] = next.lastFollowUpAt;
  }
  const condition = mine?.rev === undefined ? { expression: 'attribute_not_exists(rev)' } : { expression: 'rev = :rev', values: { ':rev': mine.rev } };
  tx.update('survivor-activity', keys.customerActivity.primary(survivor.id), { expression: `SET ${sets.join(', ')}`, values }, condition);
}

/** A stored lifetime-value map (currency → minor units), numbers only. */
function amounts(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (value && typeof value === 'object') for (const [currency, amount] of Object.entries(value)) if (typeof amount === 'number') out[currency] = amount;
  return out;
}
