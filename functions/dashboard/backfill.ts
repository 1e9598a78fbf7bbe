/**
 * Rebuilds the dashboard counters (functions/dashboard/counters.ts) from the records: for data
 * written before the counters existed, or to repair them. `npm run backfill:dashboard`
 * (scripts/backfill-dashboard.ts) runs it; docs/analytics.md, "Dashboard counter backfill".
 *
 * 1. **Read** (paged, resumable): every customer (gsi1 `CUSTOMERS`, `CUSTOMERS#ARCHIVED`), lead
 *    (gsi1 `LEADS`) and deal (gsi4 `DEALS`), Query pages only — never a Scan. Each record goes
 *    through the same pure delta functions the writes use, as if it were created now, so the
 *    totals are exactly what the counters would hold had they existed from the start. After every
 *    page the totals so far and the page's LastEvaluatedKey are saved (`progress`), and a run
 *    resumes from them.
 * 2. **Apply** (idempotent): for every counter item — those the totals name and those that exist
 *    in the partitions concerned (one Query each: `DASH#PIPELINE`, `DASH#CUSTOMERS`, and the
 *    `DASH#LEADS#<yyyy>` / `DASH#DEALS#<yyyy>` of every year the records touch and the current
 *    one) — one UpdateItem SETs each counter to its total (a counter no record supports: 0),
 *    on the condition that every counter still has the value just read (if a write moved one
 *    meanwhile, the item is read again and the update retried). Absolute values, not additions:
 *    applying twice, or resuming an interrupted apply, gives the same counters; an item already
 *    right is not written, so a second run writes nothing.
 *
 * What it cannot know: the creation flows of records deleted since (a deleted lead or deal is not
 * in any list any more) are not counted. The totals are a snapshot: a record changed after its page
 * was read and before the apply is counted in its old state (the SET replaces the write's own
 * counter change). Run it at a quiet time, or run it again afterwards — a second run over
 * unchanged data is exact.
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localMonthOf } from '../calendar/business-calendar';
import { businessTimeZone } from '../config';
import { keys } from '../data/keys';
import type { Deltas } from '../forecast/aggregates';
import { customerCounterDeltas, type CustomerCounterFacts, dealCounterDeltas, type DealCounterFacts, leadCounterDeltas, type LeadCounterFacts } from './counters';
import { rateLimiter } from '../data/rate-limiter';

type Item = Record<string, unknown>;

/** Where the records are listed in full (index partitions). */
export const BACKFILL_SOURCES = [
  { name: 'customers', index: 'gsi1', partition: keys.customer.allPartition(false) },
  { name: 'archived customers', index: 'gsi1', partition: keys.customer.allPartition(true) },
  { name: 'leads', index: 'gsi1', partition: keys.lead.allPartition },
  { name: 'deals', index: 'gsi4', partition: keys.deal.allPartition },
] as const;

const COUNTER_KIND = 'dashboard-counter';

/** The saved state of a run: which source and page it reached, and the totals so far. */
export interface BackfillProgress {
  phase: 'read' | 'apply';
  source: number;
  lastKey?: Item;
  totals: [string, { key: { pk: string; sk: string }; set: Record<string, string>; add: Record<string, number> }][];
  records: number;
}

export interface ProgressStore {
  load(): BackfillProgress | undefined;
  save(progress: BackfillProgress): void;
  clear(): void;
}

export interface DashboardBackfillOptions {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  progress?: ProgressStore;
  /** Items per Query page. */
  pageSize?: number;
  /** Counter updates per second at most. */
  rate?: number;
  dryRun?: boolean;
  log?: (line: string) => void;
  /** Tests: called after each saved page (throwing there interrupts the run as a crash would). */
  afterPage?: (progress: BackfillProgress) => void;
  now?: Date;
}

export interface DashboardBackfillCounts {
  resumed: boolean;
  pages: number;
  /** Records read over the whole run (a resumed run includes the pages read before it stopped). */
  records: number;
  /** Counter items examined. */
  items: number;
  /** Counter items written (0 on a second run). */
  updated: number;
  /** Conditional updates retried because a write moved the counter meanwhile. */
  retried: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function customerFacts(item: Item): CustomerCounterFacts | undefined {
  const ownerId = str(item.ownerId);
  if (item.kind !== 'customer' || !ownerId) return undefined;
  const tier = str(item.tier);
  const lifecycleStage = str(item.lifecycleStage);
  const archivedAt = str(item.archivedAt);
  return { ownerId, ...(tier ? { tier } : {}), ...(lifecycleStage ? { lifecycleStage } : {}), ...(archivedAt ? { archivedAt } : {}) };
}

function leadFacts(item: Item): LeadCounterFacts | undefined {
  const ownerId = str(item.ownerId);
  const status = str(item.status);
  const createdAt = str(item.createdAt);
  if (!ownerId || !status || !createdAt) return undefined;
  const convertedAt = str(item.convertedAt);
  return { ownerId, status, createdAt, ...(convertedAt ? { convertedAt } : {}) };
}

function dealFacts(item: Item): DealCounterFacts | undefined {
  const ownerId = str(item.ownerId);
  const pipelineId = str(item.pipelineId);
  const createdAt = str(item.createdAt);
  const status = item.status === 'open' || item.status === 'won' || item.status === 'lost' ? item.status : undefined;
  const money = item.amount;
  const amount = money && typeof money === 'object' && 'amount' in money && 'currency' in money && typeof money.amount === 'number' && typeof money.currency === 'string'
    ? { amount: money.amount, currency: money.currency } : undefined;
  if (!ownerId || !pipelineId || !createdAt || !status || !amount) return undefined;
  const stageId = str(item.stageId);
  const closedAt = str(item.closedAt);
  return { ownerId, pipelineId, status, amount, createdAt, ...(stageId ? { stageId } : {}), ...(closedAt ? { closedAt } : {}) };
}

/** Adds one record of source `source` to the totals, as its creation would have. */
export function countRecord(source: number, item: Item, totals: Deltas): void {
  const name = BACKFILL_SOURCES[source]!.name;
  if (name === 'customers' || name === 'archived customers') {
    const facts = customerFacts(item);
    if (facts) customerCounterDeltas(undefined, facts, totals);
  } else if (name === 'leads') {
    const facts = leadFacts(item);
    if (facts) leadCounterDeltas(undefined, facts, totals);
  } else {
    const facts = dealFacts(item);
    if (facts) dealCounterDeltas(undefined, facts, totals);
  }
}

/** The counters of a counter item: its numeric attributes. */
function countersOf(item: Item | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(item ?? {})) if (typeof value === 'number') out[field] = value;
  return out;
}

const yearsOf = (totals: Deltas, now: Date): string[] => {
  const years = new Set([localMonthOf(now.toISOString(), businessTimeZone()).slice(0, 4)]);
  for (const { key } of totals.values()) {
    const match = /^DASH#(?:LEADS|DEALS)#(\d{4})$/.exec(key.pk);
    if (match) years.add(match[1]!);
  }
  return [...years].sort();
};

export async function backfillDashboard(opts: DashboardBackfillOptions): Promise<DashboardBackfillCounts> {
  const log = opts.log ?? (() => {});
  const now = opts.now ?? new Date();
  const saved = opts.progress?.load();
  const totals: Deltas = new Map(saved?.totals ?? []);
  const counts: DashboardBackfillCounts = { resumed: saved !== undefined, pages: 0, records: saved?.records ?? 0, items: 0, updated: 0, retried: 0 };
  let state: BackfillProgress = saved ?? { phase: 'read', source: 0, totals: [], records: 0 };
  if (saved) log(`resuming: ${saved.phase} phase, source ${saved.source}, ${saved.records} records counted`);

  // 1. Read ---------------------------------------------------------------------------------------
  while (state.phase === 'read') {
    const source = BACKFILL_SOURCES[state.source];
    if (!source) {
      state = { ...state, phase: 'apply', lastKey: undefined };
      if (!opts.dryRun) opts.progress?.save(state);
      break;
    }
    const page = await opts.ddb.send(new QueryCommand({
      TableName: opts.tableName,
      IndexName: source.index,
      KeyConditionExpression: `${source.index}pk = :pk`,
      ExpressionAttributeValues: { ':pk': source.partition },
      ...(state.lastKey ? { ExclusiveStartKey: state.lastKey } : {}),
      Limit: opts.pageSize ?? 500,
    }));
    for (const item of page.Items ?? []) countRecord(state.source, item, totals);
    counts.pages += 1;
    counts.records += page.Items?.length ?? 0;
    state = page.LastEvaluatedKey
      ? { phase: 'read', source: state.source, lastKey: page.LastEvaluatedKey, totals: [...totals], records: counts.records }
      : { phase: 'read', source: state.source + 1, totals: [...totals], records: counts.records };
    if (!opts.dryRun) opts.progress?.save(state);
    log(`page ${counts.pages} (${source.name}): ${counts.records} records`);
    opts.afterPage?.(state);
  }

  // 2. Apply --------------------------------------------------------------------------------------
  const partitions = [keys.dashboard.pipelinePartition, keys.dashboard.customersPartition, ...yearsOf(totals, now).flatMap((y) => [keys.dashboard.leadsPartition(y), keys.dashboard.dealsPartition(y)])];
  const wanted = new Map<string, { key: { pk: string; sk: string }; set: Record<string, string>; counters: Record<string, number> }>();
  for (const entry of totals.values()) wanted.set(`${entry.key.pk}|${entry.key.sk}`, { key: entry.key, set: entry.set, counters: { ...entry.add } });
  const existing = new Map<string, Item>();
  for (const pk of partitions) {
    let startKey: Item | undefined;
    do {
      const page = await opts.ddb.send(new QueryCommand({
        TableName: opts.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }));
      for (const item of page.Items ?? []) existing.set(`${String(item.pk)}|${String(item.sk)}`, item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  for (const [id, item] of existing) {
    if (!wanted.has(id)) wanted.set(id, { key: { pk: String(item.pk), sk: String(item.sk) }, set: {}, counters: {} });
  }
  const take = rateLimiter(opts.rate ?? 25);
  for (const [id, want] of wanted) {
    counts.items += 1;
    let current = existing.get(id);
    for (let attempt = 1; ; attempt++) {
      const have = countersOf(current);
      const target: Record<string, number> = {};
      for (const field of Object.keys(have)) target[field] = 0;
      Object.assign(target, want.counters);
      const changed = Object.keys(target).filter((f) => have[f] !== target[f]);
      if (changed.length === 0 || opts.dryRun) {
        if (changed.length > 0) counts.updated += 1;
        break;
      }
      await take();
      const names: Record<string, string> = { '#kind': 'kind' };
      const values: Record<string, unknown> = { ':kind': COUNTER_KIND };
      const sets = ['#kind = :kind'];
      const conditions: string[] = [];
      Object.entries(want.set).forEach(([field, value], i) => {
        names[`#s${i}`] = field;
        values[`:s${i}`] = value;
        sets.push(`#s${i} = :s${i}`);
      });
      Object.keys(target).forEach((field, i) => {
        names[`#c${i}`] = field;
        values[`:c${i}`] = target[field];
        sets.push(`#c${i} = :c${i}`);
        if (field in have) {
          values[`:o${i}`] = have[field];
          conditions.push(`#c${i} = :o${i}`);
        } else {
          conditions.push(`attribute_not_exists(#c${i})`);
        }
      });
      try {
        await opts.ddb.send(new UpdateCommand({
          TableName: opts.tableName, Key: want.key, UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conditions.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
        }));
        counts.updated += 1;
        break;
      } catch (error) {
        if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException' || attempt >= 10) throw error;
        // A write moved a counter between the read and this update: read it again and retry.
        counts.retried += 1;
        current = (await opts.ddb.send(new GetCommand({ TableName: opts.tableName, Key: want.key, ConsistentRead: true }))).Item;
      }
    }
  }
  if (!opts.dryRun) opts.progress?.clear();
  log(`applied: ${counts.items} counter items, ${counts.updated} updated, ${counts.retried} retried`);
  return counts;
}
