/**
 * Publishes outbox items (audit entries carrying a domain event) from the table stream to the
 * EventBridge bus. Lambda invokes it with only inserted audit items (filter in outbox.ts); a
 * failed entry is reported as a batch item failure so Lambda retries from that record onwards
 * (at-least-once; consumers de-duplicate on detail.eventId).
 *
 * Business metrics (Powertools Metrics, EMF in the function's log; namespace from
 * POWERTOOLS_METRICS_NAMESPACE, default "CRM"), flushed once per invocation: EventsPublished
 * (entries EventBridge accepted), EventsFailed (entries it rejected or a PutEvents call that threw),
 * EventsUnreadable (outbox records whose event could not be read). Locally they are switched off
 * (POWERTOOLS_METRICS_DISABLED in local/env.ts).
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { clientOptions } from '../aws/client-options';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { streamRecordEntry } from './entries';
import { isOutboxRecord } from './outbox';
import { lazyLogger } from '../aws/logger';

const logger = lazyLogger('crm-events');
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'CRM', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm-events' });
let client: EventBridgeClient | undefined;
const events = () => (client ??= new EventBridgeClient(clientOptions('eventbridge')));

/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;

interface Pending {
  sequenceNumber: string;
  entry: PutEventsRequestEntry;
}

/** What one invocation did, for its metrics. */
interface Tally {
  published: number;
  failed: number;
  unreadable: number;
}

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const tally: Tally = { published: 0, failed: 0, unreadable: 0 };
  try {
    return await publishRecords(event, tally);
  } finally {
    // Every metric every time, zeros included: an alarm sees a quiet publisher, not missing data.
    metrics.addMetric('EventsPublished', MetricUnit.Count, tally.published);
    metrics.addMetric('EventsFailed', MetricUnit.Count, tally.failed);
    metrics.addMetric('EventsUnreadable', MetricUnit.Count, tally.unreadable);
    metrics.publishStoredMetrics();
  }
};

async function publishRecords(event: DynamoDBStreamEvent, tally: Tally): Promise<DynamoDBBatchResponse> {
  const busName = process.env.EVENT_BUS_NAME || undefined;
  const pending: Pending[] = [];
  for (const record of event.Records) {
    if (!isOutboxRecord(record as never) || !record.dynamodb?.NewImage) continue;
    const sequenceNumber = record.dynamodb.SequenceNumber!;
    let entry: PutEventsRequestEntry | undefined;
    try {
      entry = streamRecordEntry(record, busName);
    } catch (err) {
      // Publish what came before; Lambda retries from here and finally writes the record to the
      // failure bucket, from where `npm run redrive` republishes it once the cause is fixed.
      tally.unreadable += 1;
      logger().error('outbox record unreadable', { sequenceNumber, error: (err as Error).name });
      if (pending.length === 0) return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
      const result = await publish(pending, tally);
      return result ?? { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
    }
    if (entry) pending.push({ sequenceNumber, entry });
  }
  const failed = await publish(pending, tally);
  if (failed) return failed;
  logger().info('published', { count: pending.length });
  return { batchItemFailures: [] };
}

/** Puts the entries in batches of ten; the first failure stops and is reported for retry. */
async function publish(pending: Pending[], tally: Tally): Promise<DynamoDBBatchResponse | undefined> {
  for (let i = 0; i < pending.length; i += BATCH) {
    const batch = pending.slice(i, i + BATCH);
    try {
      const out = await events().send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
      const results = out.Entries ?? [];
      const rejected = results.filter((e) => e.ErrorCode).length;
      tally.published += batch.length - rejected;
      tally.failed += rejected;
      const failedAt = results.findIndex((e) => e.ErrorCode);
      if ((out.FailedEntryCount ?? 0) > 0 && failedAt >= 0) {
        logger().warn('events not accepted, will retry', { failed: out.FailedEntryCount, code: results[failedAt]?.ErrorCode });
        return { batchItemFailures: [{ itemIdentifier: batch[failedAt]!.sequenceNumber }] };
      }
    } catch (err) {
      tally.failed += batch.length;
      logger().warn('publishing failed, will retry', { error: (err as Error).name });
      return { batchItemFailures: [{ itemIdentifier: batch[0]!.sequenceNumber }] };
    }
  }
  return undefined;
}
