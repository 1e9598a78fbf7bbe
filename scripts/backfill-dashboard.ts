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
import { backfillDashboard, type BackfillProgress, type ProgressStore } from '../functions/dashboard/backfill';
import { type BackfillArgs, parseBackfillArgs, runBackfill } from './backfill-cli';
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

export function parseArgs(argv: string[]): BackfillArgs {
  return parseBackfillArgs(argv, '.backfill-dashboard.json');
}

export function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runBackfill(argv, env, USAGE, parseArgs, async (args, ddb, tableName) => {
    process.stderr.write(`Rebuilding the dashboard counters of ${tableName}${args.dryRun ? ' (dry run)' : ''}, at most ${args.rate} updates/s…\n`);
    const counts = await backfillDashboard({
      ddb, tableName, rate: args.rate, progress: fileProgress(args.progress), dryRun: args.dryRun,
      log: (line) => process.stderr.write(`  ${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    return 0;
  });
}

runIfInvoked(import.meta.url, 'backfill', main);
