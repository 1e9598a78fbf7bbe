/**
 * The command line every backfill script shares (scripts/backfill-*.ts): the same options
 * (`--local`, `--dry-run`, `--table`, `--region`, `--rate`, `--progress`), the same way of
 * finding the table (the running local CRM, or AWS from the region and table name), the same exit
 * statuses (2 on a usage error, with the usage text) and the client closed at the end. And what
 * they do alike: the progress file (resume point saved after every page), the conditional update
 * counted `updated` or `changed`, and — for the one-pass backfills that page one Query or Scan —
 * the whole loop (`pagedBackfill`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient, QueryCommand, type QueryCommandInput, ScanCommand, type ScanCommandInput, UpdateCommand, type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { clientOptions } from '../functions/aws/client-options';
import { rateLimiter } from '../functions/data/rate-limiter';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/env';
import { dataDir } from '../local/paths';
import { runningCrm } from '../local/runtime';

/** What a backfill function takes (the scripts' exported functions, also called by tests). */
export interface BackfillOptions {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  /** Writes per second at most. */
  rate?: number;
  /** Where the resume point is kept; none = no resuming. */
  progressFile?: string;
  /** Items per Query page. */
  pageSize?: number;
  dryRun?: boolean;
  log?: (line: string) => void;
}

/** What every backfill counts and prints per page. */
export interface BackfillCounts { pages: number; read: number; missing: number; updated: number; changed: number }

/**
 * One conditional update of a backfill: counted `updated`, or `changed` when its condition failed
 * (the item changed, or was keyed, since it was read) — never an error, so a rerun is safe.
 */
export async function conditionalUpdate(send: () => Promise<unknown>, counts: Pick<BackfillCounts, 'updated' | 'changed'>): Promise<void> {
  try {
    await send();
    counts.updated++;
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    counts.changed++;
  }
}

/** What the progress file holds, parsed (each backfill checks its own shape); none = start afresh. */
export function readProgressFile(file: string | undefined): unknown {
  if (!file || !existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The saved page key to resume after (a page's LastEvaluatedKey), if the progress holds one. */
export function lastKeyOf(saved: unknown): Record<string, unknown> | undefined {
  return saved && typeof saved === 'object' && 'lastKey' in saved && saved.lastKey && typeof saved.lastKey === 'object' ? { ...saved.lastKey } : undefined;
}

/**
 * Keeps the resume point in the progress file, stamped with the time (or deletes the file when
 * `point` is undefined: the run reached the end). A dry run keeps nothing, so the real run that
 * follows starts from the beginning.
 */
export function saveProgress(opts: BackfillOptions, point: object | undefined): void {
  if (!opts.progressFile || opts.dryRun) return;
  if (point) writeFileSync(opts.progressFile, JSON.stringify({ ...point, at: new Date().toISOString() }));
  else rmSync(opts.progressFile, { force: true });
}

/** After a page: keep the resume point (or forget it at the end) and print the counts. */
function pageDone(opts: BackfillOptions, startKey: Record<string, unknown> | undefined, counts: BackfillCounts, log: (line: string) => void): void {
  saveProgress(opts, startKey ? { lastKey: startKey } : undefined);
  log(`page ${counts.pages}: read ${counts.read}, missing ${counts.missing}, updated ${counts.updated}, changed ${counts.changed}`);
}

type Item = Record<string, unknown>;

/** The counts of a one-pass backfill (`pagedBackfill`), and whether it resumed from a saved point. */
export interface PagedCounts extends BackfillCounts { resumed: boolean }

/** What a one-pass backfill pages through and what it writes to each item that lacks the change. */
export interface PagedBackfill<T> {
  /**
   * One Query or one Scan (ExclusiveStartKey and Limit are set per page). A Scan's pages are paced
   * by the same limiter as the updates, one token a page: it reads the whole table, and this caps
   * its read rate at rate × page size items per second.
   */
  read: { query: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'> } | { scan: Omit<ScanCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'> };
  /** Items per page when the options name none. */
  pageSize: number;
  /** What the update needs of an item that lacks the change; undefined = the item has it already. */
  missing: (item: Item) => T | undefined;
  /** The conditional update of one missing item (see `conditionalUpdate`). */
  update: (missing: T) => Omit<UpdateCommandInput, 'TableName'>;
}

/**
 * Runs a one-pass backfill: from the saved resume point (the last page's LastEvaluatedKey) to the
 * end, a page at a time, one conditional update per missing item at `rate` updates per second
 * (none on a dry run), the resume point saved and the counts printed after every page.
 */
export async function pagedBackfill<T>(opts: BackfillOptions, backfill: PagedBackfill<T>): Promise<PagedCounts> {
  const log = opts.log ?? (() => {});
  const take = rateLimiter(opts.rate ?? 25);
  let startKey = lastKeyOf(readProgressFile(opts.progressFile));
  const counts: PagedCounts = { pages: 0, read: 0, missing: 0, updated: 0, changed: 0, resumed: startKey !== undefined };
  if (startKey) log(`resuming after ${JSON.stringify(startKey)}`);
  const { read } = backfill;
  do {
    const page = { TableName: opts.tableName, ExclusiveStartKey: startKey, Limit: opts.pageSize ?? backfill.pageSize };
    let result;
    if ('scan' in read) {
      await take();
      result = await opts.ddb.send(new ScanCommand({ ...read.scan, ...page }));
    } else {
      result = await opts.ddb.send(new QueryCommand({ ...read.query, ...page }));
    }
    counts.pages++;
    counts.read += result.ScannedCount ?? 0;
    const missing = (result.Items ?? []).flatMap((item) => {
      const found = backfill.missing(item);
      return found === undefined ? [] : [found];
    });
    counts.missing += missing.length;
    for (const item of missing) {
      if (opts.dryRun) continue;
      await take();
      await conditionalUpdate(() => opts.ddb.send(new UpdateCommand({ TableName: opts.tableName, ...backfill.update(item) })), counts);
    }
    startKey = result.LastEvaluatedKey;
    pageDone(opts, startKey, counts, log);
  } while (startKey);
  return counts;
}

export interface BackfillArgs { local: boolean; dryRun: boolean; table?: string; region?: string; rate: number; progress: string }

/**
 * Parses the shared options; `extra` handles a script's own option (returns false for one it does
 * not know) and gets a `value()` reader for the option's value.
 */
export function parseBackfillArgs(argv: string[], progress: string, extra?: (arg: string, value: () => string) => boolean): BackfillArgs {
  const args: BackfillArgs = { local: false, dryRun: false, rate: 25, progress };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--local') args.local = true;
    else if (arg === '--dry-run') args.dryRun = true;
    else if (arg === '--table') args.table = value();
    else if (arg === '--region') args.region = value();
    else if (arg === '--progress') args.progress = value();
    else if (arg === '--rate') {
      args.rate = Number(value());
      if (!Number.isFinite(args.rate) || args.rate <= 0) throw new Error('--rate must be a positive number');
    } else if (!extra?.(arg, value)) throw new Error(`Unexpected argument: ${arg}`);
  }
  return args;
}

/**
 * Runs a backfill script: `--help` prints the usage; bad options or no table exit 2 with the
 * usage; otherwise `run` gets the parsed options, a document client and the table name, and the
 * client is closed afterwards.
 */
export async function runBackfill<A extends BackfillArgs>(
  argv: string[],
  env: NodeJS.ProcessEnv,
  usage: string,
  parse: (argv: string[]) => A,
  run: (args: A, ddb: DynamoDBDocumentClient, tableName: string) => Promise<number>,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stderr.write(usage); return 0; }
  let args: A;
  let client: DynamoDBClient;
  let tableName: string;
  try {
    args = parse(argv);
    if (args.local) {
      const running = runningCrm(dataDir());
      if (!running) throw new Error(`The local CRM is not running with data directory ${dataDir()}: start it (npm start) first.`);
      client = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, ...clientOptions('dynamodb'), endpoint: running.dynamodb });
      tableName = args.table ?? running.tableName;
    } else {
      const region = args.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
      const table = args.table ?? env.TABLE_NAME;
      if (!region) throw new Error('No region: set --region or AWS_REGION');
      if (!table) throw new Error('No table: set --table or TABLE_NAME (stack output TableName)');
      client = new DynamoDBClient({ region, ...clientOptions('dynamodb') });
      tableName = table;
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  try {
    return await run(args, DynamoDBDocumentClient.from(client), tableName);
  } finally {
    client.destroy();
  }
}
