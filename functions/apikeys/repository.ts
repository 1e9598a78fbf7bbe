/**
 * DynamoDB access for API keys (keys: functions/data/keys.ts, `apiKey`). Every change writes the
 * key item and its audit entry (functions/apikeys/service.ts) in one transaction, conditioned on
 * the version read, so the change and its `api-key.*` event commit together.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import { ConditionsFailed, Transaction } from '../data/transaction';
import type { ApiKeyItem } from './model';

const table = () => config().tableName;

const stored = (item: ApiKeyItem) => ({ ...keys.apiKey.primary(item.id), ...keys.apiKey.list(item.id), kind: 'api-key', ...item });

export async function putKey(item: ApiKeyItem, audit: Record<string, unknown>): Promise<void> {
  await new Transaction().put('key', stored(item), { expression: 'attribute_not_exists(pk)' }).put('audit', audit).commit();
}

export async function getKey(id: string): Promise<ApiKeyItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.apiKey.primary(id), ConsistentRead: true }));
  return out.Item ? withoutKeys<ApiKeyItem>(out.Item) : undefined;
}

/**
 * Replaces the key item if it is still at the version read (items from before versions existed
 * count as version 1). The authorizer's `lastUsedAt` update does not bump the version, so it
 * cannot make a change fail. False when it changed meanwhile.
 */
export async function replaceKey(before: ApiKeyItem, after: ApiKeyItem, audit: Record<string, unknown>): Promise<boolean> {
  const condition = before.version === undefined
    ? { expression: 'attribute_exists(pk) AND attribute_not_exists(version)' }
    : { expression: 'version = :v', values: { ':v': before.version } };
  // lastUsedAt is the authorizer's: keep whatever it wrote since the read.
  const { lastUsedAt: _lastUsed, ...rest } = after;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  for (const [i, field] of (['name', 'rateLimitPerMinute', 'revokedAt', 'revokedBy', 'version', 'updatedAt', 'updatedBy'] as const).entries()) {
    names[`#f${i}`] = field;
    if (rest[field] === undefined) removes.push(`#f${i}`);
    else {
      values[`:f${i}`] = rest[field];
      sets.push(`#f${i} = :f${i}`);
    }
  }
  const expression = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
  try {
    await new Transaction().update('key', keys.apiKey.primary(before.id), { expression, names, values }, condition).put('audit', audit).commit();
    return true;
  } catch (err) {
    if (err instanceof ConditionsFailed) return false;
    throw err;
  }
}

export async function queryKeys(limit: number, startKey: Record<string, unknown> | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(), IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': keys.apiKey.listPartition },
    ScanIndexForward: false, Limit: limit, ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<ApiKeyItem>(i)), lastKey: out.LastEvaluatedKey };
}
