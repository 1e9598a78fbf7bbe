/**
 * Audit/outbox entries are stored without a copy of their domain event (functions/audit/audit.ts):
 * the publisher derives it from the entry. What is published must be exactly the event the writer
 * planned; entries of records without a customer publish an event that names none; entries written
 * before this change, with their event stored, publish it as stored.
 */
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { auditItem, eventOf, NO_CUSTOMER } from '../../functions/audit/audit';
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
    expect(JSON.parse(published.Detail!)).toEqual(eventOf(planned).detail);
    // … and a redrive from the table item publishes it again unchanged.
    expect(toEntry(unmarshall(image), 'bus')).toEqual(published);
  });

  it('names no customer in the event of a record without one', () => {
    for (const none of [NO_CUSTOMER, '']) {
      const planned = auditItem({ customerId: none, entityType: 'task', entityId: 'tsk_1', action: 'created', actor, at: new Date('2026-12-01T10:00:00Z'), version: 1, changes: [] });
      const image = stored({ ...planned, pk: 'TSK#tsk_1', sk: 'AUD#moved' });
      const detail = JSON.parse(streamRecordEntry(insert(image), undefined)!.Detail!);
      expect(detail).not.toHaveProperty('customerId');
      expect(detail).toEqual(eventOf(planned).detail);
    }
    // A record of a customer names it.
    const task = auditItem({ customerId: 'cus_9', entityType: 'task', entityId: 'tsk_2', action: 'created', actor, at: new Date(), version: 1, changes: [] });
    expect(JSON.parse(streamRecordEntry(insert(stored(task)), undefined)!.Detail!).customerId).toBe('cus_9');
  });

  it('publishes an entry written before this change (its event stored) as stored', () => {
    const old = { ...entry(), event: { source: 'crm', detailType: 'customer.created', detail: { eventId: 'aud_old', type: 'customer.created', legacy: true } } };
    const detail = JSON.parse(streamRecordEntry(insert(stored(old)), undefined)!.Detail!);
    expect(detail).toEqual({ eventId: 'aud_old', type: 'customer.created', legacy: true });
  });

  it('is smaller by the event it no longer repeats', () => {
    // Ids as long as real ones: a ULID customer id, a Cognito user id.
    const planned = auditItem({
      customerId: 'cus_01KBCDEFGHJKMNPQRSTVWXYZ12', entityType: 'customer', entityId: 'cus_01KBCDEFGHJKMNPQRSTVWXYZ12', action: 'created',
      actor: { userId: '3f1c9a52-1b2c-4d3e-8f90-123456789abc', role: 'sales', groups: [] } as never, at: new Date(), version: 1,
      changes: [{ field: 'name', to: 'Acme' }, { field: 'type', to: 'company' }, { field: 'ownerId', to: '3f1c9a52-1b2c-4d3e-8f90-123456789abc' }],
    });
    const compact = itemSize(stored(planned));
    const full = itemSize(stored({ ...planned, event: eventOf(planned) }));
    expect(full - compact).toBeGreaterThan(300);
  });

  it('publishes nothing for an outbox item that has neither an event nor what one is made of', () => {
    expect(streamRecordEntry(insert({ kind: { S: 'audit' }, at: { S: '2026-12-01T10:00:00Z' } }), undefined)).toBeUndefined();
  });
});
