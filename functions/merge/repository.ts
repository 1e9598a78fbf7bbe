/**
 * DynamoDB access of a customer merge: the job item (`MERGE#<duplicateId>` / `#MERGE`), the
 * duplicate's records found through the customer indexes they sit in, and the chunk transactions
 * that move them. Every moved record is an UpdateItem of its `customerId` and of the index keys
 * that name the duplicate, conditioned on still belonging to the duplicate.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import type { IndexName } from '../data/table';
import { Transaction } from '../data/transaction';
import { batchGetItems } from '../jobs/batch-get';
import { MERGED_KINDS } from '../../schemas/merge';

export type MergedKind = (typeof MERGED_KINDS)[number];
type Stored = Record<string, unknown>;

export interface MergeJob {
  duplicateId: string;
  survivorId: string;
  state: 'moving' | 'done';
  moved: Record<MergedKind, number>;
  startedAt: string;
  startedBy: string;
  finishedAt?: string;
}

const table = () => config().tableName;
const INDEX_KEYS = ['gsi1pk', 'gsi2pk', 'gsi3pk', 'gsi4pk'] as const;

export async function getJob(duplicateId: string): Promise<MergeJob | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.merge.job(duplicateId), ConsistentRead: true }));
  return jobOf(out.Item);
}

const isRecord = (value: unknown): value is Stored => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The stored job item as a MergeJob (undefined when it is none); counters it lacks count 0. */
function jobOf(item: Stored | undefined): MergeJob | undefined {
  if (!item || typeof item.duplicateId !== 'string' || typeof item.survivorId !== 'string') return undefined;
  const stored = isRecord(item.moved) ? item.moved : {};
  const moved: Record<MergedKind, number> = { contacts: 0, activities: 0, assets: 0, orders: 0, contracts: 0, tickets: 0, tasks: 0, deals: 0, quotes: 0 };
  for (const kind of MERGED_KINDS) {
    const n = stored[kind];
    if (typeof n === 'number') moved[kind] = n;
  }
  return {
    duplicateId: item.duplicateId,
    survivorId: item.survivorId,
    state: item.state === 'done' ? 'done' : 'moving',
    moved,
    startedAt: String(item.startedAt ?? ''),
    startedBy: String(item.startedBy ?? ''),
    ...(typeof item.finishedAt === 'string' ? { finishedAt: item.finishedAt } : {}),
  };
}

export function jobStored(job: MergeJob): Stored {
  return { ...keys.merge.job(job.duplicateId), kind: 'merge-job', ...job };
}

/** Where a kind's records of one customer are listed: index, partitions, and a filter on `pk` for shared partitions. */
function sources(kind: Exclude<MergedKind, 'deals' | 'quotes'>, customerId: string): { index: IndexName; partitions: string[]; pkPrefix?: string } {
  switch (kind) {
    case 'contacts': return { index: 'gsi1', partitions: [keys.contact.byCustomerPartition(customerId)] };
    // The timeline also lists the customer's own record events (audit entries): they stay.
    case 'activities': return { index: 'gsi1', partitions: [keys.timeline.partition(customerId)], pkPrefix: 'ACT#' };
    case 'assets': return { index: 'gsi1', partitions: [keys.asset.byCustomerPartition(customerId)] };
    case 'orders': return { index: 'gsi1', partitions: [keys.order.customerPartition(customerId)] };
    case 'contracts': return { index: 'gsi1', partitions: [keys.contract.customerPartition(customerId)] };
    case 'tickets': return { index: 'gsi3', partitions: [keys.ticket.customerPartition(customerId)] };
    case 'tasks': return { index: 'gsi2', partitions: (['open', 'done', 'cancelled'] as const).map((s) => keys.task.customerPartition(customerId, s)) };
  }
}

/**
 * Keys of up to `limit` records of `kind` that the index still lists under the duplicate. The
 * index is eventually consistent: callers re-read the records (strongly) before moving them.
 */
export async function findRecords(kind: MergedKind, duplicateId: string, limit: number): Promise<Stored[]> {
  if (kind === 'deals') return findDeals(duplicateId, limit);
  if (kind === 'quotes') return findQuotes(duplicateId, limit);
  const { index, partitions, pkPrefix } = sources(kind, duplicateId);
  const found: Stored[] = [];
  for (const partition of partitions) {
    let startKey: Stored | undefined;
    do {
      const out = await ddb().send(new QueryCommand({
        TableName: table(),
        IndexName: index,
        KeyConditionExpression: `${index}pk = :p`,
        ...(pkPrefix ? { FilterExpression: 'begins_with(pk, :prefix)' } : {}),
        ExpressionAttributeValues: { ':p': partition, ...(pkPrefix ? { ':prefix': pkPrefix } : {}) },
        ProjectionExpression: 'pk, sk',
        ExclusiveStartKey: startKey,
        Limit: 100,
      }));
      for (const item of out.Items ?? []) if (found.length < limit) found.push({ pk: item.pk, sk: item.sk });
      startKey = out.LastEvaluatedKey;
    } while (startKey && found.length < limit);
    if (found.length >= limit) break;
  }
  return found;
}

/**
 * The ids of every deal ever created on the customer: deals have no customer index, so their
 * creation entries in the customer's history name them (a Query of its own partition, audit entries
 * only) — and, for every customer merged into this one before, that customer's deals too (its
 * `merged` entry names it: `mergedFrom`), since their creation entries stayed in its history.
 */
async function dealIdsOf(customerId: string, seen = new Set<string>()): Promise<Set<string>> {
  const ids = new Set<string>();
  seen.add(customerId);
  const earlier: string[] = [];
  let startKey: Stored | undefined;
  do {
    const out = await ddb().send(new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :aud)',
      FilterExpression: '(entityType = :deal AND #action = :created) OR (entityType = :customer AND #action = :merged AND entityId = :self)',
      ExpressionAttributeNames: { '#action': 'action' },
      ExpressionAttributeValues: { ':pk': keys.audit.partition(customerId), ':aud': keys.audit.prefix, ':deal': 'deal', ':created': 'created', ':customer': 'customer', ':merged': 'merged', ':self': customerId },
      ProjectionExpression: 'entityType, entityId, changes',
      ExclusiveStartKey: startKey,
    }));
    for (const item of out.Items ?? []) {
      if (item.entityType === 'deal') ids.add(String(item.entityId));
      else if (Array.isArray(item.changes)) {
        for (const change of item.changes) if (change?.field === 'mergedFrom' && typeof change.to === 'string' && !seen.has(change.to)) earlier.push(change.to);
      }
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  for (const id of earlier) for (const deal of await dealIdsOf(id, seen)) ids.add(deal);
  return ids;
}

/** Deals still on the duplicate (read now, consistent). Deals that moved already or were deleted drop out. */
async function findDeals(duplicateId: string, limit: number): Promise<Stored[]> {
  const ids = await dealIdsOf(duplicateId);
  const deals = await batchGetItems([...ids].map((id) => keys.deal.primary(id)), { consistent: true });
  return deals.filter((d) => d.customerId === duplicateId).slice(0, limit).map((d) => ({ pk: d.pk, sk: d.sk }));
}

/**
 * Quotes carry their deal's customer (a quote of a live customer only can be sent or accepted, and
 * its order goes to that customer): the quotes of every deal the duplicate ever had (gsi1
 * `DEAL#<id>#QUOTES`, keys only). The caller's strong re-read keeps those still on the duplicate.
 */
async function findQuotes(duplicateId: string, limit: number): Promise<Stored[]> {
  const found: Stored[] = [];
  for (const dealId of await dealIdsOf(duplicateId)) {
    let startKey: Stored | undefined;
    do {
      const out = await ddb().send(new QueryCommand({
        TableName: table(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': keys.quote.dealPartition(dealId) }, ProjectionExpression: 'pk, sk', ExclusiveStartKey: startKey,
      }));
      for (const item of out.Items ?? []) if (found.length < limit) found.push({ pk: item.pk, sk: item.sk });
      startKey = out.LastEvaluatedKey;
    } while (startKey && found.length < limit);
    if (found.length >= limit) break;
  }
  return found;
}

/** The records as they are now (strongly consistent), those still on the duplicate only. */
export async function stillOnDuplicate(found: Stored[], duplicateId: string): Promise<Stored[]> {
  if (found.length === 0) return [];
  const items = await batchGetItems(found.map((f) => ({ pk: String(f.pk), sk: String(f.sk) })), { consistent: true });
  return items.filter((item) => item.customerId === duplicateId);
}

/** The Update of one record: its customer and every index partition key naming the duplicate. */
export function moveRecord(tx: Transaction, kind: MergedKind, item: Stored, duplicateId: string, survivorId: string, extra: { sets: string[]; values: Stored } = { sets: [], values: {} }): void {
  const sets = ['customerId = :survivor', ...extra.sets];
  const values: Stored = { ':survivor': survivorId, ':duplicate': duplicateId, ...extra.values };
  INDEX_KEYS.forEach((attr, i) => {
    const value = item[attr];
    if (typeof value === 'string' && value.includes(duplicateId)) {
      sets.push(`${attr} = :ix${i}`);
      values[`:ix${i}`] = value.split(duplicateId).join(survivorId);
    }
  });
  tx.update(`move:${kind}`, { pk: item.pk, sk: item.sk }, { expression: `SET ${sets.join(', ')}`, values }, { expression: 'customerId = :duplicate' });
}

/** The job's progress in a chunk's transaction: only while the job is still moving for this survivor. */
export function advanceJob(tx: Transaction, duplicateId: string, survivorId: string, kind: MergedKind, count: number, at: string): void {
  tx.update('job', keys.merge.job(duplicateId), {
    // if_not_exists: a job started before a kind existed (quotes) has no counter for it.
    expression: 'SET moved.#kind = if_not_exists(moved.#kind, :zero) + :count, updatedAt = :at',
    names: { '#kind': kind, '#state': 'state' },
    values: { ':count': count, ':zero': 0, ':at': at, ':moving': 'moving', ':survivor': survivorId },
  }, { expression: '#state = :moving AND survivorId = :survivor' });
}

/** The purchase summary item of a customer (lifetime value per currency, order count, last purchase). */
export async function getPurchases(customerId: string): Promise<Stored | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.customer.purchases(customerId), ConsistentRead: true }));
  return out.Item;
}

export { Transaction };
