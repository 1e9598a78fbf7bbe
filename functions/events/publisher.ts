/**
 * Publishes outbox items (audit entries carrying a domain event) from the table stream to the
 * EventBridge bus. Lambda invokes it with only inserted audit items (filter in outbox.ts); a
 * failed entry is reported as a batch item failure so Lambda retries from that record onwards
 * (at-least-once; consumers de-duplicate on detail.eventId).
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { isOutboxRecord } from './outbox';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm-events' });
let client: EventBridgeClient | undefined;
const events = () => (client ??= new EventBridgeClient({ maxAttempts: 5 }));

/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;

interface Pending {
  sequenceNumber: string;
  entry: PutEventsRequestEntry;
}

export function toEntry(image: Record<string, unknown>, busName: string | undefined): PutEventsRequestEntry | undefined {
  const event = image.event as { source?: string; detailType?: string; detail?: unknown } | undefined;
  if (!event?.detailType) return undefined;
  return {
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: typeof image.at === 'string' ? new Date(image.at) : undefined,
    EventBusName: busName,
  };
}

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const busName = process.env.EVENT_BUS_NAME || undefined;
  const pending: Pending[] = [];
  for (const record of event.Records) {
    if (!isOutboxRecord(record as never) || !record.dynamodb?.NewImage) continue;
    const sequenceNumber = record.dynamodb.SequenceNumber!;
    let entry: PutEventsRequestEntry | undefined;
    try {
      // Only the event and its time: the rest of the audit entry is none of the bus's business,
      // and an attribute this code does not understand must not block the stream.
      const { event: outboxEvent, at } = record.dynamodb.NewImage as Record<string, unknown>;
      entry = toEntry(unmarshall({ ...(outboxEvent ? { event: outboxEvent } : {}), ...(at ? { at } : {}) } as never), busName);
    } catch (err) {
      // Publish what came before; Lambda retries from here and finally sends it to the DLQ.
      logger.error('outbox record unreadable', { sequenceNumber, error: (err as Error).name });
      if (pending.length === 0) return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
      const result = await publish(pending);
      return result ?? { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
    }
    if (entry) pending.push({ sequenceNumber, entry });
  }
  const failed = await publish(pending);
  if (failed) return failed;
  logger.info('published', { count: pending.length });
  return { batchItemFailures: [] };
};

/** Puts the entries in batches of ten; the first failure stops and is reported for retry. */
async function publish(pending: Pending[]): Promise<DynamoDBBatchResponse | undefined> {
  for (let i = 0; i < pending.length; i += BATCH) {
    const batch = pending.slice(i, i + BATCH);
    try {
      const out = await events().send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
      const failedAt = (out.Entries ?? []).findIndex((e) => e.ErrorCode);
      if ((out.FailedEntryCount ?? 0) > 0 && failedAt >= 0) {
        logger.warn('events not accepted, will retry', { failed: out.FailedEntryCount, code: out.Entries?.[failedAt]?.ErrorCode });
        return { batchItemFailures: [{ itemIdentifier: batch[failedAt]!.sequenceNumber }] };
      }
    } catch (err) {
      logger.warn('publishing failed, will retry', { error: (err as Error).name });
      return { batchItemFailures: [{ itemIdentifier: batch[0]!.sequenceNumber }] };
    }
  }
  return undefined;
}
