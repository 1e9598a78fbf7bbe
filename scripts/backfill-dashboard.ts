/**
 * `npm run backfill:dashboard` rebuilds the dashboard counters from the records
 * (functions/dashboard/backfill.ts): for data written before the counters existed, or to repair
 * them. Paged (Query only, never Scan), resumable (progress saved after every page), idempotent
 * (absolute values; a second run writes nothing). docs/analytics.md, "Dashboard counter backfill".
 *
 *   npm run backfill:dashboard -- [--table T] [--region R] [--rate N] [--progress FILE] [--dry-run]
 *   npm run backfill:dashboard -- --local [--rate N] [--progress FILE] [--dry-run]   (a running `npm start`)
 *
 * BUSINESS_TIME_ZONE must be the deployment's (the months of the flows are local months).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientOptions } from '../functions/aws/client-options';
import { backfillDashboard, type BackfillProgress, type ProgressStore } from '../functions/dashboard/backfill';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/env';
import { dataDir } from '../local/paths';
import { runningCrm } from '../local/runtime';
import { runIfInvoked } from './cli';

export const USAGE = `Usage:
  npm run backfill:dashboard -- [--table T] [--region R] [--rate N] [--progress FILE] [--dry-run]
  npm run backfill:dashboard -- --local [--rate N] [--progress FILE] [--dry-run]
AWS settings (flag or environment): --table TABLE_NAME (stack output TableName), --region AWS_REGION.
BUSINESS_TIME_ZONE: the deployment's business time zone (default UTC).
--rate: counter updates per second (default 25). --local uses the running \`npm start\`.
`;

/** Progress kept in a JSON file (deleted when a run completes). */
export function fileProgress(file: string): ProgressStore {
  return {
    load: () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BackfillProgress) : undefined),
    save: (progress) => writeFileSync(file, JSON.stringify(progress)),
    clear: () => rmSync(file, { force: true }),
  };
}

interface Args { local: boolean; dryRun: boolean; table?: string; region?: string; rate: number; progress: string }

export function parseArgs(argv: string[]): Args {
  const args: Args = { local: false, dryRun: false, rate: 25, progress: '.backfill-dashboard.json' };
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
    } else throw new Error(`Unexpected argument: ${arg}`);
  }
  return args;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stderr.write(USAGE); return 0; }
  let args: Args;
  let client: DynamoDBClient;
  let tableName: string;
  try {
    args = parseArgs(argv);
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
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  try {
    process.stderr.write(`Rebuilding the dashboard counters of ${tableName}${args.dryRun ? ' (dry run)' : ''}, at most ${args.rate} updates/s…\n`);
    const counts = await backfillDashboard({
      ddb: DynamoDBDocumentClient.from(client), tableName, rate: args.rate, progress: fileProgress(args.progress), dryRun: args.dryRun,
      log: (line) => process.stderr.write(`  ${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    return 0;
  } finally {
    client.destroy();
  }
}

runIfInvoked(import.meta.url, 'backfill', main);
