/**
 * DynamoDB access for notifications. Every key includes the addressee, so a caller can only
 * ever reach their own notifications: nobody else's id resolves to anything.
 */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';

const table = () => config().tableName;

/** One page, newest first: the user's partition, or their sparse unread partition on gsi1. */
export async function queryNotifications(userId: string, unread: boolean, limit: number, startKey: Record<string, unknown> | undefined) {
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      ...(unread
        ? { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': keys.notification.unreadPartition(userId) } }
        : { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.notification.partition(userId) } }),
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
}

/**
 * Marks one notification read (first read time wins) and takes it out of the unread partition.
 * Returns undefined when the user has no such notification.
 */
export async function markRead(userId: string, id: string, now: Date): Promise<Record<string, unknown> | undefined> {
  try {
    const out = await ddb().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.notification.primary(userId, id),
        UpdateExpression: 'SET readAt = if_not_exists(readAt, :now) REMOVE gsi1pk, gsi1sk',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': now.toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes;
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw err;
  }
}

/** Ids of up to `limit` unread notifications (keys only from the sparse index). */
export async function unreadIds(userId: string, limit: number): Promise<{ ids: string[]; more: boolean }> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.notification.unreadPartition(userId) },
      ProjectionExpression: 'sk',
      Limit: limit,
    }),
  );
  return { ids: (out.Items ?? []).map((i) => i.sk as string), more: out.LastEvaluatedKey !== undefined };
}
