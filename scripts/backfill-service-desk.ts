/**
 * Backfills of the service desk (docs/service.md, "Backfills"), for records written before a key or
 * a counter existed. Both read through indexes a page at a time (never a Scan), write each record
 * at most once under a condition that the record is still what was read, save their resume point
 * after every page, and change nothing on a second run.
 *
 *   npm run backfill:contact-email-key -- [--table T] [--region R] [--rate N] [--progress FILE] [--dry-run]
 *   npm run backfill:service-report -- --before <iso> [--table T] [--region R] [--rate N] [--progress FILE] [--dry-run]
 *   … -- --local [...]   (a running `npm start`)
 *
 * **contact-email-key** — contacts with an email written before the sparse sender index gsi2
 * `CONTACTS#EMAIL#<normalised email>` existed lack it, so inbound mail from them opens a ticket
 * under the placeholder customer instead of theirs. Contacts have no partition of their own kind, so
 * the backfill walks the customers (gsi1 `CUSTOMERS`, then `CUSTOMERS#ARCHIVED`) and each customer's
 * contacts (gsi1 `CUS#<id>#CONTACTS`): one Query per page of customers plus one per customer. A
 * contact with an email and no gsi2 key gets one UpdateItem setting the key exactly as
 * keys.contact.indexes writes it, on condition that it is still a contact with that email and still
 * without the key (changed meanwhile → left alone, counted `changed`: new code writes the key).
 *
 * **service-report** — the report's counters (functions/service-desk/report-counters.ts: the
 * backlog `SVCRPT#BACKLOG` and the monthly times, compliance, breaches and escalations) count what
 * happened after they were deployed. `--before` is that moment. Every ticket (gsi4 `TICKETS`)
 * created before it and not backfilled yet gets, in one transaction: its backlog count (if active),
 * and each first response, resolution, breach and escalation that happened before `--before`, in
 * its month — plus `reportBackfilledAt` on the ticket, conditioned on its `rev` and on that marker's
 * absence, so a ticket is counted once however often the backfill runs (and a ticket changed
 * meanwhile is retried on the next run). A ticket changed by a user *after* `--before` (its
 * `updatedAt` is later) had its backlog moved by that change from a state the counters never held;
 * what it held at `--before` is in its audit trail only, so such tickets are not counted: they are
 * reported (`changedSince`, ids on stderr) for a look. CSAT counters are written with the survey
 * and the flow counters (opened, resolved, reopened) existed from the first ticket: neither is
 * touched.
 *
 * --rate caps writes per second (default 25). Progress (phase and the page's LastEvaluatedKey) is
 * written to --progress (default ./.backfill-<name>.json) after every page; a run resumes from it,
 * and the file is deleted at the end. Prints the counts as JSON on stdout.
 */
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { localMonthOf } from '../functions/calendar/business-calendar';
import { businessTimeZone } from '../functions/config';
import { keys } from '../functions/data/keys';
import { bucketField, bucketOf, bump, reportCounterUpdate, type ReportDeltas } from '../functions/service-desk/report-counters';
import { ACTIVE_STATUSES, type TicketItem } from '../functions/tickets/model';
import { CLOCKS } from '../functions/tickets/sla';
import { rateLimiter } from '../functions/data/rate-limiter';
import {
  type BackfillArgs, type BackfillOptions, conditionalUpdate, lastKeyOf, parseBackfillArgs, readProgressFile, runBackfill, saveProgress,
} from './backfill-cli';
import { runIfInvoked } from './cli';

export type { BackfillOptions };

export const BACKFILLS = ['contact-email-key', 'service-report'] as const;
export type BackfillName = (typeof BACKFILLS)[number];

export const USAGE = `Usage:
  npm run backfill:contact-email-key -- [--table T] [--region R] [--rate N] [--progress FILE] [--dry-run]
  npm run backfill:service-report -- --before <iso> [--table T] [--region R] [--rate N] [--progress FILE] [--dry-run]
  (or --local instead of --table/--region: the running \`npm start\`)
AWS settings (flag or environment): --table TABLE_NAME (stack output TableName), --region AWS_REGION.
--rate: writes per second (default 25). --before: when the service report counters were deployed.
`;

type Key = Record<string, unknown>;
interface Progress { phase: string; lastKey?: Key }

function readProgress(file: string | undefined): Progress | undefined {
  const saved = readProgressFile(file);
  if (saved === undefined) return undefined;
  if (!saved || typeof saved !== 'object' || !('phase' in saved) || typeof saved.phase !== 'string') throw new Error(`${file} is not a progress file of this backfill`);
  const lastKey = lastKeyOf(saved);
  return { phase: saved.phase, ...(lastKey ? { lastKey } : {}) };
}

const isConditionFailure = (err: unknown) => err instanceof Error && (err.name === 'ConditionalCheckFailedException' || err.name === 'TransactionCanceledException');
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Walks the pages of `phases` (one gsi partition each) from the saved progress point, calling
 * `onPage` with each page's items, and saves the point after every page.
 */
async function walk(opts: BackfillOptions, phases: readonly { phase: string; index: string; partition: string }[], onPage: (items: Key[]) => Promise<void>) {
  const saved = readProgress(opts.progressFile);
  let start = saved ? phases.findIndex((p) => p.phase === saved.phase) : 0;
  if (start < 0) throw new Error(`${opts.progressFile} names an unknown phase ${saved?.phase}`);
  let startKey = saved?.lastKey;
  if (saved) opts.log?.(`resuming in ${saved.phase}${startKey ? ` after ${JSON.stringify(startKey)}` : ''}`);
  let pages = 0;
  for (; start < phases.length; start++) {
    const { phase, index, partition } = phases[start]!;
    do {
      const page = await opts.ddb.send(new QueryCommand({
        TableName: opts.tableName,
        IndexName: index,
        KeyConditionExpression: `${index}pk = :pk`,
        ExpressionAttributeValues: { ':pk': partition },
        ExclusiveStartKey: startKey,
        Limit: opts.pageSize ?? 100,
      }));
      pages++;
      await onPage(page.Items ?? []);
      startKey = page.LastEvaluatedKey;
      const nextPhase = phases[start + 1];
      saveProgress(opts, startKey ? { phase, lastKey: startKey } : nextPhase ? { phase: nextPhase.phase } : undefined);
    } while (startKey);
  }
  return { pages, resumed: saved !== undefined };
}

// contact-email-key -------------------------------------------------------------------------------

export interface ContactEmailCounts {
  pages: number;
  customers: number;
  /** Contacts read (all contacts of the customers the pages covered). */
  contacts: number;
  /** Of those, with an email and without the sender-index key. */
  missing: number;
  updated: number;
  /** Changed between the read and the update (email changed or removed, already keyed): left alone. */
  changed: number;
  resumed: boolean;
}

export async function backfillContactEmailKey(opts: BackfillOptions): Promise<ContactEmailCounts> {
  const take = rateLimiter(opts.rate ?? 25);
  const counts: ContactEmailCounts = { pages: 0, customers: 0, contacts: 0, missing: 0, updated: 0, changed: 0, resumed: false };
  const phases = [
    { phase: 'live-customers', index: 'gsi1', partition: keys.customer.allPartition(false) },
    { phase: 'archived-customers', index: 'gsi1', partition: keys.customer.allPartition(true) },
  ];
  const done = await walk(opts, phases, async (customers) => {
    for (const customer of customers) {
      const customerId = str(customer.id);
      if (!customerId || customer.kind !== 'customer') continue;
      counts.customers++;
      let startKey: Key | undefined;
      do {
        const page = await opts.ddb.send(new QueryCommand({
          TableName: opts.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.contact.byCustomerPartition(customerId) },
          ExclusiveStartKey: startKey,
          Limit: 100,
        }));
        counts.pages++;
        for (const contact of page.Items ?? []) {
          counts.contacts++;
          const email = str(contact.email);
          const id = str(contact.id);
          if (!email || !id || contact.gsi2pk !== undefined || contact.kind !== 'contact') continue;
          counts.missing++;
          if (opts.dryRun) continue;
          await take();
          await conditionalUpdate(() => opts.ddb.send(new UpdateCommand({
            TableName: opts.tableName,
            Key: keys.contact.primary(id),
            UpdateExpression: 'SET gsi2pk = :pk, gsi2sk = :sk',
            ConditionExpression: '#kind = :contact AND email = :email AND attribute_not_exists(gsi2pk)',
            ExpressionAttributeNames: { '#kind': 'kind' },
            ExpressionAttributeValues: { ':pk': keys.contact.byEmailPartition(email), ':sk': id, ':contact': 'contact', ':email': email },
          })), counts);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    opts.log?.(`customers ${counts.customers}, contacts ${counts.contacts}, missing ${counts.missing}, updated ${counts.updated}, changed ${counts.changed}`);
  });
  counts.pages += done.pages;
  counts.resumed = done.resumed;
  return counts;
}

// service-report ----------------------------------------------------------------------------------

export interface ServiceReportCounts {
  pages: number;
  /** Tickets read. */
  tickets: number;
  /** Created before `before` and not backfilled yet. */
  missing: number;
  counted: number;
  /** Changed by a user after `before`: not counted (their state at `before` is in the audit trail only). */
  changedSince: number;
  changedSinceIds: string[];
  /** Changed between the read and the write (its `rev` moved, or counted by a concurrent run): counted by the next run. */
  changed: number;
  resumed: boolean;
}

type Facts = Pick<TicketItem, 'status' | 'priority' | 'queueId' | 'firstRespondedAt' | 'resolvedAt' | 'sla'>;

/**
 * What the counters would hold for this ticket had they existed all along, up to `before`: its
 * backlog count now (the caller makes sure it has not changed since `before`) and the first
 * response, resolution, breaches and escalations that happened before `before`, in their months.
 */
export function backfillDeltas(t: Facts, before: string, timeZone: string, deltas: ReportDeltas = new Map()): ReportDeltas {
  const queueId = t.queueId ?? '-';
  if ((ACTIVE_STATUSES as readonly string[]).includes(t.status)) {
    bump(deltas, keys.serviceReport.backlog(t.queueId, t.priority), { queueId, priority: t.priority }, `st_${t.status}`, 1);
  }
  const times = (at: string) => {
    const month = localMonthOf(at, timeZone);
    return { key: keys.serviceReport.times(month, t.queueId, t.priority), set: { month, queueId, priority: t.priority } };
  };
  if (t.firstRespondedAt && t.firstRespondedAt < before) {
    const { key, set } = times(t.firstRespondedAt);
    bump(deltas, key, set, 'frN', 1);
    bump(deltas, key, set, bucketField('fr', bucketOf(t.sla.firstResponse.elapsedMs)), 1);
    if (!t.sla.firstResponse.breachedAt) bump(deltas, key, set, 'frMet', 1);
  }
  if ((t.status === 'resolved' || t.status === 'closed') && t.resolvedAt && t.resolvedAt < before) {
    const { key, set } = times(t.resolvedAt);
    bump(deltas, key, set, 'resN', 1);
    bump(deltas, key, set, bucketField('res', bucketOf(t.sla.resolution.elapsedMs)), 1);
    if (!t.sla.resolution.breachedAt) bump(deltas, key, set, 'resMet', 1);
    if (!t.sla.resolution.breachedAt && !t.sla.firstResponse.breachedAt) bump(deltas, key, set, 'slaMet', 1);
  }
  for (const clock of CLOCKS) {
    const at = t.sla[clock].breachedAt;
    if (at && at < before) {
      const { key, set } = times(at);
      bump(deltas, key, set, `breach_${clock}`, 1);
    }
  }
  for (const e of t.sla.escalations) {
    if (e.at >= before) continue;
    const { key, set } = times(e.at);
    bump(deltas, key, set, `esc_${e.level}`, 1);
  }
  return deltas;
}

/** The counter updates of `deltas` as transaction items, exactly as the ticket writers write them. */
function counterUpdates(tableName: string, deltas: ReportDeltas) {
  return [...deltas.values()].flatMap((entry) => {
    const update = reportCounterUpdate(entry);
    return update ? [{ Update: { TableName: tableName, Key: entry.key, UpdateExpression: update.expression, ExpressionAttributeNames: update.names, ExpressionAttributeValues: update.values } }] : [];
  });
}

function isTicket(item: Key): item is Key & TicketItem {
  return item.kind === 'ticket' && typeof item.id === 'string' && typeof item.createdAt === 'string' && typeof item.rev === 'number' && typeof item.sla === 'object';
}

export async function backfillServiceReport(opts: BackfillOptions & { before: Date; timeZone?: string; now?: Date }): Promise<ServiceReportCounts> {
  const take = rateLimiter(opts.rate ?? 25);
  const before = opts.before.toISOString();
  const timeZone = opts.timeZone ?? businessTimeZone();
  const counts: ServiceReportCounts = { pages: 0, tickets: 0, missing: 0, counted: 0, changedSince: 0, changedSinceIds: [], changed: 0, resumed: false };
  const done = await walk(opts, [{ phase: 'tickets', index: 'gsi4', partition: keys.ticket.allPartition }], async (items) => {
    for (const item of items) {
      if (!isTicket(item)) continue;
      counts.tickets++;
      if (item.createdAt >= before || item.reportBackfilledAt !== undefined) continue;
      counts.missing++;
      if (item.updatedAt >= before) {
        counts.changedSince++;
        if (counts.changedSinceIds.length < 1000) counts.changedSinceIds.push(item.id);
        continue;
      }
      if (opts.dryRun) continue;
      await take();
      const deltas = backfillDeltas(item, before, timeZone);
      try {
        await opts.ddb.send(new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: opts.tableName,
                Key: keys.ticket.primary(item.id),
                UpdateExpression: 'SET reportBackfilledAt = :at',
                ConditionExpression: '#rev = :rev AND attribute_not_exists(reportBackfilledAt)',
                ExpressionAttributeNames: { '#rev': 'rev' },
                ExpressionAttributeValues: { ':at': (opts.now ?? new Date()).toISOString(), ':rev': item.rev },
              },
            },
            ...counterUpdates(opts.tableName, deltas),
          ],
        }));
        counts.counted++;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        counts.changed++;
      }
    }
    opts.log?.(`tickets ${counts.tickets}, missing ${counts.missing}, counted ${counts.counted}, changed since ${counts.changedSince}, changed ${counts.changed}`);
  });
  counts.pages = done.pages;
  counts.resumed = done.resumed;
  return counts;
}

// command line ------------------------------------------------------------------------------------

interface Args extends BackfillArgs { name: BackfillName; before?: Date }

export function parseArgs(argv: string[]): Args {
  const [name, ...rest] = argv;
  const known = BACKFILLS.find((b) => b === name);
  if (!known) throw new Error(`Name a backfill: ${BACKFILLS.join(' or ')}`);
  let before: Date | undefined;
  const shared = parseBackfillArgs(rest, `.backfill-${known}.json`, (arg, value) => {
    if (arg !== '--before') return false;
    const at = new Date(value());
    if (Number.isNaN(at.getTime())) throw new Error('--before must be an ISO-8601 time');
    before = at;
    return true;
  });
  if (known === 'service-report' && !before) throw new Error('--before is required: when the service report counters were deployed');
  return { ...shared, name: known, before };
}

export function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runBackfill(argv, env, USAGE, parseArgs, async (args, ddb, tableName) => {
    const opts: BackfillOptions = {
      ddb, tableName, rate: args.rate, progressFile: args.progress, dryRun: args.dryRun,
      log: (line) => process.stderr.write(`  ${line}\n`),
    };
    process.stderr.write(`Backfill ${args.name} in ${tableName}${args.dryRun ? ' (dry run)' : ''}, at most ${args.rate} writes/s…\n`);
    if (args.name === 'contact-email-key') {
      process.stdout.write(`${JSON.stringify(await backfillContactEmailKey(opts))}\n`);
    } else {
      const { changedSinceIds, ...counts } = await backfillServiceReport({ ...opts, before: args.before! });
      if (changedSinceIds.length) process.stderr.write(`  changed since --before (not counted): ${changedSinceIds.join(' ')}\n`);
      process.stdout.write(`${JSON.stringify(counts)}\n`);
    }
    return 0;
  });
}

runIfInvoked(import.meta.url, 'backfill', main);
