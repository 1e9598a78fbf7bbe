/**
 * The command line every backfill script shares (scripts/backfill-*.ts): the same options
 * (`--local`, `--dry-run`, `--table`, `--region`, `--rate`, `--progress`), the same way of
 * finding the table (the running local CRM, or AWS from the region and table name), the same exit
 * statuses (2 on a usage error, with the usage text) and the client closed at the end.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rmSync, writeFileSync } from 'node:fs';
import { clientOptions } from '../functions/aws/client-options';
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
export async function conditionalUpdate(send: () => Promise<unknown>, counts: BackfillCounts): Promise<void> {
  try {
    await send();
    counts.updated++;
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    counts.changed++;
  }
}

/** After a page: keep the resume point (or forget it at the end) and print the counts. */
export function pageDone(opts: BackfillOptions, startKey: Record<string, unknown> | undefined, counts: BackfillCounts, log: (line: string) => void): void {
  if (opts.progressFile && !opts.dryRun) {
    if (startKey) writeFileSync(opts.progressFile, JSON.stringify({ lastKey: startKey, at: new Date().toISOString() }));
    else rmSync(opts.progressFile, { force: true });
  }
  log(`page ${counts.pages}: read ${counts.read}, missing ${counts.missing}, updated ${counts.updated}, changed ${counts.changed}`);
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
