/**
 * Transactional outbox. Every write puts an audit item in the same DynamoDB transaction as the
 * change itself; that item carries the domain event. The table stream delivers new audit items
 * to the events publisher, which puts them on EventBridge. A change therefore never commits
 * without its event, and a failed publish is retried from the stream, never lost: a batch that
 * keeps failing is kept whole in the failed-events bucket (functions/events/failures.ts) and
 * republished with `npm run redrive`.
 *
 * The filter below is used by CDK (Lambda event-source filter) and by the local stream poller.
 */
export const OUTBOX_KIND = 'audit';

/** Lambda event filter pattern: only inserted audit items reach the publisher. */
export const OUTBOX_STREAM_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { kind: { S: [OUTBOX_KIND] } } },
} as const;

/** The same test applied to a raw stream record (local poller). */
export function isOutboxRecord(record: { eventName?: string; dynamodb?: { NewImage?: Record<string, { S?: string }> } }): boolean {
  return record.eventName === 'INSERT' && record.dynamodb?.NewImage?.kind?.S === OUTBOX_KIND;
}

/** EventBridge `source` of every CRM domain event. */
export const EVENT_SOURCE = 'crm';
