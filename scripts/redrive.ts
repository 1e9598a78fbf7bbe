/**
 * `npm run redrive` republishes domain events that never reached the bus. It is an operator
 * action, not a request path.
 *
 *   npm run redrive -- --failures [--bucket B] [--prefix P] [--since ISO] [--dry-run]
 *   npm run redrive -- --from ISO --to ISO [--segments N] [--dry-run]
 *   add --local to work on a running `npm start` (endpoints from <data dir>/runtime.json)
 *
 * --failures reads the failure objects Lambda wrote to the failed-events bucket (S3 on-failure
 * destination of the stream → publisher mapping; shape in functions/events/failures.ts), turns
 * their outbox records into EventBridge entries with the publisher's own code, puts them in
 * batches of ten, and moves each fully republished object to `redriven/<its key>`, so a second
 * run does not republish it. An object with a record that failed or could not be read stays
 * where it is and is tried again next time.
 *
 * --from/--to republishes every outbox (audit) item whose `at` lies in [from, to). Audit items
 * live in their entity's partition and no index holds them all by time, so this is a Scan of
 * the whole table with a filter: it reads (and bills) every item, ≈ 0.5 read units per 4 KB.
 *
 * Delivery stays at-least-once: consumers de-duplicate on `detail.eventId` (the audit entry id).
 *
 * In AWS the settings come from flags or the environment (the stack outputs in brackets):
 *   --table TABLE_NAME [TableName], --bus EVENT_BUS_NAME [EventBusName],
 *   --bucket FAILED_EVENTS_BUCKET [FailedEventsBucketName], --region AWS_REGION;
 * credentials from the usual AWS chain (AWS_PROFILE, SSO, …).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { clientOptions } from '../functions/aws/client-options';
import { FAILURE_KEY_PREFIX, REDRIVEN_KEY_PREFIX, UnreadableFailureRecord, parseFailureRecord } from '../functions/events/failures';
import { OUTBOX_KIND } from '../functions/events/outbox';
import { OUTBOX_ATTRIBUTES, streamRecordEntry, toEntry } from '../functions/events/entries';
import { LOCAL_CREDENTIALS, LOCAL_FAILED_EVENTS_BUCKET, LOCAL_REGION } from '../local/env';
import { dataDir } from '../local/paths';
import { runningCrm } from '../local/runtime';
import { runIfInvoked } from './cli';

/** PutEvents takes at most ten entries per call. */
const PUT_BATCH = 10;
/** Calls per batch: a throttled or failed entry is tried twice more before it counts as failed. */
const PUT_ATTEMPTS = 3;
/** The local handlers' bus (local/env.ts handlerEnvironment default). */
const LOCAL_BUS_NAME = 'crm-local';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type RedriveArgs =
  | { mode: 'failures'; local: boolean; dryRun: boolean; bucket?: string; prefix?: string; since?: Date; table?: string; bus?: string; region?: string }
  | { mode: 'window'; local: boolean; dryRun: boolean; from: Date; to: Date; segments: number; table?: string; bus?: string; region?: string };

export const USAGE = `Usage:
  npm run redrive -- --failures [--bucket B] [--prefix P] [--since ISO] [--dry-run] [--local]
  npm run redrive -- --from ISO --to ISO [--segments N] [--dry-run] [--local]
AWS settings (flag or environment): --table TABLE_NAME, --bus EVENT_BUS_NAME,
  --bucket FAILED_EVENTS_BUCKET, --region AWS_REGION (stack outputs TableName, EventBusName,
  FailedEventsBucketName). --local uses the running \`npm start\` instead.
`;

export function parseArgs(argv: string[]): RedriveArgs {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const valued = new Set(['--bucket', '--prefix', '--since', '--from', '--to', '--segments', '--table', '--bus', '--region']);
  const switches = new Set(['--failures', '--dry-run', '--local']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (switches.has(arg)) flags.add(arg);
    else if (valued.has(arg)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      values.set(arg, value);
    } else throw new UsageError(`Unexpected argument: ${arg}`);
  }
  const time = (name: string): Date | undefined => {
    const raw = values.get(name);
    if (raw === undefined) return undefined;
    const date = new Date(raw);
    if (Number.isNaN(date.getTime())) throw new UsageError(`${name}: not a time: ${raw}`);
    return date;
  };
  const common = { local: flags.has('--local'), dryRun: flags.has('--dry-run'), table: values.get('--table'), bus: values.get('--bus'), region: values.get('--region') };
  const windowed = values.has('--from') || values.has('--to');
  if (flags.has('--failures') === windowed) throw new UsageError('Choose one: --failures, or --from and --to');
  if (flags.has('--failures')) {
    for (const name of ['--segments']) if (values.has(name)) throw new UsageError(`${name} belongs to --from/--to`);
    return { mode: 'failures', ...common, bucket: values.get('--bucket'), prefix: values.get('--prefix'), since: time('--since') };
  }
  for (const name of ['--prefix', '--since']) if (values.has(name)) throw new UsageError(`${name} belongs to --failures`);
  const from = time('--from');
  const to = time('--to');
  if (!from || !to) throw new UsageError('--from and --to go together');
  if (from >= to) throw new UsageError('--from must be before --to');
  const segments = Number(values.get('--segments') ?? 1);
  if (!Number.isInteger(segments) || segments < 1 || segments > 64) throw new UsageError('--segments: a whole number from 1 to 64');
  return { mode: 'window', ...common, from, to, segments };
}

/** Where to republish and read from. */
export interface RedriveTarget {
  events: EventBridgeClient;
  busName: string;
  s3?: S3Client;
  bucket?: string;
  ddb?: DynamoDBDocumentClient;
  tableName?: string;
  /** DynamoDB Local ignores Scan segments (each would return everything): force one. */
  singleSegmentOnly?: boolean;
}

export interface RedriveSummary {
  /** Failure objects read (--failures). */
  objects: number;
  /** Stream records in them (--failures) or outbox items in the window (--from/--to). */
  records: number;
  /** Entries that would be / were put on the bus. */
  entries: number;
  republished: number;
  /** Entries the bus rejected or a PutEvents call that kept failing. */
  failed: number;
  /** Records that carry no event (not an inserted outbox item): nothing to publish. */
  skipped: number;
  /** Outbox records whose event could not be read, and failure objects that could not be read. */
  unreadable: number;
  /** Objects moved to redriven/ (--failures). */
  moved: number;
  /** Items the Scan read (--from/--to): what the run costs. */
  scanned: number;
  dryRun: boolean;
}

type Log = (line: string) => void;

const emptySummary = (dryRun: boolean): RedriveSummary => ({
  objects: 0, records: 0, entries: 0, republished: 0, failed: 0, skipped: 0, unreadable: 0, moved: 0, scanned: 0, dryRun,
});

export interface FailuresOptions {
  prefix?: string;
  since?: Date;
  dryRun?: boolean;
  log?: Log;
}

/** Republishes the records of the failure objects in the bucket; see the file comment. */
export async function redriveFailures(target: RedriveTarget, options: FailuresOptions = {}): Promise<RedriveSummary> {
  const { s3, bucket } = target;
  if (!s3 || !bucket) throw new UsageError('No failed-events bucket: set --bucket or FAILED_EVENTS_BUCKET');
  const log = options.log ?? (() => {});
  const summary = emptySummary(options.dryRun ?? false);
  const prefix = options.prefix ?? FAILURE_KEY_PREFIX;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    token = page.NextContinuationToken;
    for (const object of page.Contents ?? []) {
      const key = object.Key;
      // Already redriven objects never count again, whatever prefix was asked for.
      if (!key || key.startsWith(REDRIVEN_KEY_PREFIX)) continue;
      if (options.since && object.LastModified && object.LastModified < options.since) continue;
      summary.objects += 1;
      const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();
      let records;
      try {
        records = parseFailureRecord(body ?? '').records;
      } catch (error) {
        if (!(error instanceof UnreadableFailureRecord)) throw error;
        summary.unreadable += 1;
        log(`unreadable failure object ${key}: ${error.message}; left in place`);
        continue;
      }
      summary.records += records.length;
      const entries: PutEventsRequestEntry[] = [];
      let unreadable = 0;
      for (const record of records) {
        try {
          const entry = streamRecordEntry(record, target.busName);
          if (entry) entries.push(entry);
          else summary.skipped += 1;
        } catch (error) {
          unreadable += 1;
          log(`unreadable outbox record ${record.dynamodb?.SequenceNumber ?? '?'} in ${key}: ${(error as Error).name}`);
        }
      }
      summary.unreadable += unreadable;
      summary.entries += entries.length;
      if (summary.dryRun) continue;
      const { published, failed } = await putAll(target.events, entries, log);
      summary.republished += published;
      summary.failed += failed;
      if (failed > 0 || unreadable > 0) {
        log(`${key}: ${failed} failed, ${unreadable} unreadable; left in place for the next run`);
        continue;
      }
      // Copy, then delete: a crash in between republishes this object once more next time, which
      // consumers absorb (eventId), rather than losing it.
      await s3.send(new PutObjectCommand({
        Bucket: bucket, Key: `${REDRIVEN_KEY_PREFIX}${key}`, Body: body, ContentType: 'application/json',
        Metadata: { 'redriven-at': new Date().toISOString(), 'republished-entries': String(published) },
      }));
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      summary.moved += 1;
    }
  } while (token);
  return summary;
}

export interface WindowOptions {
  from: Date;
  to: Date;
  segments?: number;
  dryRun?: boolean;
  log?: Log;
}

/** Republishes the outbox items whose `at` lies in [from, to); reads the whole table. */
export async function redriveWindow(target: RedriveTarget, options: WindowOptions): Promise<RedriveSummary> {
  const { ddb, tableName } = target;
  if (!ddb || !tableName) throw new UsageError('No table: set --table or TABLE_NAME');
  const log = options.log ?? (() => {});
  const summary = emptySummary(options.dryRun ?? false);
  const segments = target.singleSegmentOnly ? 1 : options.segments ?? 1;
  const scanSegment = async (segment: number) => {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await ddb.send(new ScanCommand({
        TableName: tableName,
        // `at` is stored as toISOString(), so string order is time order.
        FilterExpression: '#kind = :outbox AND #at >= :from AND #at < :to',
        // What the entry's EventBridge entry is made of: a stored event, or the attributes it is derived from.
        ProjectionExpression: OUTBOX_ATTRIBUTES.map((_name, i) => `#o${i}`).join(', '),
        ExpressionAttributeNames: { '#kind': 'kind', '#at': 'at', ...Object.fromEntries(OUTBOX_ATTRIBUTES.map((name, i) => [`#o${i}`, name])) },
        ExpressionAttributeValues: { ':outbox': OUTBOX_KIND, ':from': options.from.toISOString(), ':to': options.to.toISOString() },
        ExclusiveStartKey: start,
        ...(segments > 1 ? { Segment: segment, TotalSegments: segments } : {}),
      }));
      start = page.LastEvaluatedKey;
      summary.scanned += page.ScannedCount ?? 0;
      const items = page.Items ?? [];
      summary.records += items.length;
      const entries: PutEventsRequestEntry[] = [];
      for (const item of items) {
        const entry = toEntry(item, target.busName);
        if (entry) entries.push(entry);
        else summary.skipped += 1;
      }
      summary.entries += entries.length;
      if (summary.dryRun || entries.length === 0) continue;
      const { published, failed } = await putAll(target.events, entries, log);
      summary.republished += published;
      summary.failed += failed;
    } while (start);
  };
  await Promise.all(Array.from({ length: segments }, (_, segment) => scanSegment(segment)));
  return summary;
}

/** Puts entries ten at a time; rejected entries of a call are retried on their own. */
async function putAll(events: EventBridgeClient, entries: PutEventsRequestEntry[], log: Log): Promise<{ published: number; failed: number }> {
  let published = 0;
  let failed = 0;
  for (let i = 0; i < entries.length; i += PUT_BATCH) {
    let pending = entries.slice(i, i + PUT_BATCH);
    for (let attempt = 1; pending.length > 0 && attempt <= PUT_ATTEMPTS; attempt++) {
      if (attempt > 1) await new Promise((done) => setTimeout(done, 250 * 2 ** (attempt - 2)));
      try {
        const out = await events.send(new PutEventsCommand({ Entries: pending }));
        const results = out.Entries ?? [];
        const rejected = pending.filter((_, index) => results[index]?.ErrorCode || !results[index]?.EventId);
        published += pending.length - rejected.length;
        if (rejected.length > 0) {
          const codes = [...new Set(results.map((r) => r.ErrorCode).filter(Boolean))].join(',');
          log(`${rejected.length} entries rejected (${codes || 'no event id'}), attempt ${attempt} of ${PUT_ATTEMPTS}`);
        }
        pending = rejected;
      } catch (error) {
        log(`PutEvents failed (${(error as Error).name}), attempt ${attempt} of ${PUT_ATTEMPTS}`);
      }
    }
    failed += pending.length;
  }
  return { published, failed };
}

/** Clients for AWS (flags, then environment) or for the running local CRM. */
export function resolveTarget(args: RedriveArgs, env: NodeJS.ProcessEnv = process.env): { target: RedriveTarget; where: string; close(): void } {
  // The functions' timeouts (a hung socket fails fast and is retried); a Scan page of a whole-table
  // read may take longer than a request-path query.
  const timeouts = {
    events: () => clientOptions('eventbridge'),
    s3: () => clientOptions('s3'),
    dynamodb: () => clientOptions('dynamodb', { requestTimeoutMs: 15_000 }),
  };
  if (args.local) {
    const running = runningCrm(dataDir());
    if (!running) throw new UsageError(`The local CRM is not running with data directory ${dataDir()}: start it (npm start) first.`);
    if (args.mode === 'failures' && !running.s3) throw new UsageError('The running CRM has no local S3 endpoint.');
    if (!running.events) throw new UsageError('The running CRM has no local event bus.');
    const local = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const events = new EventBridgeClient({ ...local, ...timeouts.events(), endpoint: running.events });
    const s3 = running.s3 ? new S3Client({ ...local, ...timeouts.s3(), endpoint: running.s3, forcePathStyle: true }) : undefined;
    const dynamodb = new DynamoDBClient({ ...local, ...timeouts.dynamodb(), endpoint: running.dynamodb });
    return {
      target: {
        events, busName: args.bus ?? LOCAL_BUS_NAME, s3, bucket: args.mode === 'failures' ? args.bucket ?? LOCAL_FAILED_EVENTS_BUCKET : undefined,
        ddb: DynamoDBDocumentClient.from(dynamodb), tableName: args.table ?? running.tableName, singleSegmentOnly: true,
      },
      where: `the local CRM (pid ${running.pid})`,
      close: () => { events.destroy(); s3?.destroy(); dynamodb.destroy(); },
    };
  }
  const region = args.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('No region: set --region or AWS_REGION');
  const busName = args.bus ?? env.EVENT_BUS_NAME;
  if (!busName) throw new UsageError('No event bus: set --bus or EVENT_BUS_NAME (stack output EventBusName)');
  const events = new EventBridgeClient({ region, ...timeouts.events() });
  if (args.mode === 'failures') {
    const bucket = args.bucket ?? env.FAILED_EVENTS_BUCKET;
    if (!bucket) throw new UsageError('No bucket: set --bucket or FAILED_EVENTS_BUCKET (stack output FailedEventsBucketName)');
    const s3 = new S3Client({ region, ...timeouts.s3() });
    return { target: { events, busName, s3, bucket }, where: `bucket ${bucket} → bus ${busName} (${region})`, close: () => { events.destroy(); s3.destroy(); } };
  }
  const tableName = args.table ?? env.TABLE_NAME;
  if (!tableName) throw new UsageError('No table: set --table or TABLE_NAME (stack output TableName)');
  const dynamodb = new DynamoDBClient({ region, ...timeouts.dynamodb() });
  return {
    target: { events, busName, ddb: DynamoDBDocumentClient.from(dynamodb), tableName },
    where: `table ${tableName} → bus ${busName} (${region})`,
    close: () => { events.destroy(); dynamodb.destroy(); },
  };
}

/** The CLI: returns the exit code (0 = everything republished, 1 = something failed or is unreadable, 2 = usage). */
export async function main(argv: string[], io: { out: Log; err: Log } = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { io.err(USAGE); return 0; }
  let args: RedriveArgs;
  let resolved: ReturnType<typeof resolveTarget>;
  try {
    args = parseArgs(argv);
    resolved = resolveTarget(args);
  } catch (error) {
    if (error instanceof UsageError) { io.err(`${error.message}\n\n${USAGE}`); return 2; }
    throw error;
  }
  try {
    const log = (line: string) => io.err(`  ${line}`);
    let summary: RedriveSummary;
    if (args.mode === 'failures') {
      io.err(`Redriving failure objects from ${resolved.where}${args.dryRun ? ' (dry run)' : ''}…`);
      summary = await redriveFailures(resolved.target, { prefix: args.prefix, since: args.since, dryRun: args.dryRun, log });
    } else {
      io.err(`Republishing outbox items from ${args.from.toISOString()} to ${args.to.toISOString()}, ${resolved.where}${args.dryRun ? ' (dry run)' : ''}; this scans the whole table…`);
      summary = await redriveWindow(resolved.target, { from: args.from, to: args.to, segments: args.segments, dryRun: args.dryRun, log });
    }
    io.err(args.mode === 'failures'
      ? `objects ${summary.objects}, records ${summary.records}, entries ${summary.entries}, republished ${summary.republished}, failed ${summary.failed}, skipped ${summary.skipped}, unreadable ${summary.unreadable}, moved to ${REDRIVEN_KEY_PREFIX} ${summary.moved}`
      : `scanned ${summary.scanned}, outbox items ${summary.records}, entries ${summary.entries}, republished ${summary.republished}, failed ${summary.failed}, skipped ${summary.skipped}`);
    io.out(JSON.stringify({ mode: args.mode, ...summary }));
    return summary.failed > 0 || summary.unreadable > 0 ? 1 : 0;
  } finally {
    resolved.close();
  }
}

runIfInvoked(import.meta.url, 'redrive', main);
