import { describe, expect, it, vi } from 'vitest';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { handler } from '../../functions/events/publisher';

type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[] } };

/** Runs `work` and returns the EMF documents it wrote to stdout (Powertools Metrics' output). */
async function emfOf(work: () => Promise<unknown>): Promise<Emf[]> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
  try {
    await work();
  } finally {
    write.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);
}

const accepted = (n: number) => ({ FailedEntryCount: 0, Entries: Array.from({ length: n }, (_, i) => ({ EventId: String(i) })) });

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

  it('counts published, failed and unreadable events in one EMF document per invocation, namespace CRM', async () => {
    const send = vi.spyOn(EventBridgeClient.prototype, 'send').mockResolvedValue(accepted(2) as never);
    const docs = await emfOf(() => handler({ Records: [good('1'), good('2')] } as unknown as DynamoDBStreamEvent));
    send.mockRestore();
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ EventsPublished: 2, EventsFailed: 0, EventsUnreadable: 0 });
    expect(docs[0]!._aws.CloudWatchMetrics[0]!.Namespace).toBe('CRM');
    expect(docs[0]!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort()).toEqual(['EventsFailed', 'EventsPublished', 'EventsUnreadable']);
  });

  it('counts entries EventBridge rejected and batches whose call threw as failed', async () => {
    let send = vi.spyOn(EventBridgeClient.prototype, 'send').mockResolvedValue({ FailedEntryCount: 1, Entries: [{ EventId: '1' }, { ErrorCode: 'InternalFailure' }, { EventId: '3' }] } as never);
    let docs = await emfOf(() => handler({ Records: [good('1'), good('2'), good('3')] } as unknown as DynamoDBStreamEvent));
    send.mockRestore();
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ EventsPublished: 2, EventsFailed: 1 });

    send = vi.spyOn(EventBridgeClient.prototype, 'send').mockRejectedValue(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    let out: unknown;
    docs = await emfOf(async () => { out = await handler({ Records: [good('1'), good('2')] } as unknown as DynamoDBStreamEvent); });
    send.mockRestore();
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }] });
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ EventsPublished: 0, EventsFailed: 2 });
  });

  it('counts an outbox record whose event cannot be read as unreadable and reports it for retry', async () => {
    const send = vi.spyOn(EventBridgeClient.prototype, 'send').mockResolvedValue(accepted(1) as never);
    const broken = record('2', { kind: { S: 'audit' }, event: { M: { detailType: { S: 'customer.created' }, detail: {} } } });
    let out: unknown;
    const docs = await emfOf(async () => { out = await handler({ Records: [good('1'), broken, good('3')] } as unknown as DynamoDBStreamEvent); });
    send.mockRestore();
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(docs[0]).toMatchObject({ EventsPublished: 1, EventsFailed: 0, EventsUnreadable: 1 });
  });

  it('writes no metrics when POWERTOOLS_METRICS_DISABLED is set, as the local runtime does', async () => {
    vi.resetModules();
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    try {
      const local = await import('../../functions/events/publisher');
      const send = vi.spyOn(EventBridgeClient.prototype, 'send').mockResolvedValue(accepted(1) as never);
      let out: unknown;
      const docs = await emfOf(async () => { out = await local.handler({ Records: [good('1')] } as unknown as DynamoDBStreamEvent); });
      send.mockRestore();
      expect(out).toEqual({ batchItemFailures: [] });
      expect(docs).toEqual([]);
    } finally {
      delete process.env.POWERTOOLS_METRICS_DISABLED;
    }
  });
});
