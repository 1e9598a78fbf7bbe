/**
 * Audit/outbox entries are stored without a copy of their domain event (functions/audit/audit.ts):
 * the publisher derives it from the entry. What is published must be exactly the event the writer
 * built, and a writer that changes the event must get its change published.
 */
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { auditItem } from '../../functions/audit/audit';
import { streamRecordEntry, toEntry } from '../../functions/events/entries';
import { itemSize } from '../../functions/data/capacity';

const actor = { userId: 'u-1', role: 'sales', groups: [] } as never;
const entry = (customerId = 'cus_1') => auditItem({
  customerId, entityType: 'customer', entityId: customerId, action: 'created', actor, at: new Date('2026-12-01T10:00:00Z'), version: 1,
  changes: [{ field: 'name', to: 'Acme' }, { field: 'email', redacted: true }], timeline: true,
});
const stored = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true });
const insert = (image: Record<string, unknown>): DynamoDBRecord => ({ eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: image as never } });

describe('outbox entries without a stored event', () => {
  it('stores no event, and publishes the one the writer built', () => {
    const planned = entry();
    const image = stored(planned);
    expect(image.event).toBeUndefined();
    const published = streamRecordEntry(insert(image), 'bus')!;
    expect(published).toMatchObject({ Source: 'crm', DetailType: 'customer.created', EventBusName: 'bus', Time: new Date('2026-12-01T10:00:00Z') });
    expect(JSON.parse(published.Detail!)).toEqual({
      eventId: planned.id, type: 'customer.created', occurredAt: '2026-12-01T10:00:00.000Z', entityType: 'customer', entityId: 'cus_1',
      customerId: 'cus_1', version: 1, changedFields: ['name', 'email'], actorId: 'u-1',
    });
    // The in-memory event and the derived one are the same event.
    expect(JSON.parse(published.Detail!)).toEqual((planned.event as { detail: unknown }).detail);
    // … and a redrive from the table item publishes it again unchanged.
    expect(toEntry(unmarshall(image), 'bus')).toEqual(published);
  });

  it('stores and publishes an event a writer changed (tasks and leads drop an empty customerId)', () => {
    const planned = entry('');
    const event = planned.event as { detail: Record<string, unknown> };
    delete event.detail.customerId;
    const copy = { ...planned, sk: 'AUD#moved' };
    const image = stored(copy);
    expect(image.event).toBeDefined();
    expect(JSON.parse(streamRecordEntry(insert(image), undefined)!.Detail!)).not.toHaveProperty('customerId');
  });

  it('is smaller by the event it no longer repeats', () => {
    // Ids as long as real ones: a ULID customer id, a Cognito user id.
    const planned = auditItem({
      customerId: 'cus_01KBCDEFGHJKMNPQRSTVWXYZ12', entityType: 'customer', entityId: 'cus_01KBCDEFGHJKMNPQRSTVWXYZ12', action: 'created',
      actor: { userId: '3f1c9a52-1b2c-4d3e-8f90-123456789abc', role: 'sales', groups: [] } as never, at: new Date(), version: 1,
      changes: [{ field: 'name', to: 'Acme' }, { field: 'type', to: 'company' }, { field: 'ownerId', to: '3f1c9a52-1b2c-4d3e-8f90-123456789abc' }],
    });
    const compact = itemSize(stored(planned));
    const full = itemSize(stored({ ...planned, event: planned.event }));
    expect(full - compact).toBeGreaterThan(300);
  });

  it('publishes nothing for an outbox item that has neither an event nor what one is made of', () => {
    expect(streamRecordEntry(insert({ kind: { S: 'audit' }, at: { S: '2026-12-01T10:00:00Z' } }), undefined)).toBeUndefined();
  });
});
