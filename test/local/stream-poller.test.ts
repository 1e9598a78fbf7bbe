import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFailureRecord, type StreamFailureRecord } from '../../functions/events/failures';
import { LOCAL_CREDENTIALS, LOCAL_FAILED_EVENTS_BUCKET, LOCAL_REGION } from '../../local/env';
import { ensureTable } from '../../local/engines/dynamodb';
import { startS3, type LocalS3 } from '../../local/engines/s3';
import { createStreamPoller, type StreamPollerOptions } from '../../local/stream-poller';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let client: DynamoDBClient;
let endpoint: string;
let counter = 0;
/** The on-failure destination: s3rver with the local failed-events bucket. */
let s3: LocalS3;
let s3Client: S3Client;
let s3Dir: string;

beforeAll(async () => {
  stack = await startTestStack();
  endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
  client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  s3Dir = mkdtempSync(join(tmpdir(), 'crm-poller-s3-'));
  s3 = await startS3({ directory: s3Dir, buckets: [LOCAL_FAILED_EVENTS_BUCKET] });
  s3Client = new S3Client({ endpoint: s3.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
});

afterAll(async () => {
  client?.destroy();
  s3Client?.destroy();
  await s3?.stop();
  if (s3Dir) rmSync(s3Dir, { recursive: true, force: true });
  await stack?.stop();
});

/** The failure objects the current test's table produced (each test's table has its own stream ARN). */
async function failureObjects(): Promise<{ key: string; record: StreamFailureRecord }[]> {
  const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: LOCAL_FAILED_EVENTS_BUCKET, Prefix: 'aws/lambda/' }));
  const objects = await Promise.all((listed.Contents ?? []).map(async ({ Key }) => {
    const body = await (await s3Client.send(new GetObjectCommand({ Bucket: LOCAL_FAILED_EVENTS_BUCKET, Key }))).Body!.transformToString();
    return { key: Key!, record: JSON.parse(body) as StreamFailureRecord };
  }));
  return objects.filter((o) => o.record.DDBStreamBatchInfo.streamArn.includes(`table/${table}/stream/`));
}

/** The table of the current test: each test gets a fresh one, so its stream holds only its own writes. */
let table = '';

/**
 * A poller over a fresh table, reading from the stream's start (TRIM_HORIZON, as `npm start`
 * does). Fresh tables rather than a LATEST iterator: DynamoDB Local's LATEST iterators proved
 * unreliable under load, and a fresh stream makes every test's expectations exact.
 */
async function poller(handler: (event: DynamoDBStreamEvent) => Promise<unknown>, extra: Partial<StreamPollerOptions> = {}) {
  table = `${stack.tableName}-p${++counter}`;
  await ensureTable(client, table);
  return createStreamPoller({ tableName: table, ddb: client, endpoint, handler: async () => handler as never, ...extra });
}

async function putAudit(): Promise<string> {
  const id = `evt-${++counter}`;
  await stack.ddb.send(new PutCommand({ TableName: table, Item: { pk: `CUS#${id}`, sk: `AUDIT#${id}`, kind: 'audit', id } }));
  return id;
}

/**
 * Stream records become readable asynchronously; under load an early drain may see nothing yet.
 * Drain until the test's condition holds (or 15 s pass), then once more so extra deliveries show.
 */
async function drainUntil(p: { drain(): Promise<void> }, done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 15_000; !done() && Date.now() < deadline; ) {
    await p.drain();
    if (!done()) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await p.drain();
}

/** Lets the stream catch up with writes before a test's first read, so batches hold them all. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

const idsOf = (event: DynamoDBStreamEvent) => event.Records.map((r) => r.dynamodb!.NewImage!.id!.S);

describe('stream poller', () => {
  it('delivers an inserted outbox item once, in Lambda\'s record shape, and skips everything else', async () => {
    const batches: DynamoDBStreamEvent[] = [];
    const p = await poller(async (event) => { batches.push(event); return { batchItemFailures: [] }; });
    await stack.ddb.send(new PutCommand({ TableName: table, Item: { pk: 'CUS#x', sk: 'CUS#x', kind: 'customer' } }));
    const id = await putAudit();
    await stack.ddb.send(new UpdateCommand({ TableName: table, Key: { pk: `CUS#${id}`, sk: `AUDIT#${id}` }, UpdateExpression: 'SET touched = :t', ExpressionAttributeValues: { ':t': true } }));
    await drainUntil(p, () => batches.length > 0);
    expect(batches).toHaveLength(1);
    const record = batches[0]!.Records[0]!;
    expect(batches[0]!.Records).toHaveLength(1);
    expect(record).toMatchObject({
      eventName: 'INSERT', eventSource: 'aws:dynamodb', eventVersion: '1.1', awsRegion: LOCAL_REGION,
      eventSourceARN: expect.stringMatching(/^arn:aws:dynamodb:.*:table\/crm-test-.*-p\d+\/stream\//),
      dynamodb: { Keys: { pk: { S: `CUS#${id}` }, sk: { S: `AUDIT#${id}` } }, NewImage: { kind: { S: 'audit' }, id: { S: id } }, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    expect(record.eventID).toBeTruthy();
    expect(record.dynamodb!.SequenceNumber).toMatch(/^\d+$/);
    expect(typeof record.dynamodb!.ApproximateCreationDateTime).toBe('number');
  });

  it('redelivers from the first reported failure on, and only that far back', async () => {
    const batches: string[][] = [];
    let failOnce = true;
    const p = await poller(async (event) => {
      batches.push(idsOf(event) as string[]);
      if (failOnce && event.Records.length > 1) {
        failOnce = false;
        return { batchItemFailures: [{ itemIdentifier: event.Records[1]!.dynamodb!.SequenceNumber! }] };
      }
      return { batchItemFailures: [] };
    });
    const [a, b, c] = [await putAudit(), await putAudit(), await putAudit()];
    await settle();
    await drainUntil(p, () => batches.length >= 2);
    expect(batches).toEqual([[a, b, c], [b, c]]);
  });

  it('retries the whole batch when the publisher throws, and gives up after maxRetries', async () => {
    let calls = 0;
    const p = await poller(async () => { calls += 1; throw new Error('bus down'); }, { maxRetries: 2 });
    await putAudit();
    await drainUntil(p, () => calls >= 3);
    expect(calls).toBe(3);
    await p.drain();
    expect(calls).toBe(3);
  });

  it('resumes from its persisted checkpoint after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-poller-'));
    try {
      const stateFile = join(dir, 'state.json');
      const seen: string[] = [];
      const handler = async (event: DynamoDBStreamEvent) => { seen.push(...(idsOf(event) as string[])); return { batchItemFailures: [] }; };
      const before = await poller(handler, { stateFile });
      const first = await putAudit();
      await drainUntil(before, () => seen.length >= 1);
      const second = await putAudit();
      const after = createStreamPoller({ tableName: table, ddb: client, endpoint, stateFile, handler: async () => handler as never });
      await drainUntil(after, () => seen.length >= 2);
      expect(seen).toEqual([first, second]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivers in the background once started', async () => {
    const seen: string[] = [];
    const p = await poller(async (event) => { seen.push(...(idsOf(event) as string[])); return { batchItemFailures: [] }; }, { pollIntervalMs: 50 });
    p.start();
    try {
      const id = await putAudit();
      await expect.poll(() => seen, { timeout: 5_000 }).toEqual([id]);
    } finally {
      await p.stop();
    }
  });

  it('sends a batch whose retries are used up, whole, to the failure bucket in Lambda\'s S3 record shape, and moves on', async () => {
    const batches: string[][] = [];
    let poisoned: string | undefined;
    const p = await poller(async (event) => {
      batches.push(idsOf(event) as string[]);
      const bad = event.Records.find((r) => r.dynamodb!.NewImage!.id!.S === poisoned);
      return { batchItemFailures: bad ? [{ itemIdentifier: bad.dynamodb!.SequenceNumber! }] : [] };
    }, { maxRetries: 2, onFailure: { endpoint: s3.endpoint, bucket: LOCAL_FAILED_EVENTS_BUCKET } });
    const [a, b, c] = [await putAudit(), await putAudit(), await putAudit()];
    poisoned = b;
    await settle();
    await drainUntil(p, () => batches.length >= 3);
    // First the whole batch, then the rest from the reported record on: two retries (maxRetries 2).
    expect(batches).toEqual([[a, b, c], [b, c], [b, c]]);
    const objects = await failureObjects();
    expect(objects).toHaveLength(1);
    const { key, record } = objects[0]!;
    expect(key).toMatch(/^aws\/lambda\/[0-9a-f-]{36}\/[^/]+\/\d{4}\/\d{2}\/\d{2}\/\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}-[0-9a-f-]{36}$/);
    expect(key.split('/')[3]).toBe(record.DDBStreamBatchInfo.shardId);
    expect(record).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3, functionArn: expect.stringMatching(/^arn:aws:lambda:.*:function:/) },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      version: '1.0',
      DDBStreamBatchInfo: { batchSize: 2, approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/) },
    });
    expect(record.responseContext.functionError).toBeUndefined();
    expect(typeof record.payload).toBe('string');
    const kept = parseFailureRecord(JSON.stringify(record)).records;
    expect(kept.map((r) => r.dynamodb!.NewImage!.id!.S)).toEqual([b, c]);
    expect(record.DDBStreamBatchInfo.startSequenceNumber).toBe(kept[0]!.dynamodb!.SequenceNumber);
    expect(record.DDBStreamBatchInfo.endSequenceNumber).toBe(kept[1]!.dynamodb!.SequenceNumber);

    // The shard is not stuck: what comes next is delivered, and the failed batch is not retried again.
    poisoned = undefined;
    const d = await putAudit();
    await drainUntil(p, () => batches.flat().includes(d));
    expect(batches.slice(3)).toEqual([[d]]);
    expect(await failureObjects()).toHaveLength(1);
  });

  it('bisects a batch the publisher throws on, so only the bad record goes to the failure bucket', async () => {
    const batches: string[][] = [];
    const delivered: string[] = [];
    let poisoned: string | undefined;
    const p = await poller(async (event) => {
      const ids = idsOf(event) as string[];
      batches.push(ids);
      if (ids.includes(poisoned!)) throw new Error('injected failure');
      delivered.push(...ids);
      return { batchItemFailures: [] };
    }, { maxRetries: 1, onFailure: { endpoint: s3.endpoint, bucket: LOCAL_FAILED_EVENTS_BUCKET } });
    const [a, b, c] = [await putAudit(), await putAudit(), await putAudit()];
    poisoned = b;
    await settle();
    await drainUntil(p, () => delivered.includes(c));
    // [a b c] → halves [a b] and [c]; [a b] → [a] and [b]; [b] fails again (1 retry) and is given up.
    expect(batches).toEqual([[a, b, c], [a, b], [a], [b], [b], [c]]);
    expect(delivered).toEqual([a, c]);
    const objects = await failureObjects();
    expect(objects).toHaveLength(1);
    expect(objects[0]!.record).toMatchObject({ responseContext: { functionError: 'Unhandled' }, requestContext: { approximateInvokeCount: 2 }, DDBStreamBatchInfo: { batchSize: 1 } });
    expect(parseFailureRecord(JSON.stringify(objects[0]!.record)).records.map((r) => r.dynamodb!.NewImage!.id!.S)).toEqual([b]);
  });
});
