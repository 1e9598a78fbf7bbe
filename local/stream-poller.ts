/**
 * Local stand-in for the Lambda event source mapping between the table's stream and the events
 * publisher: reads DynamoDB Local's stream, keeps only outbox records (the same filter CDK puts
 * on the mapping), and invokes the publisher with Lambda-shaped DynamoDBStreamEvent batches.
 *
 * Delivery is at-least-once and follows the mapping's settings in lib/constructs/domain-events.ts
 * (reportBatchItemFailures, bisectBatchOnError, retryAttempts 10):
 * - `batchItemFailures`: the records before the first reported one are checkpointed and the rest
 *   of the same batch is retried (an unknown or empty identifier fails the whole batch);
 * - the publisher throws: the batch is split in two and each half retried (a split costs no
 *   retry), down to single records;
 * - after `maxRetries` retries the batch is written whole, stream records included, to the
 *   on-failure destination in the object shape Lambda writes to an S3 destination
 *   (functions/events/failures.ts), and the shard moves on; `npm run redrive` republishes it.
 *   Without a destination the batch is dropped with a log line, as Lambda drops it.
 * Checkpoints (last processed sequence number per shard) persist in a state file when one is
 * given, so a restart resumes where it stopped instead of republishing the whole stream.
 */
import { randomUUID } from 'node:crypto';
import { renameSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand, DynamoDBStreamsClient, ExpiredIteratorException, GetRecordsCommand, GetShardIteratorCommand,
  TrimmedDataAccessException, type _Record as StreamRecord, type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { clientOptions } from '../functions/aws/client-options';
import { buildFailureRecord, failureObjectKey } from '../functions/events/failures';
import { isOutboxRecord } from '../functions/events/outbox';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './env';
import type { FeatureName } from '../functions/api/features';
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
  /**
   * Retries per batch before it goes to the on-failure destination: Lambda's MaximumRetryAttempts
   * (PUBLISHER_RETRY_ATTEMPTS in lib/constructs/domain-events.ts). Default 10.
   */
  maxRetries?: number;
  /** Split a batch in two when the publisher throws (Lambda's BisectBatchOnFunctionError). Default true. */
  bisectBatchOnError?: boolean;
  /**
   * The on-failure destination: a bucket (s3rver locally) that receives each batch whose retries
   * are used up. Omitted = such a batch is dropped with a log line.
   */
  onFailure?: { endpoint: string; bucket: string };
  /** The publisher; default: the `events-publisher` feature's handler module. */
  handler?: () => Promise<AnyHandler>;
  /**
   * Another mapping on the same stream: the feature it invokes and its event filter (default: the
   * outbox publisher and OUTBOX_STREAM_FILTER's test). The export worker's mapping uses this.
   */
  mapping?: { feature: FeatureName; filter: (record: StreamRecord) => boolean };
  log?: (entry: Record<string, unknown>) => void;
  /**
   * How long the stream ARN from DescribeTable is trusted before it is asked again. Default 60 s.
   * DynamoDB Local answers DescribeTable by measuring every index over SQLite, which at ~100k items
   * kept its single worker busy when asked every pass; the ARN is also re-read after any error and
   * when every shard of the stream has ended (a disabled or recreated stream).
   */
  streamArnTtlMs?: number;
  /**
   * How long the shard list from DescribeStream is trusted. Default 10 s; re-listed at once after
   * an error or when a shard ends (its children are then listed and read).
   */
  shardListTtlMs?: number;
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
  /** Stands in for the event source mapping's UUID in failure object keys; kept across restarts. */
  mappingUuid?: string;
  shards: Record<string, ShardState>;
}

type BatchOutcome =
  | { ok: true }
  /** `threw`: a function error (retried by bisecting); else `retryFrom` is the first reported failure. */
  | { ok: false; threw: boolean; retryFrom: number; requestId: string; functionArn: string };

/** A batch waiting for delivery, as the function receives it. */
interface PendingBatch {
  records: DynamoDBRecord[];
  /** Retries used (a bisection uses none). */
  retries: number;
  invocations: number;
}

export function createStreamPoller(options: StreamPollerOptions): StreamPoller {
  const streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const batchSize = options.batchSize ?? 100;
  const pollInterval = options.pollIntervalMs ?? 500;
  const maxRetries = options.maxRetries ?? 10;
  const bisect = options.bisectBatchOnError ?? true;
  const feature: FeatureName = options.mapping?.feature ?? 'events-publisher';
  const accepts = options.mapping?.filter ?? ((record: StreamRecord) => isOutboxRecord(record as Parameters<typeof isOutboxRecord>[0]));
  const getHandler = options.handler ?? (() => loadHandler(feature));
  const log = options.log ?? (() => {});
  const streamArnTtl = options.streamArnTtlMs ?? 60_000;
  const shardListTtl = options.shardListTtlMs ?? 10_000;
  /** What DescribeTable and DescribeStream said, and when (see the TTL options). */
  let cachedArn: { arn: string; at: number } | undefined;
  let cachedShards: { shards: Shard[]; at: number } | undefined;
  const state: PollerState = readState(options.stateFile);
  const iterators = new Map<string, string | undefined>();
  let failures: S3Client | undefined;
  /**
   * Shards that take `startingPosition`: those open when the poller first looks. Shards that
   * appear later are children of known shards and are read from their start, as Lambda does.
   */
  let initialShards: Set<string> | undefined;
  let lock: Promise<unknown> = Promise.resolve();
  let running = false;
  /** Set by stop(): a batch in its retries gives up waiting and is re-read after a restart. */
  let stopping = false;
  let interruptPause: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  /** Runs work after whatever poll is in progress, so the loop and drain() never interleave. */
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = lock.then(work, work);
    lock = next.catch(() => {});
    return next;
  }

  /** Forgets the stream ARN and shard list: the next pass asks DynamoDB Local again. */
  function forgetStream(): void {
    cachedArn = undefined;
    cachedShards = undefined;
  }

  async function streamArn(): Promise<string> {
    if (cachedArn && Date.now() - cachedArn.at < streamArnTtl) return cachedArn.arn;
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
    if (cachedArn?.arn !== arn) cachedShards = undefined;
    cachedArn = { arn, at: Date.now() };
    return arn;
  }

  async function listShards(arn: string): Promise<Shard[]> {
    if (cachedShards && Date.now() - cachedShards.at < shardListTtl) return cachedShards.shards;
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }));
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    cachedShards = { shards, at: Date.now() };
    return shards;
  }

  /**
   * One pass over every shard whose parent is done; returns how many records were read. The stream
   * ARN and shard list come from the cache; an error makes the next pass ask again.
   */
  async function pass(immediateRetry: boolean): Promise<number> {
    try {
      return await passOver(immediateRetry);
    } catch (error) {
      forgetStream();
      throw error;
    }
  }

  async function passOver(immediateRetry: boolean): Promise<number> {
    const arn = await streamArn();
    const shards = await listShards(arn);
    const known = new Set(shards.map((s) => s.ShardId));
    initialShards ??= new Set([...known].filter((id): id is string => !!id && !state.shards[id]));
    let read = 0;
    const openBefore = shards.filter((s) => !state.shards[s.ShardId!]?.finished).length;
    for (const shard of shards) {
      if (stopping) break;
      const id = shard.ShardId!;
      if (state.shards[id]?.finished) continue;
      const parent = shard.ParentShardId;
      if (parent && known.has(parent) && !state.shards[parent]?.finished) continue; // keep order across splits
      for (;;) {
        const n = await readShard(arn, id, immediateRetry);
        read += n;
        if (n === 0 || !immediateRetry || stopping) break;
      }
    }
    const openAfter = shards.filter((s) => !state.shards[s.ShardId!]?.finished).length;
    // A shard ended: its children (if any) are listed now rather than when the list expires; when
    // none is left open, the stream itself may have been replaced, so its ARN is read again too.
    if (openAfter < openBefore) cachedShards = undefined;
    if (openBefore > 0 && openAfter === 0) forgetStream();
    return read;
  }

  async function readShard(arn: string, shardId: string, immediateRetry: boolean): Promise<number> {
    const shardState = (state.shards[shardId] ??= {});
    let iterator = iterators.get(shardId);
    if (!iterator) {
      const { ShardIterator } = await streams.send(new GetShardIteratorCommand({
        StreamArn: arn,
        ShardId: shardId,
        ...(shardState.checkpoint
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

    const outbox = records.filter(accepts);
    let completed: boolean;
    try {
      completed = outbox.length ? await deliverAll(arn, shardId, outbox.map((record) => toLambdaRecord(record, arn)), immediateRetry) : true;
    } catch (error) {
      // The failure destination refused the batch: nothing is checkpointed past it, so it is read
      // and delivered again on the next pass rather than lost.
      iterators.delete(shardId);
      saveState();
      throw error;
    }
    if (!completed) {
      // Stopped while retrying: a restart re-reads from the last checkpoint.
      iterators.delete(shardId);
      saveState();
      return records.length;
    }
    shardState.checkpoint = records[records.length - 1]!.dynamodb!.SequenceNumber;
    iterators.set(shardId, next);
    if (!next) shardState.finished = true;
    saveState();
    return records.length;
  }

  /**
   * Delivers the outbox records of one read with the mapping's retry policy; returns false when
   * stopped before they were all delivered or sent to the failure destination.
   */
  async function deliverAll(arn: string, shardId: string, records: DynamoDBRecord[], immediateRetry: boolean): Promise<boolean> {
    const shardState = state.shards[shardId]!;
    const queue: PendingBatch[] = [{ records, retries: 0, invocations: 0 }];
    const sequenceOf = (record: DynamoDBRecord) => record.dynamodb!.SequenceNumber!;
    while (queue.length > 0) {
      if (stopping) return false;
      const batch = queue[0]!;
      batch.invocations += 1;
      const outcome = await deliver(shardId, batch.records);
      if (outcome.ok) {
        queue.shift();
        shardState.checkpoint = sequenceOf(batch.records[batch.records.length - 1]!);
        saveState();
        continue;
      }
      if (outcome.threw && bisect && batch.records.length > 1) {
        // Lambda's BisectBatchOnFunctionError: halves, each retried on its own; costs no retry.
        const half = Math.ceil(batch.records.length / 2);
        queue.splice(0, 1,
          { records: batch.records.slice(0, half), retries: batch.retries, invocations: 0 },
          { records: batch.records.slice(half), retries: batch.retries, invocations: 0 });
        log({ msg: 'events publisher threw; bisecting the batch', shardId, records: batch.records.length });
        continue;
      }
      if (outcome.retryFrom > 0) {
        // Reported failures: what came before the first one is done; only the rest is retried.
        shardState.checkpoint = sequenceOf(batch.records[outcome.retryFrom - 1]!);
        batch.records = batch.records.slice(outcome.retryFrom);
      }
      batch.retries += 1;
      if (batch.retries > maxRetries) {
        await giveUp(arn, shardId, batch, outcome);
        queue.shift();
        shardState.checkpoint = sequenceOf(batch.records[batch.records.length - 1]!);
        saveState();
        continue;
      }
      saveState();
      if (!immediateRetry) await pause(Math.min(30_000, 200 * 2 ** (batch.retries - 1)));
    }
    return true;
  }

  /** Retries used up: the batch goes whole to the on-failure destination (or is dropped without one). */
  async function giveUp(arn: string, shardId: string, batch: PendingBatch, last: Extract<BatchOutcome, { ok: false }>): Promise<void> {
    const firstSequenceNumber = batch.records[0]!.dynamodb!.SequenceNumber;
    if (!options.onFailure) {
      log({ msg: 'stream batch dropped after retries (no failure destination)', shardId, records: batch.records.length, invocations: batch.invocations, firstSequenceNumber });
      return;
    }
    const at = new Date();
    const record = buildFailureRecord({
      records: batch.records, shardId, streamArn: arn, requestId: last.requestId, functionArn: last.functionArn,
      invokeCount: batch.invocations, functionError: last.threw ? 'Unhandled' : undefined, at,
    });
    state.mappingUuid ??= randomUUID();
    const key = failureObjectKey(state.mappingUuid, shardId, at);
    failures ??= new S3Client({ ...clientOptions('s3'), endpoint: options.onFailure.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
    try {
      await failures.send(new PutObjectCommand({ Bucket: options.onFailure.bucket, Key: key, Body: JSON.stringify(record), ContentType: 'application/json' }));
    } catch (error) {
      log({ msg: 'failure destination refused the batch; it will be redelivered', shardId, bucket: options.onFailure.bucket, error: error instanceof Error ? error.name : 'unknown' });
      throw error;
    }
    log({ msg: 'stream batch sent to the failure destination after retries', shardId, records: batch.records.length, invocations: batch.invocations, bucket: options.onFailure.bucket, key });
  }

  /** Invokes the publisher; on failure says whether it threw or from which record (in `batch`) to retry. */
  async function deliver(shardId: string, batch: DynamoDBRecord[]): Promise<BatchOutcome> {
    const event: DynamoDBStreamEvent = { Records: batch };
    const context = lambdaContext(feature);
    const failed = { ok: false as const, requestId: context.awsRequestId, functionArn: context.invokedFunctionArn };
    let response: unknown;
    try {
      const handler = await getHandler();
      response = await handler(event, context);
    } catch (error) {
      log({ msg: 'events publisher threw', shardId, records: batch.length, awsRequestId: context.awsRequestId, error: error instanceof Error ? error.name : 'unknown' });
      return { ...failed, threw: true, retryFrom: 0 };
    }
    const reported = (response as { batchItemFailures?: { itemIdentifier?: string }[] } | undefined)?.batchItemFailures ?? [];
    if (reported.length === 0) {
      log({ msg: 'events published', shardId, records: batch.length, awsRequestId: context.awsRequestId });
      return { ok: true };
    }
    const indexes = reported.map((f) => batch.findIndex((r) => r.dynamodb?.SequenceNumber === f.itemIdentifier));
    // Lambda treats an empty or unknown identifier as a failure of the whole batch.
    const retryFrom = indexes.some((i) => i < 0) ? 0 : Math.min(...indexes);
    log({ msg: 'events publisher reported failures; redelivering', shardId, failed: reported.length, retryFrom, awsRequestId: context.awsRequestId });
    return { ...failed, threw: false, retryFrom };
  }

  /** A retry back-off that stop() cuts short. */
  function pause(ms: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(done, ms);
      interruptPause = () => { clearTimeout(timer); done(); };
    });
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
      stopping = true;
      wake?.();
      interruptPause?.();
      await loop;
      await lock;
      streams.destroy();
      failures?.destroy();
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
