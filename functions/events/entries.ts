/**
 * How an outbox item becomes an EventBridge entry. One implementation for the events publisher
 * (stream records) and for `npm run redrive` (failure objects and table items), so a republished
 * event is exactly the event first published. Pure: no clients, no logging.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { domainEventOf, EVENT_ATTRIBUTES } from './domain-event';
import { isOutboxRecord } from './outbox';

/**
 * The EventBridge entry of an outbox item (an audit entry carrying `event` and `at`), already
 * unmarshalled; undefined when it carries no event. `Time` is the time of the change, so a
 * republished event keeps it.
 */
export function toEntry(image: Record<string, unknown>, busName: string | undefined): PutEventsRequestEntry | undefined {
  // Entries store their event only when a writer changed it (functions/audit/audit.ts); otherwise
  // it is derived from the entry, exactly as the writer built it.
  const event = (image.event ?? domainEventOf(image)) as { source?: string; detailType?: string; detail?: unknown } | undefined;
  if (!event?.detailType) return undefined;
  return {
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: typeof image.at === 'string' ? new Date(image.at) : undefined,
    EventBusName: busName,
  };
}

/**
 * The EventBridge entry of a stream record as Lambda delivers it: undefined when the record is not
 * an inserted outbox item or carries no event; throws when its event cannot be read.
 */
export function streamRecordEntry(record: DynamoDBRecord, busName: string | undefined): PutEventsRequestEntry | undefined {
  if (!isOutboxRecord(record as never) || !record.dynamodb?.NewImage) return undefined;
  // Only the event and its time, or the attributes the event is derived from: the rest of the
  // audit entry is none of the bus's business, and an attribute this code does not understand
  // must not block the stream.
  const image = record.dynamodb.NewImage as Record<string, unknown>;
  const wanted = image.event ? ['event', 'at'] : OUTBOX_ATTRIBUTES;
  return toEntry(unmarshall(Object.fromEntries(wanted.filter((name) => image[name] !== undefined).map((name) => [name, image[name]])) as never), busName);
}

/** The attributes of a stored outbox item that make its EventBridge entry (what a reader projects). */
export const OUTBOX_ATTRIBUTES: readonly string[] = ['event', ...EVENT_ATTRIBUTES];
