/**
 * DynamoDB access shared by the marketing modules: one GetItem, one BatchGet or one Query page at
 * a time, keys from functions/data/keys.ts only.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import { batchGetItems } from '../jobs/batch-get';

export type Stored = Record<string, unknown>;
export const table = () => config().tableName;

export async function getItem<T>(key: Stored, consistent = true): Promise<T | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: consistent }));
  return out.Item ? withoutKeys<T>(out.Item) : undefined;
}

export interface QueryPage {
  items: Stored[];
  lastKey?: Stored;
}

/** One page of a partition (`index` or the table), optionally a sort-key prefix, newest first with `descending`. */
export async function queryPage(input: {
  index?: 'gsi1' | 'gsi2' | 'gsi3' | 'gsi4';
  partition: string;
  prefix?: string;
  upTo?: string;
  limit: number;
  startKey?: Stored;
  descending?: boolean;
  consistent?: boolean;
}): Promise<QueryPage> {
  const [pkName, skName] = input.index ? [`${input.index}pk`, `${input.index}sk`] : ['pk', 'sk'];
  const sortCondition = input.prefix !== undefined ? ' AND begins_with(#sk, :prefix)' : input.upTo !== undefined ? ' AND #sk <= :upTo' : '';
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    ...(input.index ? { IndexName: input.index } : {}),
    KeyConditionExpression: `#pk = :pk${sortCondition}`,
    ExpressionAttributeNames: { '#pk': pkName, ...(sortCondition ? { '#sk': skName } : {}) },
    ExpressionAttributeValues: {
      ':pk': input.partition,
      ...(input.prefix !== undefined ? { ':prefix': input.prefix } : {}),
      ...(input.prefix === undefined && input.upTo !== undefined ? { ':upTo': input.upTo } : {}),
    },
    Limit: input.limit,
    ExclusiveStartKey: input.startKey,
    ScanIndexForward: !input.descending,
    ...(input.consistent && !input.index ? { ConsistentRead: true } : {}),
  }));
  return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
}

/** A contact as marketing needs it (the customers feature owns the item). */
export interface ContactRecord {
  id: string;
  customerId: string;
  ownerId: string;
  firstName?: string;
  lastName: string;
  jobTitle?: string;
  email?: string;
  phone?: string;
}

export interface CustomerRecord {
  id: string;
  name: string;
  ownerId: string;
  industry?: string;
  tier?: string;
  lifecycleStage?: string;
  source?: string;
  tags?: string[];
  address?: { city?: string; country?: string };
  archivedAt?: string;
}

export const getContact = (id: string) => getItem<ContactRecord>(keys.contact.primary(id));
export const getCustomer = (id: string) => getItem<CustomerRecord>(keys.customer.primary(id));

/** Contacts by id (BatchGet, 100 keys a request). */
export async function getContacts(ids: readonly string[], consistent = false): Promise<Map<string, ContactRecord>> {
  const found = new Map<string, ContactRecord>();
  for (const item of await batchGetItems(ids.map((id) => keys.contact.primary(id)), { consistent })) {
    const contact = withoutKeys<ContactRecord>(item);
    found.set(contact.id, contact);
  }
  return found;
}

/** Customers by id (BatchGet). */
export async function getCustomers(ids: readonly string[]): Promise<Map<string, CustomerRecord>> {
  const found = new Map<string, CustomerRecord>();
  for (const item of await batchGetItems(ids.map((id) => keys.customer.primary(id)))) {
    const customer = withoutKeys<CustomerRecord>(item);
    found.set(customer.id, customer);
  }
  return found;
}

export const isConditionFailure = (err: unknown) => err instanceof Error && err.name === 'ConditionalCheckFailedException';
