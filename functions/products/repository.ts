/**
 * DynamoDB access for products. The product and its SKU guard are written in one transaction
 * (labels `product`, `unique:sku`); reads are one GetItem, one BatchGet or one Query page.
 */
import { withoutKeys } from '../data/records';
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { Transaction } from '../data/transaction';
import type { ProductItem } from './model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

function strip(item: Stored | undefined): ProductItem | undefined {
  return item ? withoutKeys<ProductItem>(item) : undefined;
}

const stored = (p: ProductItem): Stored => ({ ...keys.product.primary(p.id), ...keys.product.indexes(p), kind: 'product', ...p });

export async function getProduct(id: string): Promise<ProductItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.product.primary(id), ConsistentRead: true }));
  return strip(out.Item);
}

/** Up to 100 products in one BatchGet (unprocessed keys are retried). */
export async function getProducts(ids: readonly string[]): Promise<Map<string, ProductItem>> {
  const found = new Map<string, ProductItem>();
  let pending: Stored[] = [...new Set(ids)].map((id) => keys.product.primary(id));
  for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
    const out = await ddb().send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: pending, ConsistentRead: true } } }));
    for (const item of out.Responses?.[table()] ?? []) {
      const p = strip(item)!;
      found.set(p.id, p);
    }
    pending = (out.UnprocessedKeys?.[table()]?.Keys as Stored[] | undefined) ?? [];
  }
  if (pending.length > 0) throw Object.assign(new Error('BatchGet left keys unprocessed'), { name: 'ThrottlingException' });
  return found;
}

export async function saveProduct(before: ProductItem | undefined, after: ProductItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  if (before) {
    tx.put('product', stored(after), { expression: 'version = :v', values: { ':v': before.version } });
  } else {
    tx.put('product', stored(after), { expression: 'attribute_not_exists(pk)' });
    tx.put('unique:sku', { ...keys.product.sku(after.sku), kind: 'unique', productId: after.id }, { expression: 'attribute_not_exists(pk)' });
  }
  tx.put('audit', audit);
  await tx.commit();
}

export async function queryProducts(partition: { index: 'gsi1' | 'gsi2'; value: string }, prefix: string | undefined, limit: number, startKey: Stored | undefined) {
  const [pkName, skName] = partition.index === 'gsi1' ? ['gsi1pk', 'gsi1sk'] : ['gsi2pk', 'gsi2sk'];
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: partition.index,
    KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
    ExpressionAttributeNames: { '#pk': pkName, ...(prefix ? { '#sk': skName } : {}) },
    ExpressionAttributeValues: { ':pk': partition.value, ...(prefix ? { ':prefix': prefix } : {}) },
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => strip(i)!), lastKey: out.LastEvaluatedKey };
}
