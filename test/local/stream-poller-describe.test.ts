/**
 * The local stream poller at scale: it must not ask DynamoDB Local for DescribeTable on every pass
 * (Local answers it by measuring every index over SQLite, which at ~100k items kept the engine busy
 * with no traffic), yet it must still follow the stream when its shards change.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, PutItemCommand, UpdateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engineEndpoint } from '../support/engine';
import { TABLE_SPEC } from '../../functions/data/table';
import { ensureTable } from '../../local/engines/dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/env';
import { createStreamPoller, type StreamPoller } from '../../local/stream-poller';

let endpoint: string;
let client: DynamoDBClient;
/** Commands this client sent, by name (the poller's DescribeTable goes through it). */
const sent = new Map<string, number>();
const tables: string[] = [];
let poller: StreamPoller | undefined;

beforeAll(() => {
  endpoint = engineEndpoint()!;
  client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  client.middlewareStack.add((next, context) => (args) => {
    sent.set(String(context.commandName), (sent.get(String(context.commandName)) ?? 0) + 1);
    return next(args);
  }, { step: 'initialize', name: 'countCommands' });
});

afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

afterAll(async () => {
  for (const table of tables) await client.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
  client?.destroy();
});

async function freshTable(): Promise<string> {
  const table = `crm-poller-describe-${process.pid}-${randomBytes(3).toString('hex')}`;
  tables.push(table);
  await ensureTable(client, table);
  return table;
}

let counter = 0;
async function putAudit(table: string): Promise<string> {
  const id = `evt-${++counter}`;
  await client.send(new PutItemCommand({ TableName: table, Item: marshall({ pk: `CUS#${id}`, sk: `AUDIT#${id}`, kind: 'audit', id }) }));
  return id;
}

/** Drains until `done()` holds or a generous limit passes (streams are asynchronous). */
async function drainUntil(p: StreamPoller, done: () => boolean, limitMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + limitMs; !done() && Date.now() < deadline; ) {
    await p.drain();
    if (!done()) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resolves once `done()` holds; fails after a generous limit. */
async function waitFor(done: () => boolean, limitMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + limitMs; !done(); ) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function collector(): { ids: string[]; handler: () => Promise<never> } {
  const ids: string[] = [];
  const handle = async (event: DynamoDBStreamEvent) => {
    for (const record of event.Records) ids.push(record.dynamodb!.NewImage!.id!.S!);
    return { batchItemFailures: [] };
  };
  return { ids, handler: async () => handle as never };
}

// Each wait inside may take up to its 60 s limit on a loaded machine; the tests' own limit is above that.
describe('stream poller and DescribeTable', { timeout: 240_000 }, () => {
  it('asks DescribeTable once, not on every pass, while delivering what arrives', async () => {
    const table = await freshTable();
    const { ids, handler } = collector();
    sent.clear();
    poller = createStreamPoller({ tableName: table, ddb: client, endpoint, handler });
    const first = await putAudit(table);
    await drainUntil(poller, () => ids.includes(first));
    expect(ids).toContain(first);
    // Many more passes (each drain is at least three), idle and with new records.
    for (let i = 0; i < 5; i++) await poller.drain();
    const second = await putAudit(table);
    await drainUntil(poller, () => ids.includes(second));
    expect(ids).toEqual([first, second]);
    expect(sent.get('DescribeTableCommand')).toBe(1);
  });

  it('the background loop does not ask DescribeTable per pass either', async () => {
    const table = await freshTable();
    const { ids, handler } = collector();
    sent.clear();
    poller = createStreamPoller({ tableName: table, ddb: client, endpoint, handler, pollIntervalMs: 10 });
    poller.start();
    // Many passes, counted rather than timed (a loaded machine just takes longer): each record is
    // put only once the one before it has arrived, so every record needs a pass of its own, and the
    // 10 ms loop passes idly in between.
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      const id = await putAudit(table);
      expected.push(id);
      await waitFor(() => ids.includes(id));
    }
    expect(ids).toEqual(expected);
    expect(sent.get('DescribeTableCommand')).toBe(1);
  });

  it('follows the stream to new shards when the old ones end (stream disabled and re-enabled)', async () => {
    const table = await freshTable();
    const { ids, handler } = collector();
    poller = createStreamPoller({ tableName: table, ddb: client, endpoint, handler });
    const before = await putAudit(table);
    await drainUntil(poller, () => ids.includes(before));
    const oldArn = (await client.send(new DescribeTableCommand({ TableName: table }))).Table!.LatestStreamArn;

    await client.send(new UpdateTableCommand({ TableName: table, StreamSpecification: { StreamEnabled: false } }));
    await client.send(new UpdateTableCommand({ TableName: table, StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_SPEC.stream } }));
    const newArn = (await client.send(new DescribeTableCommand({ TableName: table }))).Table!.LatestStreamArn;
    expect(newArn).not.toBe(oldArn);

    sent.clear();
    const after = await putAudit(table);
    await drainUntil(poller, () => ids.includes(after));
    expect(ids).toEqual([before, after]);
    // The ended shard made it look again: a handful of DescribeTable calls, not one per pass.
    expect(sent.get('DescribeTableCommand') ?? 0).toBeGreaterThanOrEqual(1);
    expect(sent.get('DescribeTableCommand') ?? 0).toBeLessThanOrEqual(3);
  });
});
