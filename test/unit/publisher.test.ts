import { describe, expect, it, vi } from 'vitest';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { handler } from '../../functions/events/publisher';

const record = (seq: string, image: Record<string, unknown>) => ({
  eventID: seq, eventName: 'INSERT' as const, dynamodb: { SequenceNumber: seq, NewImage: image as never },
});
const good = (seq: string) => record(seq, {
  kind: { S: 'audit' }, at: { S: '2026-11-23T10:00:00.000Z' },
  event: { M: { source: { S: 'crm' }, detailType: { S: 'customer.created' }, detail: { M: { eventId: { S: `aud_${seq}` } } } } },
  // An attribute the publisher never needs, in a shape unmarshall rejects:
  changes: { L: [{ M: { field: { S: 'links' }, to: {} } }] },
});

describe('events publisher', () => {
  it('publishes outbox events without reading the rest of the audit entry', async () => {
    const send = vi.spyOn(EventBridgeClient.prototype, 'send').mockResolvedValue({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] } as never);
    const out = await handler({ Records: [good('1'), good('2')] } as unknown as DynamoDBStreamEvent);
    expect(out.batchItemFailures).toEqual([]);
    const entries = (send.mock.calls[0]![0] as { input: { Entries: { DetailType: string; Detail: string }[] } }).input.Entries;
    expect(entries.map((e) => e.DetailType)).toEqual(['customer.created', 'customer.created']);
    expect(JSON.parse(entries[0]!.Detail)).toEqual({ eventId: 'aud_1' });
    send.mockRestore();
  });

  it('reports the first entry EventBridge refused, so Lambda retries from there', async () => {
    const send = vi.spyOn(EventBridgeClient.prototype, 'send').mockResolvedValue({ FailedEntryCount: 1, Entries: [{ EventId: '1' }, { ErrorCode: 'ThrottlingException' }] } as never);
    const out = await handler({ Records: [good('1'), good('2'), good('3')] } as unknown as DynamoDBStreamEvent);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
    send.mockRestore();
  });
});
