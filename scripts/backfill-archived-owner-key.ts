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
import { existsSync, readFileSync } from 'node:fs';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/data/keys';
import { type BackfillArgs, type BackfillOptions, conditionalUpdate, pageDone, parseBackfillArgs, runBackfill } from './backfill-cli';

export type { BackfillOptions };
import { runIfInvoked } from './cli';
import { rateLimiter } from '../functions/data/rate-limiter';

export const USAGE = `Usage:
  npm run backfill:archived-owner-key -- [--table T] [--region R] [--rate N] [--progress FILE] [--dry-run]
  npm run backfill:archived-owner-key -- --local [--rate N] [--progress FILE] [--dry-run]
AWS settings (flag or environment): --table TABLE_NAME (stack output TableName), --region AWS_REGION.
--rate: updates per second (default 25). --local uses the running \`npm start\`.
`;

export interface BackfillCounts {
  pages: number;
  /** Archived customers read (all items of the gsi1 archived partition the pages covered). */
  read: number;
  /** Of those, without the per-owner key. */
  missing: number;
  updated: number;
  /** Changed between the read and the update (restored, renamed, reassigned, already keyed): left alone. */
  changed: number;
  /** Whether this run started from a saved progress point. */
  resumed: boolean;
}

interface ArchivedCustomer {
  pk: string;
  sk: string;
  gsi1sk: string;
  ownerId?: string;
  gsi2pk?: string;
}

const ARCHIVED = keys.customer.allPartition(true);

function readProgress(file: string | undefined): Record<string, unknown> | undefined {
  if (!file || !existsSync(file)) return undefined;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { lastKey?: Record<string, unknown> };
  return saved.lastKey;
}

export async function backfillArchivedOwnerKey(opts: BackfillOptions): Promise<BackfillCounts> {
  const log = opts.log ?? (() => {});
  const take = rateLimiter(opts.rate ?? 25);
  let startKey = readProgress(opts.progressFile);
  const counts: BackfillCounts = { pages: 0, read: 0, missing: 0, updated: 0, changed: 0, resumed: startKey !== undefined };
  if (startKey) log(`resuming after ${JSON.stringify(startKey)}`);
  do {
    const page = await opts.ddb.send(new QueryCommand({
      TableName: opts.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :archived',
      ExpressionAttributeValues: { ':archived': ARCHIVED },
      ExclusiveStartKey: startKey,
      Limit: opts.pageSize ?? 200,
    }));
    counts.pages++;
    counts.read += page.ScannedCount ?? 0;
    // Only the customer profiles themselves hold this gsi1 partition; `kind` is checked in the update.
    const missing = (page.Items ?? []).filter((item) => item.gsi2pk === undefined && typeof item.ownerId === 'string') as ArchivedCustomer[];
    counts.missing += missing.length;
    for (const item of missing) {
      if (opts.dryRun) continue;
      await take();
      await conditionalUpdate(() => opts.ddb.send(new UpdateCommand({
        TableName: opts.tableName,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET gsi2pk = :owner, gsi2sk = :sort',
        ConditionExpression: '#kind = :customer AND gsi1pk = :archived AND gsi1sk = :sort AND ownerId = :ownerId AND attribute_not_exists(gsi2pk)',
        ExpressionAttributeNames: { '#kind': 'kind' },
        ExpressionAttributeValues: {
          ':owner': keys.customer.archivedOwnerPartition(item.ownerId!),
          ':sort': item.gsi1sk,
          ':customer': 'customer',
          ':archived': ARCHIVED,
          ':ownerId': item.ownerId,
        },
      })), counts);
    }
    startKey = page.LastEvaluatedKey;
    pageDone(opts, startKey, counts, log);
  } while (startKey);
  return counts;
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
