/**
 * `npm run backfill:imports-key` gives imports created before `GET /v1/imports` listed everyone's
 * imports the gsi2 key of that list, so an admin's list shows them.
 *
 *   npm run backfill:imports-key -- [--table T] [--region R] [--rate N] [--page-size N] [--progress FILE] [--dry-run]
 *   npm run backfill:imports-key -- --local [--rate N] [--page-size N] [--dry-run]   (a running `npm start`)
 *
 * Old shape (before the key): the job item `IMP#<id>` / `#IMPORT` (`kind = import-job`) has only
 * its creator's gsi1 key `IMPORTS#USER#<userId>`. New shape: it also has `gsi2pk = IMPORTS`,
 * `gsi2sk = <id>`, as functions/data/keys.ts `importJob.all` writes it.
 *
 * **Why a Scan.** No index lists the old items together: gsi1 holds them one partition per creator,
 * and the creators cannot be enumerated from the table (users live in Cognito, their `USER#`
 * profiles have no list key, an API key's imports are under the key's id, and a creator may have
 * been deleted since). So this is a paginated Scan filtered to `kind = import-job AND
 * attribute_not_exists(gsi2pk)`, keys and id only. It reads the whole table once (billed for every
 * item read, ≈ 0.5 RCU per 4 KB, eventually consistent); the filter only trims what comes back.
 * Pages are `--page-size` items read (default 500) and paced by the same limiter as the updates
 * (one token per page), so the read rate is at most rate × page size items per second.
 * Import items expire (TTL) 30 days after they end, so this backfill matters for at most that long.
 *
 * Each item found gets one conditional UpdateItem setting gsi2pk/gsi2sk only if it is still the
 * import job read (same `kind` and `id`, which also keeps an item deleted by TTL meanwhile from
 * being recreated as a stub) and still without gsi2pk. A second run changes nothing; an item keyed
 * or deleted meanwhile is counted as `changed`. Version and timestamps are not touched: an index
 * key is not a change of the import.
 *
 * Progress (the last page's LastEvaluatedKey) is written to --progress (default
 * ./.backfill-imports-key.json) after every page, and a run resumes from it; the file is deleted
 * when the Scan has reached the end. Prints the counts as JSON on stdout.
 */
import { keys } from '../functions/data/keys';
import { IMPORT_JOB_KIND } from '../functions/imports/repository';
import { type BackfillArgs, type BackfillOptions, type PagedCounts, pagedBackfill, parseBackfillArgs, runBackfill } from './backfill-cli';
import { runIfInvoked } from './cli';

export type { BackfillOptions };

export const USAGE = `Usage:
  npm run backfill:imports-key -- [--table T] [--region R] [--rate N] [--page-size N] [--progress FILE] [--dry-run]
  npm run backfill:imports-key -- --local [--rate N] [--page-size N] [--progress FILE] [--dry-run]
AWS settings (flag or environment): --table TABLE_NAME (stack output TableName), --region AWS_REGION.
--rate: updates (and Scan pages) per second (default 25). --page-size: items read per Scan page
(default 500). --local uses the running \`npm start\`. This backfill Scans the whole table once.
`;

/**
 * `read`: items the Scan read (the whole table, what the run costs); `missing`: import jobs without
 * the gsi2 key; `changed`: keyed or deleted (TTL) between the read and the update, left alone;
 * `resumed`: whether this run started from a saved progress point.
 */
export type BackfillCounts = PagedCounts;

const DEFAULT_PAGE_SIZE = 500;

export function backfillImportsKey(opts: BackfillOptions): Promise<BackfillCounts> {
  return pagedBackfill(opts, {
    read: {
      scan: {
        FilterExpression: '#kind = :kind AND attribute_not_exists(gsi2pk)',
        ProjectionExpression: 'pk, sk, id',
        ExpressionAttributeNames: { '#kind': 'kind' },
        ExpressionAttributeValues: { ':kind': IMPORT_JOB_KIND },
      },
    },
    pageSize: DEFAULT_PAGE_SIZE,
    missing: (item) => (typeof item.id === 'string' ? { key: { pk: item.pk, sk: item.sk }, id: item.id } : undefined),
    update: ({ key, id }) => ({
      Key: key,
      UpdateExpression: 'SET gsi2pk = :all, gsi2sk = :sort',
      ConditionExpression: '#kind = :kind AND id = :id AND attribute_not_exists(gsi2pk)',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: { ...withAll(id), ':kind': IMPORT_JOB_KIND, ':id': id },
    }),
  });
}

/** The key values from keys.ts, so the backfill writes exactly what the request path writes. */
function withAll(id: string): Record<string, string> {
  const { gsi2pk, gsi2sk } = keys.importJob.all(id);
  return { ':all': gsi2pk, ':sort': gsi2sk };
}

export interface ImportsKeyArgs extends BackfillArgs { pageSize: number }

export function parseArgs(argv: string[]): ImportsKeyArgs {
  let pageSize = DEFAULT_PAGE_SIZE;
  const args = parseBackfillArgs(argv, '.backfill-imports-key.json', (arg, value) => {
    if (arg !== '--page-size') return false;
    pageSize = Number(value());
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) throw new Error('--page-size must be a whole number from 1 to 10000');
    return true;
  });
  return { ...args, pageSize };
}

export function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runBackfill(argv, env, USAGE, parseArgs, async (args, ddb, tableName) => {
    process.stderr.write(`Backfilling the imports list key in ${tableName}${args.dryRun ? ' (dry run)' : ''} (a Scan of the table), at most ${args.rate} updates/s…\n`);
    const counts = await backfillImportsKey({
      ddb, tableName, rate: args.rate, pageSize: args.pageSize, progressFile: args.progress, dryRun: args.dryRun,
      log: (line) => process.stderr.write(`  ${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    return 0;
  });
}

runIfInvoked(import.meta.url, 'backfill', main);
