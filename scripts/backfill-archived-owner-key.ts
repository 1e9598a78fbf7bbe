/**
 * `npm run backfill:archived-owner-key` gives customers archived before the per-owner archived
 * index key existed that key, so `GET /v1/customers?archived=true` lists them for their owner.
 *
 *   npm run backfill:archived-owner-key -- [--table T] [--region R] [--rate N] [--progress FILE] [--dry-run]
 *   npm run backfill:archived-owner-key -- --local [--rate N] [--dry-run]   (a running `npm start`)
 *
 * Old shape (before the key): an archived customer's profile item has `gsi1pk = CUSTOMERS#ARCHIVED`
 * and no gsi2 key at all (archiving dropped it from its owner's live partition). New shape: it also
 * has `gsi2pk = CUSTOMERS#ARCHIVED#OWNER#<ownerId>`, `gsi2sk` = its name sort key (= `gsi1sk`), as
 * functions/data/keys.ts `customer.indexes` writes it. Only archived customers are affected, and
 * gsi1 already holds exactly them under one partition: the script Queries that partition (never
 * a Scan), a page at a time, keeping items without `gsi2pk` (a filter: the page's reads are billed
 * for every archived customer, ≈ 0.5 RCU per 4 KB read, eventually consistent).
 *
 * Each item missing the key gets one conditional UpdateItem that sets gsi2pk/gsi2sk only if the
 * item is still what was read: still a customer, still archived under the same sort key, same
 * owner, still without gsi2pk. So a second run changes nothing, and an item restored, renamed,
 * reassigned or re-archived meanwhile (by new code, which writes the key itself) is left alone and
 * counted as `changed`. The version and updatedAt are not touched: an index key is not a change of
 * the record (no audit entry, no new ETag).
 *
 * --rate caps updates per second (default 25: well below a table's on-demand throughput, so request
 * traffic is not throttled). Progress (the last page's LastEvaluatedKey) is written to --progress
 * (default ./.backfill-archived-owner-key.json) after every page, and a run resumes from it; the
 * file is deleted when the partition has been read to the end. Prints the counts as JSON on stdout.
 */
import { keys } from '../functions/data/keys';
import { type BackfillArgs, type BackfillOptions, type PagedCounts, pagedBackfill, parseBackfillArgs, runBackfill } from './backfill-cli';
import { runIfInvoked } from './cli';

export type { BackfillOptions };

export const USAGE = `Usage:
  npm run backfill:archived-owner-key -- [--table T] [--region R] [--rate N] [--progress FILE] [--dry-run]
  npm run backfill:archived-owner-key -- --local [--rate N] [--progress FILE] [--dry-run]
AWS settings (flag or environment): --table TABLE_NAME (stack output TableName), --region AWS_REGION.
--rate: updates per second (default 25). --local uses the running \`npm start\`.
`;

/**
 * `read`: archived customers read (all items of the gsi1 archived partition the pages covered);
 * `missing`: of those, without the per-owner key; `changed`: changed between the read and the
 * update (restored, renamed, reassigned, already keyed), left alone; `resumed`: whether this run
 * started from a saved progress point.
 */
export type BackfillCounts = PagedCounts;

const ARCHIVED = keys.customer.allPartition(true);

export function backfillArchivedOwnerKey(opts: BackfillOptions): Promise<BackfillCounts> {
  return pagedBackfill(opts, {
    read: {
      query: {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :archived',
        ExpressionAttributeValues: { ':archived': ARCHIVED },
      },
    },
    pageSize: 200,
    // Only the customer profiles themselves hold this gsi1 partition; `kind` is checked in the update.
    missing: (item) => (item.gsi2pk === undefined && typeof item.ownerId === 'string'
      ? { key: { pk: item.pk, sk: item.sk }, sort: item.gsi1sk, ownerId: item.ownerId }
      : undefined),
    update: ({ key, sort, ownerId }) => ({
      Key: key,
      UpdateExpression: 'SET gsi2pk = :owner, gsi2sk = :sort',
      ConditionExpression: '#kind = :customer AND gsi1pk = :archived AND gsi1sk = :sort AND ownerId = :ownerId AND attribute_not_exists(gsi2pk)',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: {
        ':owner': keys.customer.archivedOwnerPartition(ownerId),
        ':sort': sort,
        ':customer': 'customer',
        ':archived': ARCHIVED,
        ':ownerId': ownerId,
      },
    }),
  });
}

export function parseArgs(argv: string[]): BackfillArgs {
  return parseBackfillArgs(argv, '.backfill-archived-owner-key.json');
}

export function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runBackfill(argv, env, USAGE, parseArgs, async (args, ddb, tableName) => {
    process.stderr.write(`Backfilling the per-owner archived key in ${tableName}${args.dryRun ? ' (dry run)' : ''}, at most ${args.rate} updates/s…\n`);
    const counts = await backfillArchivedOwnerKey({
      ddb, tableName, rate: args.rate, progressFile: args.progress, dryRun: args.dryRun,
      log: (line) => process.stderr.write(`  ${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    return 0;
  });
}

runIfInvoked(import.meta.url, 'backfill', main);
