/**
 * Failed domain events, end to end on the local engines: the publisher keeps failing on one
 * record, the stream poller (Lambda's stand-in) gives up and writes the batch to the failed-events
 * bucket on s3rver, and `npm run redrive` (its CLI entry, against a "running CRM" described by
 * runtime.json) republishes it to the local bus — once, however often it runs. The window mode
 * republishes the outbox items of a time range straight from the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFailureRecord } from '../../functions/events/failures';
import { LOCAL_CREDENTIALS, LOCAL_FAILED_EVENTS_BUCKET, LOCAL_REGION } from '../../local/env';
import { lambdaContext, loadHandler } from '../../local/lambda';
import { writeRuntime } from '../../local/runtime';
import { createStreamPoller, type StreamPoller } from '../../local/stream-poller';
import { main } from '../../scripts/redrive';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
let dataDir: string;
let ddbClient: DynamoDBClient;
let s3: S3Client;

beforeAll(async () => {
  crm = await startTestStack({ s3: true });
  ddbClient = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  s3 = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL_S3, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  // What `npm start` publishes about itself; this process plays the running CRM.
  dataDir = mkdtempSync(join(tmpdir(), 'crm-redrive-'));
  process.env.DATA_DIR = dataDir;
  writeRuntime(dataDir, {
    pid: process.pid, startedAt: new Date().toISOString(), tableName: crm.tableName, api: crm.baseUrl,
    dynamodb: process.env.AWS_ENDPOINT_URL_DYNAMODB!, s3: process.env.AWS_ENDPOINT_URL_S3, events: process.env.AWS_ENDPOINT_URL_EVENTBRIDGE,
  });
});

afterAll(async () => {
  ddbClient?.destroy();
  s3?.destroy();
  await crm?.stop();
  delete process.env.DATA_DIR;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** `npm run redrive -- --local --bus crm-test …` in-process; returns the exit code and the JSON summary. */
async function redrive(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['--local', '--bus', 'crm-test', ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, summary: JSON.parse(out.at(-1) ?? '{}'), err: err.join('\n') };
}

async function createCustomer(name: string): Promise<string> {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** customer.created events of a customer on the local bus. */
async function createdEvents(customerId: string) {
  return (await crm.publishedEvents()).filter((e) => e['detail-type'] === 'customer.created' && e.detail.entityId === customerId);
}

async function keys(prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_FAILED_EVENTS_BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

const entityOf = (record: DynamoDBRecord) => record.dynamodb?.NewImage?.entityId?.S;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('redriving failed domain events', () => {
  it('republishes a record the publisher gave up on from the failure bucket, exactly once however often redrive runs', async () => {
    let poisoned: string | undefined;
    const publisher = await loadHandler('events-publisher');
    // Failure injection: the publisher fails whenever its batch holds the poisoned customer's event
    // (as if the bus refused it); everything else goes through the real publisher to the local bus.
    const poller: StreamPoller = createStreamPoller({
      tableName: crm.tableName, ddb: ddbClient, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB!, maxRetries: 2,
      onFailure: { endpoint: process.env.AWS_ENDPOINT_URL_S3!, bucket: LOCAL_FAILED_EVENTS_BUCKET },
      handler: async () => async (event: DynamoDBStreamEvent) => {
        if (event.Records.some((r) => entityOf(r) === poisoned)) throw new Error('injected: the bus refuses this event');
        return publisher(event, lambdaContext('events-publisher'));
      },
    });
    try {
      const a = await createCustomer('Redrive A');
      const poison = await createCustomer('Redrive P');
      const b = await createCustomer('Redrive B');
      poisoned = poison;
      // Generous: the stream and the failure destination are slow on a loaded machine.
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await pause(100)) {
        await poller.drain();
        if ((await createdEvents(b)).length > 0 && (await keys('aws/lambda/')).length > 0) break;
      }
      await poller.drain();
      expect((await createdEvents(a))).toHaveLength(1);
      expect((await createdEvents(b))).toHaveLength(1);
      expect(await createdEvents(poison)).toHaveLength(0);
      const failed = await keys('aws/lambda/');
      expect(failed).toHaveLength(1);

      // The object keeps the whole record (bisection isolated it): the poisoned customer's outbox insert.
      const body = await (await s3.send(new GetObjectCommand({ Bucket: LOCAL_FAILED_EVENTS_BUCKET, Key: failed[0] }))).Body!.transformToString();
      expect(parseFailureRecord(body).records.map(entityOf)).toEqual([poison]);

      const dry = await redrive('--failures', '--dry-run');
      expect(dry.code).toBe(0);
      expect(dry.summary).toMatchObject({ mode: 'failures', dryRun: true, objects: 1, records: 1, entries: 1, republished: 0, moved: 0 });
      expect(await createdEvents(poison)).toHaveLength(0);
      expect(await keys('aws/lambda/')).toEqual(failed);

      poisoned = undefined; // the cause is fixed; redrive does not go through the stream anyway
      const first = await redrive('--failures');
      expect(first.code).toBe(0);
      expect(first.summary).toMatchObject({ objects: 1, records: 1, entries: 1, republished: 1, failed: 0, skipped: 0, unreadable: 0, moved: 1 });
      const republished = await createdEvents(poison);
      expect(republished).toHaveLength(1);
      expect(republished[0].detail.eventId).toMatch(/^aud_/);
      expect(await keys('aws/lambda/')).toEqual([]);
      expect(await keys('redriven/')).toEqual([`redriven/${failed[0]}`]);

      const second = await redrive('--failures');
      expect(second.code).toBe(0);
      expect(second.summary).toMatchObject({ objects: 0, records: 0, republished: 0, moved: 0 });
      expect(await createdEvents(poison)).toHaveLength(1);
      expect(await createdEvents(a)).toHaveLength(1);
    } finally {
      await poller.stop();
    }
  }, 180_000);

  it('republishes the outbox items of a time window, with their original time and eventId', async () => {
    const earlier = await createCustomer('Window before');
    await pause(20);
    const from = new Date();
    await pause(20);
    const inside = [await createCustomer('Window 1'), await createCustomer('Window 2')];
    await pause(20);
    const to = new Date();
    await pause(20);
    const later = await createCustomer('Window after');

    const dry = await redrive('--from', from.toISOString(), '--to', to.toISOString(), '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.summary).toMatchObject({ mode: 'window', records: 2, entries: 2, republished: 0 });
    expect(dry.summary.scanned).toBeGreaterThanOrEqual(4); // the whole table is read
    for (const id of inside) expect(await createdEvents(id)).toHaveLength(0);

    const run = await redrive('--from', from.toISOString(), '--to', to.toISOString());
    expect(run.code).toBe(0);
    expect(run.summary).toMatchObject({ records: 2, entries: 2, republished: 2, failed: 0 });
    for (const id of inside) {
      const events = await createdEvents(id);
      expect(events).toHaveLength(1);
      expect(events[0].detail).toMatchObject({ type: 'customer.created', entityId: id, eventId: expect.stringMatching(/^aud_/) });
      const at = new Date(events[0].detail.occurredAt as string);
      expect(at >= from && at < to).toBe(true);
      // The republished event keeps the time of the change, not the time of the redrive.
      expect(events[0].time).toBe(at.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    }
    expect(await createdEvents(earlier)).toHaveLength(0);
    expect(await createdEvents(later)).toHaveLength(0);
  });

  it('says what is missing instead of guessing a target', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const saved = process.env.EVENT_BUS_NAME;
    delete process.env.EVENT_BUS_NAME;
    try {
      const code = await main(['--failures', '--region', 'eu-west-1'], { out: (l) => out.push(l), err: (l) => err.push(l) });
      expect(code).toBe(2);
      expect(err.join('\n')).toMatch(/No event bus: set --bus or EVENT_BUS_NAME/);
      expect(out).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.EVENT_BUS_NAME = saved;
    }
  });
});
