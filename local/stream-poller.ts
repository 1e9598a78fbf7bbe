/**
 * Local stand-in for the Lambda event source mapping between the table's stream and the events
 * publisher: reads DynamoDB Local's stream, keeps only outbox records (the same filter CDK puts
 * on the mapping), and invokes the publisher with Lambda-shaped DynamoDBStreamEvent batches.
 *
 * Delivery is at-least-once, like Lambda's: with `batchItemFailures` the batch is retried from
 * the first reported record on (records before it are checkpointed); a thrown error or an
 * unknown identifier retries the whole batch. After `maxRetries` failed attempts the batch is
 * skipped with a log line (Lambda would send it to an on-failure destination). Checkpoints
 * (last processed sequence number per shard) persist in a state file when one is given, so a
 * restart resumes where it stopped instead of republishing the whole stream.
 */
import { renameSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand, DynamoDBStreamsClient, ExpiredIteratorException, GetRecordsCommand, GetShardIteratorCommand,
  TrimmedDataAccessException, type _Record as StreamRecord, type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { isOutboxRecord } from '../functions/events/outbox';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './env';
import { lambdaContext, loadHandler, type AnyHandler } from './lambda';

export interface StreamPollerOptions {
  tableName: string;
  /** Client of the DynamoDB Local holding the table (for DescribeTable). */
  ddb: DynamoDBClient;
  /** DynamoDB Local endpoint for the streams API. */
  endpoint: string;
  /** Where checkpoints persist; omitted = memory only (tests). */
  stateFile?: string;
  /** Records per GetRecords call and per invocation (Lambda's BatchSize). Default 100. */
  batchSize?: number;
  /** Pause between polls when the stream is idle. Default 500 ms. */
  pollIntervalMs?: number;
  /**
   * Where a shard without a checkpoint starts, as in Lambda's event source mapping:
   * TRIM_HORIZON (default; everything still in the stream) or LATEST (only what comes next).
   * Prefer TRIM_HORIZON: under load DynamoDB Local's LATEST iterators were seen to miss records.
   */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Failed attempts per batch before it is skipped. Default 10. */
  maxRetries?: number;
  /** The publisher; default: the `events-publisher` feature's handler module. */
  handler?: () => Promise<AnyHandler>;
  log?: (entry: Record<string, unknown>) => void;
}

export interface StreamPoller {
  /** Polls in the background until stop(). */
  start(): void;
  /** Delivers every record committed so far (retrying failures at once) and resolves when caught up. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

interface ShardState {
  /** Last sequence number processed (delivered, filtered out or skipped). */
  checkpoint?: string;
  finished?: boolean;
}

interface PollerState {
  streamArn?: string;
  shards: Record<string, ShardState>;
}

type BatchOutcome = { ok: true } | { ok: false; retryFrom: number };

export function createStreamPoller(options: StreamPollerOptions): StreamPoller {
  const streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const batchSize = options.batchSize ?? 100;
  const pollInterval = options.pollIntervalMs ?? 500;
  const maxRetries = options.maxRetries ?? 10;
  const getHandler = options.handler ?? (() => loadHandler('events-publisher'));
  const log = options.log ?? (() => {});
  const state: PollerState = readState(options.stateFile);
  const iterators = new Map<string, string | undefined>();
  const attempts = new Map<string, number>();
  /**
   * Shards that take `startingPosition`: those open when the poller first looks. Shards that
   * appear later are children of known shards and are read from their start, as Lambda does.
   */
  let initialShards: Set<string> | undefined;
  /** After a failed delivery: the record to re-read the shard from. */
  const retryAt = new Map<string, string>();
  let lock: Promise<unknown> = Promise.resolve();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  /** Runs work after whatever poll is in progress, so the loop and drain() never interleave. */
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = lock.then(work, work);
    lock = next.catch(() => {});
    return next;
  }

  async function streamArn(): Promise<string> {
    const { Table } = await options.ddb.send(new DescribeTableCommand({ TableName: options.tableName }));
    const arn = Table?.LatestStreamArn;
    if (!arn) throw new Error(`Table ${options.tableName} has no stream`);
    if (state.streamArn !== arn) {
      // A recreated table has a new stream: old checkpoints mean nothing there.
      state.streamArn = arn;
      state.shards = {};
      iterators.clear();
      initialShards = undefined;
      saveState();
    }
    return arn;
  }

  async function listShards(arn: string): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }));
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  /** One pass over every shard whose parent is done; returns how many records were read. */
  async function pass(immediateRetry: boolean): Promise<number> {
    const arn = await streamArn();
    const shards = await listShards(arn);
    const known = new Set(shards.map((s) => s.ShardId));
    initialShards ??= new Set([...known].filter((id): id is string => !!id && !state.shards[id]));
    let read = 0;
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (state.shards[id]?.finished) continue;
      const parent = shard.ParentShardId;
      if (parent && known.has(parent) && !state.shards[parent]?.finished) continue; // keep order across splits
      for (;;) {
        const n = await readShard(arn, id, immediateRetry);
        read += n;
        if (n === 0 || !immediateRetry) break;
      }
    }
    return read;
  }

  async function readShard(arn: string, shardId: string, immediateRetry: boolean): Promise<number> {
    const shardState = (state.shards[shardId] ??= {});
    let iterator = iterators.get(shardId);
    if (!iterator) {
      const { ShardIterator } = await streams.send(new GetShardIteratorCommand({
        StreamArn: arn,
        ShardId: shardId,
        ...(retryAt.has(shardId)
          ? { ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: retryAt.get(shardId) }
          : shardState.checkpoint
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shardState.checkpoint }
            : { ShardIteratorType: initialShards?.has(shardId) ? options.startingPosition ?? 'TRIM_HORIZON' : 'TRIM_HORIZON' }),
      }));
      iterator = ShardIterator;
      if (!iterator) { shardState.finished = true; saveState(); return 0; }
    }
    let records: StreamRecord[];
    let next: string | undefined;
    try {
      const result = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
      records = result.Records ?? [];
      next = result.NextShardIterator;
    } catch (error) {
      if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
        iterators.delete(shardId);
        return 0;
      }
      throw error;
    }
    if (records.length === 0) {
      iterators.set(shardId, next);
      if (!next) { shardState.finished = true; saveState(); }
      return 0;
    }

    const outbox = records.filter((record) => isOutboxRecord(record as Parameters<typeof isOutboxRecord>[0]));
    const outcome: BatchOutcome = outbox.length ? await deliver(arn, shardId, outbox) : { ok: true };
    if (outcome.ok) {
      shardState.checkpoint = records[records.length - 1]!.dynamodb!.SequenceNumber;
      iterators.set(shardId, next);
      if (!next) shardState.finished = true;
      attempts.delete(shardId);
      retryAt.delete(shardId);
      saveState();
      return records.length;
    }

    const failed = (attempts.get(shardId) ?? 0) + 1;
    const firstFailed = outbox[outcome.retryFrom]!;
    const firstFailedIndex = records.indexOf(firstFailed);
    if (firstFailedIndex > 0) shardState.checkpoint = records[firstFailedIndex - 1]!.dynamodb!.SequenceNumber;
    if (failed > maxRetries) {
      log({ msg: 'stream batch skipped after retries', shardId, attempts: failed, records: outbox.length - outcome.retryFrom, firstEventId: firstFailed.eventID });
      shardState.checkpoint = records[records.length - 1]!.dynamodb!.SequenceNumber;
      iterators.set(shardId, next);
      attempts.delete(shardId);
      retryAt.delete(shardId);
    } else {
      attempts.set(shardId, failed);
      retryAt.set(shardId, firstFailed.dynamodb!.SequenceNumber!);
      iterators.delete(shardId); // re-read from the failed record on
      if (!immediateRetry) await sleep(Math.min(30_000, 200 * 2 ** (failed - 1)));
    }
    saveState();
    return records.length;
  }

  /** Invokes the publisher; on failure returns the index (in `batch`) to retry from. */
  async function deliver(arn: string, shardId: string, batch: StreamRecord[]): Promise<BatchOutcome> {
    const event: DynamoDBStreamEvent = { Records: batch.map((record) => toLambdaRecord(record, arn)) };
    const context = lambdaContext('events-publisher');
    let response: unknown;
    try {
      const handler = await getHandler();
      response = await handler(event, context);
    } catch (error) {
      log({ msg: 'events publisher threw; retrying the batch', shardId, records: batch.length, awsRequestId: context.awsRequestId, error: error instanceof Error ? error.name : 'unknown' });
      return { ok: false, retryFrom: 0 };
    }
    const failures = (response as { batchItemFailures?: { itemIdentifier?: string }[] } | undefined)?.batchItemFailures ?? [];
    if (failures.length === 0) {
      log({ msg: 'events published', shardId, records: batch.length, awsRequestId: context.awsRequestId });
      return { ok: true };
    }
    const indexes = failures.map((f) => batch.findIndex((r) => r.dynamodb?.SequenceNumber === f.itemIdentifier));
    // Lambda treats an empty or unknown identifier as a failure of the whole batch.
    const retryFrom = indexes.some((i) => i < 0) ? 0 : Math.min(...indexes);
    log({ msg: 'events publisher reported failures; redelivering', shardId, failed: failures.length, retryFrom, awsRequestId: context.awsRequestId });
    return { ok: false, retryFrom };
  }

  function saveState(): void {
    if (!options.stateFile) return;
    mkdirSync(dirname(options.stateFile), { recursive: true });
    const temp = `${options.stateFile}.tmp`;
    writeFileSync(temp, JSON.stringify(state, null, 2));
    renameSync(temp, options.stateFile);
  }

  async function backgroundLoop(): Promise<void> {
    while (running) {
      let read = 0;
      try {
        read = await exclusive(() => pass(false));
      } catch (error) {
        log({ msg: 'stream poll failed', error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' });
      }
      if (running && read === 0) await new Promise<void>((done) => { wake = done; setTimeout(done, pollInterval); });
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = backgroundLoop();
    },
    async drain() {
      // Caught up = several whole passes in a row read nothing. One empty read is not proof: like
      // the service, DynamoDB Local may answer GetRecords empty while a record is on its way.
      for (let empty = 0; empty < 3; ) {
        if ((await exclusive(() => pass(true))) > 0) empty = 0;
        else if (++empty < 3) await sleep(25);
      }
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      await lock;
      streams.destroy();
    },
  };
}

/** The record as Lambda delivers it: epoch-second timestamps, base64 binaries, the stream ARN. */
export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  const dynamodb: Record<string, unknown> = {
    ApproximateCreationDateTime: d.ApproximateCreationDateTime ? Math.floor(new Date(d.ApproximateCreationDateTime).getTime() / 1000) : undefined,
    Keys: wire(d.Keys),
    NewImage: wire(d.NewImage),
    OldImage: wire(d.OldImage),
    SequenceNumber: d.SequenceNumber,
    SizeBytes: d.SizeBytes,
    StreamViewType: d.StreamViewType,
  };
  for (const key of Object.keys(dynamodb)) if (dynamodb[key] === undefined) delete dynamodb[key];
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    // DynamoDB Local reports the region "ddblocal"; Lambda reports the function's region.
    awsRegion: LOCAL_REGION,
    dynamodb: dynamodb as DynamoDBRecord['dynamodb'],
    eventSourceARN: streamArn,
  };
}

function wire(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(wire);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) if (inner !== undefined) out[key] = wire(inner);
    return out;
  }
  return value;
}

function readState(file: string | undefined): PollerState {
  if (!file) return { shards: {} };
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PollerState;
  } catch {
    return { shards: {} };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
