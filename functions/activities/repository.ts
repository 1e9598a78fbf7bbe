/**
 * DynamoDB access for activities, the customer timeline and the per-customer activity tracker.
 * Keys come from data/keys.ts; every write is one labelled transaction.
 */
import { withoutKeys } from '../data/records';
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { type Condition, Transaction } from '../data/transaction';
import { batchGetItems } from '../jobs/batch-get';
import type { ActivityItem } from './model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

/** The few customer attributes activities, assets and jobs decide on. */
export interface CustomerState {
  id: string;
  name: string;
  ownerId: string;
  tier?: string;
  archivedAt?: string;
  createdAt: string;
  version: number;
}

/** The activity tracker (`CUS#<id>` / `#ACTIVITY`). */
export interface Tracker {
  lastActivityAt?: string;
  /** Start of the dormancy clock: the latest of creation, last activity and last follow-up. */
  touchedAt?: string;
  lastFollowUpAt?: string;
  tier?: string;
  customerVersion?: number;
  /** Changes on every activity or follow-up write; writers condition on it. */
  rev?: number;
}

function strip<T>(item: Stored | undefined): T | undefined {
  if (!item) return undefined;
  return withoutKeys<T>(item);
}

export function toCustomerState(item: Stored | undefined): CustomerState | undefined {
  if (!item) return undefined;
  return {
    id: item.id as string,
    name: item.name as string,
    ownerId: item.ownerId as string,
    tier: item.tier as string | undefined,
    archivedAt: item.archivedAt as string | undefined,
    createdAt: item.createdAt as string,
    version: item.version as number,
  };
}

export async function getCustomer(id: string): Promise<CustomerState | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.customer.primary(id), ConsistentRead: true }));
  return toCustomerState(out.Item);
}

/** The customer and its activity tracker in one request (BatchGetItem, strongly consistent). */
export async function getCustomerAndTracker(customerId: string): Promise<{ customer?: CustomerState; tracker?: Tracker }> {
  const wanted = [keys.customer.primary(customerId), keys.customerActivity.primary(customerId)];
  const out = await ddb().send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: wanted, ConsistentRead: true } } }));
  const items = [...(out.Responses?.[table()] ?? [])];
  // Unprocessed keys (throttling) are read one by one rather than failing the request.
  for (const key of (out.UnprocessedKeys?.[table()]?.Keys ?? []) as Stored[]) {
    const one = await ddb().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
    if (one.Item) items.push(one.Item);
  }
  const profile = items.find((i) => i.sk === '#PROFILE');
  const tracker = items.find((i) => i.sk === '#ACTIVITY');
  return { customer: toCustomerState(profile), tracker: strip<Tracker>(tracker) };
}

export async function getActivity(id: string): Promise<ActivityItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.activity.primary(id), ConsistentRead: true }));
  return strip<ActivityItem>(out.Item);
}

function activityStored(a: ActivityItem): Stored {
  return { ...keys.activity.primary(a.id), ...keys.activity.timeline(a), kind: 'activity', ...a };
}

export interface ContactCheck {
  label: string;
  key: Record<string, string>;
  condition: Condition;
}

export interface TrackerTouch {
  /** The tracker's rev as read (undefined: no tracker yet). */
  rev: number | undefined;
  lastActivityAt: string;
  touchedAt: string;
}

/**
 * Writes a new or changed activity with what must agree with it. Condition labels: `activity`
 * (new / version unchanged), `customer` (exists, not archived [on create], owner unchanged when
 * given), each check's label (linked records belong to the customer), `tracker` (rev unchanged).
 */
export async function saveActivity(
  before: ActivityItem | undefined,
  after: ActivityItem,
  audit: Stored,
  opts: { ownerId?: string; requireLive: boolean; checks: ContactCheck[]; touch?: TrackerTouch },
): Promise<void> {
  const tx = new Transaction();
  tx.put('activity', activityStored(after), before ? { expression: 'version = :v', values: { ':v': before.version } } : { expression: 'attribute_not_exists(pk)' });
  customerCheck(tx, after.customerId, opts.ownerId, opts.requireLive);
  for (const check of opts.checks) tx.check(check.label, check.key, check.condition);
  if (opts.touch) touchTracker(tx, after.customerId, opts.touch);
  tx.put('audit', audit);
  await tx.commit();
}

export async function deleteActivity(activity: ActivityItem, audit: Stored, ownerId: string | undefined): Promise<void> {
  const tx = new Transaction();
  tx.delete('activity', keys.activity.primary(activity.id), { expression: 'version = :v', values: { ':v': activity.version } });
  customerCheck(tx, activity.customerId, ownerId, false);
  tx.put('audit', audit);
  await tx.commit();
}

function customerCheck(tx: Transaction, customerId: string, ownerId: string | undefined, requireLive: boolean) {
  const parts = ['attribute_exists(pk)'];
  const values: Record<string, unknown> = {};
  if (requireLive) parts.push('attribute_not_exists(archivedAt)');
  if (ownerId !== undefined) {
    parts.push('ownerId = :owner');
    values[':owner'] = ownerId;
  }
  tx.check('customer', keys.customer.primary(customerId), { expression: parts.join(' AND '), ...(ownerId !== undefined ? { values } : {}) });
}

/**
 * Moves the tracker's lastActivityAt (and the dormancy clock) forward. Only ever forward: the
 * service computes the new values from the tracker it read, and the write is conditional on that
 * read's `rev`, so two concurrent activities cannot move it back. The dormancy index partition
 * (tier) is set by the dormancy job from the customer change feed, not here.
 */
function touchTracker(tx: Transaction, customerId: string, touch: TrackerTouch) {
  tx.update(
    'tracker',
    keys.customerActivity.primary(customerId),
    {
      expression: 'SET kind = :kind, customerId = :cus, lastActivityAt = :last, touchedAt = :touched, gsi3sk = :sort, rev = if_not_exists(rev, :zero) + :one',
      values: {
        ':kind': 'activity-tracker', ':cus': customerId, ':last': touch.lastActivityAt, ':touched': touch.touchedAt,
        ':sort': keys.customerActivity.dormancySort(touch.touchedAt, customerId), ':zero': 0, ':one': 1,
      },
    },
    touch.rev === undefined ? { expression: 'attribute_not_exists(rev)' } : { expression: 'rev = :rev', values: { ':rev': touch.rev } },
  );
}

/** One page of a customer's timeline, newest first: all kinds (gsi1) or one type (gsi2). */
export async function queryTimeline(customerId: string, type: string | undefined, limit: number, startKey: Stored | undefined) {
  const [index, pkName] = type ? ['gsi2', 'gsi2pk'] : ['gsi1', 'gsi1pk'];
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      IndexName: index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': pkName },
      ExpressionAttributeValues: { ':pk': keys.timeline.partition(customerId, type) },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
}

export { strip as stripKeys };

/**
 * Records by key, strongly consistent, for the owner checks of record events (one BatchGetItem per
 * 100 keys). Used by the timeline here and by the customers feature's history.
 */
export function readRecords(wanted: Record<string, string>[]): Promise<Stored[]> {
  return batchGetItems(wanted, { consistent: true });
}

// Dormancy: tracker maintenance and the due query (used by the dormancy job) -------------------

export async function getTracker(customerId: string): Promise<Tracker | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.customerActivity.primary(customerId), ConsistentRead: true }));
  return strip<Tracker>(out.Item);
}

/**
 * Puts the customer's tier, archive state and creation time on its tracker, and with them its
 * place in the dormancy index (live customers with a tier only). Only moves to a newer customer
 * version, so replaying the change feed is harmless. The clock (touchedAt) starts at creation
 * unless an activity already set it.
 */
export async function syncTracker(customer: CustomerState): Promise<boolean> {
  const live = !customer.archivedAt && customer.tier !== undefined;
  const sets = [
    'kind = :kind', 'customerId = :cus', 'customerVersion = :v', 'createdAt = :created',
    'touchedAt = if_not_exists(touchedAt, :created)', 'gsi3sk = if_not_exists(gsi3sk, :sort)',
    ...(customer.tier ? ['tier = :tier'] : []),
    ...(live ? ['gsi3pk = :partition'] : []),
  ];
  const removes = [...(customer.tier ? [] : ['tier']), ...(live ? [] : ['gsi3pk'])];
  const values: Record<string, unknown> = {
    ':kind': 'activity-tracker', ':cus': customer.id, ':v': customer.version, ':created': customer.createdAt,
    ':sort': keys.customerActivity.dormancySort(customer.createdAt, customer.id),
    ...(customer.tier ? { ':tier': customer.tier } : {}),
    ...(live ? { ':partition': keys.customerActivity.dormancyPartition(customer.tier!) } : {}),
  };
  try {
    await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.customerActivity.primary(customer.id),
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: 'attribute_not_exists(customerVersion) OR customerVersion < :v',
      ExpressionAttributeValues: values,
    }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** Restarts a customer's dormancy clock after a follow-up task; a no-op if an activity came in meanwhile. */
export async function markFollowedUp(customerId: string, rev: number | undefined, at: string): Promise<boolean> {
  try {
    await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.customerActivity.primary(customerId),
      UpdateExpression: 'SET lastFollowUpAt = :at, touchedAt = :at, gsi3sk = :sort, rev = if_not_exists(rev, :zero) + :one',
      ConditionExpression: rev === undefined ? 'attribute_exists(pk) AND attribute_not_exists(rev)' : 'rev = :rev',
      ExpressionAttributeValues: {
        ':at': at, ':sort': keys.customerActivity.dormancySort(at, customerId), ':zero': 0, ':one': 1,
        ...(rev === undefined ? {} : { ':rev': rev }),
      },
    }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** Customers and their activity trackers by id, strongly consistent (job-side page reads). */
export async function getCustomersAndTrackers(ids: readonly string[]): Promise<{ customers: Map<string, CustomerState>; trackers: Map<string, Tracker> }> {
  const wanted = ids.flatMap((id) => [keys.customer.primary(id), keys.customerActivity.primary(id)]);
  const customers = new Map<string, CustomerState>();
  const trackers = new Map<string, Tracker>();
  for (const item of await batchGetItems(wanted, { consistent: true })) {
    if (item.sk === keys.customerActivity.primary('').sk) trackers.set(item.customerId as string, strip<Tracker>(item)!);
    else customers.set(item.id as string, toCustomerState(item)!);
  }
  return { customers, trackers };
}

/** Customers by id, strongly consistent (job-side page reads). */
export async function getCustomers(ids: readonly string[]): Promise<Map<string, CustomerState>> {
  const found = new Map<string, CustomerState>();
  for (const item of await batchGetItems(ids.map((id) => keys.customer.primary(id)), { consistent: true })) found.set(item.id as string, toCustomerState(item)!);
  return found;
}

type Page<T> = { items: T[]; lastKey?: Stored };

/** One page of a gsi3 key range, one attribute per item. */
async function gsi3Page(condition: string, values: Stored, attribute: string, limit: number, startKey: Stored | undefined): Promise<Page<string>> {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi3',
    KeyConditionExpression: condition,
    ExpressionAttributeValues: values,
    ProjectionExpression: attribute,
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((item) => item[attribute] as string), lastKey: out.LastEvaluatedKey };
}

/** One page of ids of customers of a tier whose dormancy clock started before `cutoff`, oldest first. */
export function queryDormantPage(tier: string, cutoff: string, limit: number, startKey: Stored | undefined): Promise<Page<string>> {
  return gsi3Page('gsi3pk = :pk AND gsi3sk < :cutoff', { ':pk': keys.customerActivity.dormancyPartition(tier), ':cutoff': cutoff }, 'customerId', limit, startKey);
}

/** One page of customers with key events (created, owner/tier changed, archived, restored) in (from, until] of a month. */
export function queryKeyEventsPage(month: string, from: string, until: string, limit: number, startKey: Stored | undefined): Promise<Page<string>> {
  return gsi3Page(
    'gsi3pk = :pk AND gsi3sk BETWEEN :from AND :until',
    { ':pk': keys.timeline.keyEventsPartition(month), ':from': `${from}#`, ':until': `${until}#~` },
    'entityId',
    limit,
    startKey,
  );
}

// Dormancy job state: how far the customer key-event feed is synced ----------------------------

/**
 * A pass over the feed from `from` to `until`, in progress. `cursor` is where the next page
 * starts (`<month>|<ExclusiveStartKey as JSON, or empty>`); it is the per-page checkpoint that a
 * continued run resumes from, and the value every checkpoint write is conditioned on.
 */
export interface FeedSweep {
  id: string;
  from: string;
  until: string;
  cursor: string;
}

export interface FeedState {
  /** Every key event up to this instant has reached the trackers. */
  syncedUntil?: string;
  sweep?: FeedSweep;
}

export async function getFeedState(job: string): Promise<FeedState> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.jobState(job), ConsistentRead: true }));
  return { syncedUntil: out.Item?.syncedUntil as string | undefined, sweep: out.Item?.sweep as FeedSweep | undefined };
}

/**
 * Saves the sweep's next cursor. Conditional on the cursor this run read (or, for a sweep not yet
 * saved, on there being none): of two overlapping runs only one moves it, and the other learns
 * that someone else is ahead (false). Never moves a checkpoint back.
 */
export async function saveSweep(job: string, sweep: FeedSweep, previousCursor: string | undefined): Promise<boolean> {
  return conditionalJobState(job, {
    UpdateExpression: 'SET kind = if_not_exists(kind, :kind), sweep = :sweep',
    ConditionExpression: previousCursor === undefined ? 'attribute_not_exists(sweep)' : 'sweep.id = :id AND sweep.#cursor = :prev',
    ExpressionAttributeNames: previousCursor === undefined ? undefined : { '#cursor': 'cursor' },
    ExpressionAttributeValues: { ':kind': 'job-state', ':sweep': sweep, ...(previousCursor === undefined ? {} : { ':id': sweep.id, ':prev': previousCursor }) },
  });
}

/**
 * Ends a sweep: the feed is synced until `sweep.until`. Same conditions as saveSweep; an unsaved
 * sweep also only moves syncedUntil forward, so a replayed older run cannot move it back.
 */
export async function finishSweep(job: string, sweep: FeedSweep, previousCursor: string | undefined): Promise<boolean> {
  return conditionalJobState(job, {
    UpdateExpression: 'SET kind = if_not_exists(kind, :kind), syncedUntil = :until REMOVE sweep',
    ConditionExpression: previousCursor === undefined
      ? 'attribute_not_exists(sweep) AND (attribute_not_exists(syncedUntil) OR syncedUntil < :until)'
      : 'sweep.id = :id AND sweep.#cursor = :prev',
    ExpressionAttributeNames: previousCursor === undefined ? undefined : { '#cursor': 'cursor' },
    ExpressionAttributeValues: { ':kind': 'job-state', ':until': sweep.until, ...(previousCursor === undefined ? {} : { ':id': sweep.id, ':prev': previousCursor }) },
  });
}

async function conditionalJobState(job: string, update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues: Stored }): Promise<boolean> {
  try {
    await ddb().send(new UpdateCommand({ TableName: table(), Key: keys.jobState(job), ...update }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}
