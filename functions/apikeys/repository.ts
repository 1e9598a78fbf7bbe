/** DynamoDB access for API keys (keys: functions/data/keys.ts, `apiKey`). */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import type { ApiKeyItem } from './model';

const table = () => config().tableName;

export async function putKey(item: ApiKeyItem): Promise<void> {
  await ddb().send(new PutCommand({
    TableName: table(),
    Item: { ...keys.apiKey.primary(item.id), ...keys.apiKey.list(item.id), kind: 'api-key', ...item },
    ConditionExpression: 'attribute_not_exists(pk)',
  }));
}

export async function getKey(id: string): Promise<ApiKeyItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.apiKey.primary(id), ConsistentRead: true }));
  return out.Item ? withoutKeys<ApiKeyItem>(out.Item) : undefined;
}

/** Revokes once: a second revocation keeps the first time and revoker. */
export async function revokeKey(id: string, by: string, at: string): Promise<ApiKeyItem | undefined> {
  try {
    const out = await ddb().send(new UpdateCommand({
      TableName: table(), Key: keys.apiKey.primary(id),
      UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at), revokedBy = if_not_exists(revokedBy, :by)',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':at': at, ':by': by },
      ReturnValues: 'ALL_NEW',
    }));
    return out.Attributes ? withoutKeys<ApiKeyItem>(out.Attributes) : undefined;
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return undefined;
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
