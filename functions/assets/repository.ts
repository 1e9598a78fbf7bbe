/**
 * DynamoDB access for customer assets and their service schedule. Keys come from data/keys.ts;
 * user writes are one labelled transaction with the audit entry; job writes are conditional
 * updates that only move the schedule forward.
 */
import { withoutKeys } from '../data/records';
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type CustomerState, toCustomerState } from '../activities/repository';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { Transaction } from '../data/transaction';
import { batchGetItems } from '../jobs/batch-get';
import { DEFAULT_SERVICE_RULES, type StoredServiceRules } from '../settings/rules';
import { fromStored as rulesFromStored } from '../settings/repository';
import type { AssetItem } from './model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

function strip(item: Stored | undefined): AssetItem | undefined {
  return item ? withoutKeys<AssetItem>(item) : undefined;
}

/** The stored item with its index keys: service-due and warranty-due only while pending. */
export function assetStored(a: AssetItem, warrantyPending: boolean): Stored {
  return {
    ...keys.asset.primary(a.id),
    ...keys.asset.byCustomer(a.customerId, a.purchaseDate, a.id),
    ...(a.nextServiceOn ? keys.asset.serviceDue(a.nextServiceOn, a.id) : {}),
    ...(warrantyPending && a.warrantyEndsOn ? keys.asset.warrantyDue(a.warrantyEndsOn, a.id) : {}),
    kind: 'asset',
    ...a,
  };
}

export async function getAsset(id: string): Promise<AssetItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.asset.primary(id), ConsistentRead: true }));
  return strip(out.Item);
}

export async function getCustomer(id: string): Promise<CustomerState | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.customer.primary(id), ConsistentRead: true }));
  return toCustomerState(out.Item);
}

/** The customer and the service rules in one request (BatchGetItem, strongly consistent). */
export async function getCustomerAndRules(customerId: string): Promise<{ customer?: CustomerState; rules: StoredServiceRules }> {
  const wanted = [keys.customer.primary(customerId), keys.settings.serviceRules()];
  const out = await ddb().send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: wanted, ConsistentRead: true } } }));
  const items = [...(out.Responses?.[table()] ?? [])];
  for (const key of (out.UnprocessedKeys?.[table()]?.Keys ?? []) as Stored[]) {
    const one = await ddb().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
    if (one.Item) items.push(one.Item);
  }
  const rules = items.find((i) => i.pk === keys.settings.serviceRules().pk);
  return {
    customer: toCustomerState(items.find((i) => i.sk === '#PROFILE' && i.pk !== keys.settings.serviceRules().pk)),
    rules: rules ? rulesFromStored(rules) : { ...DEFAULT_SERVICE_RULES },
  };
}

/**
 * Writes a new or changed asset with its audit entry. Labels: `asset` (new / rev unchanged, so a
 * job's schedule move in between is not overwritten), `customer` (exists, live on create, owner
 * unchanged when given).
 */
export async function saveAsset(before: AssetItem | undefined, after: AssetItem, warrantyPending: boolean, audit: Stored, opts: { ownerId?: string; requireLive: boolean }): Promise<void> {
  const tx = new Transaction();
  tx.put('asset', assetStored(after, warrantyPending), before ? { expression: 'rev = :rev', values: { ':rev': before.rev } } : { expression: 'attribute_not_exists(pk)' });
  const parts = ['attribute_exists(pk)', ...(opts.requireLive ? ['attribute_not_exists(archivedAt)'] : []), ...(opts.ownerId !== undefined ? ['ownerId = :owner'] : [])];
  tx.check('customer', keys.customer.primary(after.customerId), { expression: parts.join(' AND '), ...(opts.ownerId !== undefined ? { values: { ':owner': opts.ownerId } } : {}) });
  tx.put('audit', audit);
  await tx.commit();
}

export async function deleteAsset(asset: AssetItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  tx.delete('asset', keys.asset.primary(asset.id), { expression: 'rev = :rev', values: { ':rev': asset.rev } });
  tx.put('audit', audit);
  await tx.commit();
}

export async function queryAssets(customerId: string, limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.asset.byCustomerPartition(customerId) },
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: (out.Items ?? []).map((i) => strip(i)!), lastKey: out.LastEvaluatedKey };
}

export interface DueEntry {
  id: string;
  /** The date the index copy holds (may be behind the item: the index is eventually consistent). */
  date: string;
}

/**
 * One page of assets whose indexed date (service or warranty) is on or before `throughDate`,
 * oldest first; keys and date only (the job reads the items themselves consistently).
 */
export async function queryDuePage(which: 'service' | 'warranty', throughDate: string, limit: number, startKey: Stored | undefined): Promise<{ items: DueEntry[]; lastKey?: Stored }> {
  const [index, pkName, skName, partition] = which === 'service'
    ? ['gsi2', 'gsi2pk', 'gsi2sk', keys.asset.servicePartition]
    : ['gsi3', 'gsi3pk', 'gsi3sk', keys.asset.warrantyPartition];
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      IndexName: index,
      KeyConditionExpression: '#pk = :pk AND #sk <= :through',
      ExpressionAttributeNames: { '#pk': pkName, '#sk': skName },
      ExpressionAttributeValues: { ':pk': partition, ':through': keys.asset.throughDate(throughDate) },
      ProjectionExpression: 'id, #sk',
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return {
    items: (out.Items ?? []).map((item) => ({ id: item.id as string, date: String(item[skName]).split('#')[0]! })),
    lastKey: out.LastEvaluatedKey,
  };
}

/** Assets by id, strongly consistent, in BatchGetItem requests (job-side page reads). */
export async function getAssets(ids: readonly string[]): Promise<Map<string, AssetItem>> {
  const found = new Map<string, AssetItem>();
  for (const item of await batchGetItems(ids.map((id) => keys.asset.primary(id)), { consistent: true })) found.set(item.id as string, strip(item)!);
  return found;
}

/** Customers by id, strongly consistent, in BatchGetItem requests (job-side page reads). */
export async function getCustomers(ids: readonly string[]): Promise<Map<string, CustomerState>> {
  const found = new Map<string, CustomerState>();
  for (const item of await batchGetItems(ids.map((id) => keys.customer.primary(id)), { consistent: true })) found.set(item.id as string, toCustomerState(item)!);
  return found;
}

/**
 * Moves an asset's service schedule forward after a run; conditional on the schedule the run
 * acted on, so a concurrent run (or a user's change) makes this a no-op. Returns false then.
 */
export async function advanceService(asset: AssetItem, handledThrough: string, next: string | undefined): Promise<boolean> {
  const values: Record<string, unknown> = { ':handled': handledThrough, ':rev': asset.rev, ':one': 1 };
  let expression = 'SET serviceHandledThrough = :handled, rev = rev + :one';
  if (next) {
    const due = keys.asset.serviceDue(next, asset.id);
    expression += ', nextServiceOn = :next, gsi2pk = :gpk, gsi2sk = :gsk';
    Object.assign(values, { ':next': next, ':gpk': due.gsi2pk, ':gsk': due.gsi2sk });
  } else {
    expression += ' REMOVE nextServiceOn, gsi2pk, gsi2sk';
  }
  return conditional(new UpdateCommand({
    TableName: table(),
    Key: keys.asset.primary(asset.id),
    UpdateExpression: expression,
    ConditionExpression: 'rev = :rev',
    ExpressionAttributeValues: values,
  }));
}

/** Marks a warranty end as reminded and takes the asset out of the warranty-due index. */
export async function markWarrantyNotified(asset: AssetItem, warrantyEndsOn: string): Promise<boolean> {
  return conditional(new UpdateCommand({
    TableName: table(),
    Key: keys.asset.primary(asset.id),
    UpdateExpression: 'SET warrantyNotifiedFor = :date, rev = rev + :one REMOVE gsi3pk, gsi3sk',
    ConditionExpression: 'rev = :rev AND warrantyEndsOn = :date',
    ExpressionAttributeValues: { ':date': warrantyEndsOn, ':rev': asset.rev, ':one': 1 },
  }));
}

/** Removes a stale entry (asset gone or changed) from a due index; harmless when already gone. */
export async function dropFromIndex(id: string, which: 'service' | 'warranty', indexedDate: string): Promise<void> {
  const [pkName, skName] = which === 'service' ? ['gsi2pk', 'gsi2sk'] : ['gsi3pk', 'gsi3sk'];
  await conditional(new UpdateCommand({
    TableName: table(),
    Key: keys.asset.primary(id),
    UpdateExpression: 'REMOVE #pk, #sk',
    ConditionExpression: '#sk = :sk',
    ExpressionAttributeNames: { '#pk': pkName, '#sk': skName },
    ExpressionAttributeValues: { ':sk': `${indexedDate}#${id}` },
  }));
}

async function conditional(command: UpdateCommand): Promise<boolean> {
  try {
    await ddb().send(command);
    return true;
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}
