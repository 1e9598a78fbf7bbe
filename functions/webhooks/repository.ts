/**
 * DynamoDB access for webhooks and their deliveries (keys: functions/data/keys.ts, `webhook`).
 * Every read is one GetItem or one Query page; every write one conditional request or one
 * transaction (a disable together with its admin notifications).
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { type NotificationItem, notificationStored } from '../notifications/model';
import { type DeliveryItem, deliveryStored, DELIVERY_RETENTION_DAYS, type WebhookItem, webhookStored } from './model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

const isConditionFailure = (err: unknown) => (err as Error)?.name === 'ConditionalCheckFailedException';

export async function getWebhook(id: string): Promise<WebhookItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.webhook.primary(id), ConsistentRead: true }));
  return out.Item ? withoutKeys<WebhookItem>(out.Item) : undefined;
}

/**
 * Creates (`before` undefined) or replaces the webhook at its expected version, with its audit
 * entry (functions/webhooks/service.ts) in the same transaction: the change and its
 * `webhook.*` event commit together.
 */
export async function saveWebhook(before: WebhookItem | undefined, after: WebhookItem, audit: Stored): Promise<boolean> {
  const tx = new Transaction()
    .put('webhook', webhookStored(after), before ? { expression: 'version = :v', values: { ':v': before.version } } : { expression: 'attribute_not_exists(pk)' })
    .put('audit', audit);
  try {
    await tx.commit();
    return true;
  } catch (err) {
    if (err instanceof ConditionsFailed) return false;
    throw err;
  }
}

/** Deletes the webhook at its expected version, with its audit entry; its deliveries expire with their TTL. */
export async function deleteWebhook(id: string, version: number, audit: Stored): Promise<boolean> {
  const tx = new Transaction()
    .delete('webhook', keys.webhook.primary(id), { expression: 'version = :v', values: { ':v': version } })
    .put('audit', audit);
  try {
    await tx.commit();
    return true;
  } catch (err) {
    if (err instanceof ConditionsFailed) return false;
    throw err;
  }
}

export async function queryWebhooks(limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(), IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': keys.webhook.listPartition },
    Limit: limit, ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<WebhookItem>(i)), lastKey: out.LastEvaluatedKey };
}

/** Every active webhook (sparse gsi2; a CRM has a handful): what the deliverer matches events against. */
export async function activeWebhooks(): Promise<WebhookItem[]> {
  const found: WebhookItem[] = [];
  let startKey: Stored | undefined;
  do {
    const out = await ddb().send(new QueryCommand({
      TableName: table(), IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': keys.webhook.activePartition },
      ExclusiveStartKey: startKey,
    }));
    found.push(...(out.Items ?? []).map((i) => withoutKeys<WebhookItem>(i)));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return found;
}

export async function getDelivery(webhookId: string, deliveryId: string): Promise<DeliveryItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.webhook.delivery(webhookId, deliveryId), ConsistentRead: true }));
  return out.Item ? withoutKeys<DeliveryItem>(out.Item) : undefined;
}

/** A webhook's deliveries, newest first: one Query page of its partition. */
export async function queryDeliveries(webhookId: string, limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.webhook.partition(webhookId), ':prefix': keys.webhook.deliveryPrefix },
    ScanIndexForward: false, Limit: limit, ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<DeliveryItem>(i)), lastKey: out.LastEvaluatedKey };
}

/** Creates a delivery unless one exists for this event already (the event arrived twice): false then. */
export async function createDelivery(delivery: DeliveryItem): Promise<boolean> {
  try {
    await ddb().send(new PutCommand({ TableName: table(), Item: deliveryStored(delivery), ConditionExpression: 'attribute_not_exists(pk)' }));
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** Due deliveries (pending, nextAttemptAt <= now), oldest first: one Query page of the due index. */
export async function dueDeliveries(now: Date, limit: number): Promise<{ webhookId: string; id: string; nextAttemptAt: string }[]> {
  const out = await ddb().send(new QueryCommand({
    TableName: table(), IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :upto',
    ExpressionAttributeValues: { ':pk': keys.webhook.duePartition, ':upto': `${now.toISOString()}#~` },
    ProjectionExpression: 'webhookId, id, nextAttemptAt',
    Limit: limit,
  }));
  return (out.Items ?? []) as { webhookId: string; id: string; nextAttemptAt: string }[];
}

/**
 * Takes a delivery for one attempt: it must still be pending at the time it was seen due (or, for a
 * redelivery, in any state) and gets a lease: leaves the due index until LEASE_MS later, so of two
 * runs exactly one attempts it, and a crashed attempt is retried once the lease ends.
 */
export async function claimDelivery(webhookId: string, deliveryId: string, expectedNextAt: string | undefined, leaseId: string, leaseUntil: Date): Promise<DeliveryItem | undefined> {
  const until = leaseUntil.toISOString();
  try {
    const out = await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.webhook.delivery(webhookId, deliveryId),
      UpdateExpression: 'SET #status = :pending, nextAttemptAt = :until, leaseId = :lease, gsi1pk = :duePk, gsi1sk = :dueSk REMOVE expiresAt',
      ConditionExpression: expectedNextAt === undefined ? 'attribute_exists(pk)' : '#status = :pending AND nextAttemptAt = :seen',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pending': 'pending', ':until': until, ':lease': leaseId,
        ':duePk': keys.webhook.duePartition, ':dueSk': keys.webhook.due(until, webhookId, deliveryId).gsi1sk,
        ...(expectedNextAt === undefined ? {} : { ':seen': expectedNextAt }),
      },
      ReturnValues: 'ALL_NEW',
    }));
    return out.Attributes ? withoutKeys<DeliveryItem>(out.Attributes) : undefined;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

/**
 * Records an attempt's outcome, if the lease is still this attempt's: the delivery's new state
 * (pending at its next time, delivered or dead) replaces the item. Finished deliveries leave the due
 * index and expire after DELIVERY_RETENTION_DAYS.
 */
export async function recordOutcome(after: DeliveryItem, leaseId: string, now: Date): Promise<boolean> {
  const finished = after.status !== 'pending';
  const item = { ...deliveryStored({ ...after, leaseId: undefined }), ...(finished ? { expiresAt: Math.floor(now.getTime() / 1000) + DELIVERY_RETENTION_DAYS * 86_400 } : {}) };
  delete (item as Stored).leaseId;
  try {
    await ddb().send(new PutCommand({
      TableName: table(), Item: item,
      ConditionExpression: 'leaseId = :lease', ExpressionAttributeValues: { ':lease': leaseId },
    }));
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** A success after failures clears `failingSince`; otherwise records the success at most hourly. */
export async function markWebhookHealthy(webhookId: string, now: Date): Promise<void> {
  try {
    await ddb().send(new UpdateCommand({
      TableName: table(), Key: keys.webhook.primary(webhookId),
      UpdateExpression: 'SET lastSuccessAt = :now REMOVE failingSince',
      ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':now': now.toISOString() },
    }));
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/** The first failure since the last success starts the webhook's failing clock (kept if running). */
export async function markWebhookFailing(webhookId: string, now: Date): Promise<void> {
  try {
    await ddb().send(new UpdateCommand({
      TableName: table(), Key: keys.webhook.primary(webhookId),
      UpdateExpression: 'SET failingSince = if_not_exists(failingSince, :now)',
      ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':now': now.toISOString() },
    }));
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/**
 * Disables a webhook that has failed since `failingSince` and notifies its admins, in one
 * transaction: only the run that flips `active` writes the notifications, so they arrive once.
 * False when it was changed meanwhile (re-enabled, succeeded, edited, or already disabled).
 */
export async function disableWebhook(webhook: WebhookItem, reason: string, notifications: NotificationItem[], audit: Stored, now: Date): Promise<boolean> {
  const at = now.toISOString();
  const tx = new Transaction();
  // The version read must still be current ("edited" above), so the audit entry's version is exact.
  tx.update('webhook', keys.webhook.primary(webhook.id), {
    expression: 'SET active = :false, disabledAt = :at, disabledReason = :reason, version = :next, updatedAt = :at REMOVE gsi2pk, gsi2sk',
    values: { ':false': false, ':at': at, ':reason': reason, ':next': webhook.version + 1 },
  }, { expression: 'active = :true AND failingSince = :since AND version = :v', values: { ':true': true, ':since': webhook.failingSince, ':v': webhook.version } });
  tx.put('audit', audit);
  for (const n of notifications) tx.put(`notification:${n.userId}`, notificationStored(n));
  try {
    await tx.commit();
    return true;
  } catch (err) {
    if ((err as Error).name === 'ConditionsFailed') return false;
    throw err;
  }
}
