/**
 * DynamoDB access for service contracts. Keys come from data/keys.ts. A user's write is one
 * labelled transaction: the contract (new, or `rev` unchanged), the number guard on create
 * (`unique:number`), the customer live (`customer`), each newly listed asset still the customer's
 * (`asset:<n>`, n = its position in assetIds), and the audit entry. The renewal job's writes are
 * conditional on `rev` too, so a user's change in between turns them into no-ops.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type CustomerState, toCustomerState } from '../activities/repository';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import { Transaction } from '../data/transaction';
import { LIVE_CUSTOMER } from '../customers/archived';
import { batchGetItems } from '../jobs/batch-get';
import { type ContractItem, dueOn } from './model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

const strip = (item: Stored | undefined): ContractItem | undefined => (item ? withoutKeys<ContractItem>(item) : undefined);

/** The stored item with its index keys (the due index only while the contract has a due date). */
export const contractStored = (c: ContractItem): Stored => ({ ...keys.contract.primary(c.id), ...keys.contract.indexes(c, dueOn(c)), kind: 'contract', ...c });

export async function getContract(id: string): Promise<ContractItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.contract.primary(id), ConsistentRead: true }));
  return strip(out.Item);
}

export async function getCustomer(id: string): Promise<CustomerState | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.customer.primary(id), ConsistentRead: true }));
  return toCustomerState(out.Item);
}

/** Assets by id (strongly consistent BatchGetItem): their customer and warranty. */
export async function getAssets(ids: readonly string[]): Promise<Map<string, { id: string; customerId: string; warrantyEndsOn?: string }>> {
  const found = new Map<string, { id: string; customerId: string; warrantyEndsOn?: string }>();
  if (ids.length === 0) return found;
  for (const item of await batchGetItems(ids.map((id) => keys.asset.primary(id)), { consistent: true })) {
    found.set(item.id as string, { id: item.id as string, customerId: item.customerId as string, warrantyEndsOn: item.warrantyEndsOn as string | undefined });
  }
  return found;
}

export interface SaveOptions {
  /** Assets (with their position in assetIds) that must belong to the customer at commit. */
  checkAssets: { id: string; index: number }[];
  audit: Stored;
}

export async function saveContract(before: ContractItem | undefined, after: ContractItem, opts: SaveOptions): Promise<void> {
  const tx = new Transaction();
  if (before) {
    tx.put('contract', contractStored(after), { expression: 'rev = :rev', values: { ':rev': before.rev } });
  } else {
    tx.put('contract', contractStored(after), { expression: 'attribute_not_exists(pk)' });
    tx.put('unique:number', { ...keys.contract.number(after.number), kind: 'unique', contractId: after.id }, { expression: 'attribute_not_exists(pk)' });
  }
  tx.check('customer', keys.customer.primary(after.customerId), LIVE_CUSTOMER);
  for (const asset of opts.checkAssets) {
    tx.check(`asset:${asset.index}`, keys.asset.primary(asset.id), { expression: 'attribute_exists(pk) AND customerId = :customer', values: { ':customer': after.customerId } });
  }
  tx.put('audit', opts.audit);
  await tx.commit();
}

/** The renewal job's checkpoint (and expiry, with its audit entry): conditional on the `rev` it read. */
export async function saveByJob(before: ContractItem, after: ContractItem, audit: Stored | undefined): Promise<void> {
  const tx = new Transaction();
  tx.put('contract', contractStored(after), { expression: 'rev = :rev', values: { ':rev': before.rev } });
  if (audit) tx.put('audit', audit);
  await tx.commit();
}

type Index = 'gsi1' | 'gsi2' | 'gsi3' | 'gsi4';
const INDEX_KEYS: Record<Index, [string, string]> = { gsi1: ['gsi1pk', 'gsi1sk'], gsi2: ['gsi2pk', 'gsi2sk'], gsi3: ['gsi3pk', 'gsi3sk'], gsi4: ['gsi4pk', 'gsi4sk'] };

/** One page of one list partition. */
export async function queryContracts(index: Index, partition: string, opts: { limit: number; startKey?: Stored; newestFirst?: boolean }) {
  const [pkName] = INDEX_KEYS[index];
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: index,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': pkName },
    ExpressionAttributeValues: { ':pk': partition },
    Limit: opts.limit,
    ExclusiveStartKey: opts.startKey,
    ScanIndexForward: !opts.newestFirst,
  }));
  return { items: (out.Items ?? []).map((i) => strip(i)!), lastKey: out.LastEvaluatedKey };
}

/**
 * Every active contract of a customer (all pages of its gsi1 partition, FilterExpression on the
 * stored status; a customer has few contracts, and the filtered ones are still read and paid for).
 */
export async function activeContractsOf(customerId: string): Promise<ContractItem[]> {
  const found: ContractItem[] = [];
  let startKey: Stored | undefined;
  do {
    const out = await ddb().send(new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      FilterExpression: '#status = :active',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pk': keys.contract.customerPartition(customerId), ':active': 'active' },
      ExclusiveStartKey: startKey,
    }));
    for (const item of out.Items ?? []) found.push(strip(item)!);
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return found;
}

/**
 * For other features' transactions (a ticket naming a contract): the contract item's key and the
 * condition that it exists and belongs to `customerId` — `tx.check(label, key, condition)`.
 */
export const contractOfCustomer = (contractId: string, customerId: string) => ({
  key: keys.contract.primary(contractId),
  condition: { expression: 'attribute_exists(pk) AND customerId = :customer', values: { ':customer': customerId } },
});

export interface DueEntry {
  id: string;
  /** The date the index copy holds (may be behind the item: the index is eventually consistent). */
  date: string;
}

/** One page of contracts due on or before `throughDate`, oldest first; keys and date only. */
export async function queryDuePage(throughDate: string, limit: number, startKey: Stored | undefined): Promise<{ items: DueEntry[]; lastKey?: Stored }> {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi2',
    KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :through',
    ExpressionAttributeValues: { ':pk': keys.contract.duePartition, ':through': keys.contract.throughDate(throughDate) },
    ProjectionExpression: 'id, gsi2sk',
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return {
    items: (out.Items ?? []).map((item) => ({ id: item.id as string, date: String(item.gsi2sk).split('#')[0]! })),
    lastKey: out.LastEvaluatedKey,
  };
}

/** Contracts by id, strongly consistent (the job's page reads). */
export async function getContracts(ids: readonly string[]): Promise<Map<string, ContractItem>> {
  const found = new Map<string, ContractItem>();
  for (const item of await batchGetItems(ids.map((id) => keys.contract.primary(id)), { consistent: true })) found.set(item.id as string, strip(item)!);
  return found;
}

/** Customers by id, strongly consistent (the job's page reads). */
export async function getCustomers(ids: readonly string[]): Promise<Map<string, CustomerState>> {
  const found = new Map<string, CustomerState>();
  for (const item of await batchGetItems(ids.map((id) => keys.customer.primary(id)), { consistent: true })) found.set(item.id as string, toCustomerState(item)!);
  return found;
}
