/**
 * Service report counters, maintained on write (docs/service.md, "Service report"). Every ticket
 * write ADDs what it changed to a few small counter items in its own transaction, so the report
 * reads a bounded number of items whatever the number of tickets:
 *
 * - **Backlog now** — `SVCRPT#BACKLOG` / `<queue>#<priority>`: `st_<status>` for the active
 *   statuses (new, open, pending, on_hold); a ticket moves from one count to another as its status,
 *   priority or queue changes (−1 on the old item, +1 on the new).
 * - **Times, compliance, breaches per month** — `SVCRPT#<yyyy>` / `<yyyy-mm>#SLA#<queue>#<priority>`:
 *   first responses `frN` with the histogram `fr_<bucket>` of their business minutes and `frMet`
 *   (answered in time); resolutions `resN`, `res_<bucket>`, `resMet` (resolution clock not
 *   breached) and `slaMet` (neither clock breached); breaches by clock `breach_<clock>` (in the
 *   month of the deadline) and escalations by level `esc_<clock>.<warning|breach>`.
 *
 * The numbers come from the SLA clocks (functions/tickets/sla.ts), which count business time only
 * and pause while the ticket waits on the customer, so a time here is exactly what the SLA
 * measured. Percentiles come from the histogram: bounded buckets of business minutes (below), so a
 * median or p90 is an estimate inside its bucket, never a scan of tickets.
 *
 * Pure functions return deltas; `addReportUpdates` appends them to the caller's transaction
 * (functions/tickets/repository.ts saveTicket and the SLA job). Satisfaction counters are written
 * by functions/service-desk/csat.ts on the same `SVCRPT#<yyyy>` partition.
 */
import { localMonthOf } from '../calendar/business-calendar';
import { addCounterUpdates, bump, type CounterDelta, type CounterDeltas, counterUpdate, type CounterUpdate } from '../data/counters';
import { keys } from '../data/keys';
import type { Transaction } from '../data/transaction';
import type { TicketItem } from '../tickets/model';
import { CLOCKS } from '../tickets/sla';

/**
 * Upper edges (business minutes, inclusive) of the time histogram's buckets; one more bucket holds
 * everything above the last edge. 15 minutes to 40 working days (8-hour days): fine where targets
 * usually lie (1 hour – 5 days), coarse beyond. Changing the edges makes old counts unreadable:
 * add a new field prefix instead.
 */
export const BUCKET_EDGES = [15, 30, 60, 120, 240, 480, 960, 1440, 2400, 4800, 9600, 19200] as const;
export const BUCKET_COUNT = BUCKET_EDGES.length + 1;

export const ACTIVE_STATUSES = ['new', 'open', 'pending', 'on_hold'] as const;

/** The bucket of a duration in business milliseconds. */
export function bucketOf(ms: number): number {
  const minutes = ms / 60_000;
  const i = BUCKET_EDGES.findIndex((edge) => minutes <= edge);
  return i === -1 ? BUCKET_EDGES.length : i;
}

/** `fr_03`: two digits, so field names sort in bucket order. */
export const bucketField = (prefix: 'fr' | 'res', bucket: number) => `${prefix}_${String(bucket).padStart(2, '0')}`;

/**
 * The `q` quantile (0–1) of a histogram in business minutes: the bucket holding the rank
 * ⌈q·n⌉, linearly interpolated inside it (the estimate Prometheus' histogram_quantile makes);
 * in the open last bucket, its lower edge (a lower bound). Null for an empty histogram.
 */
export function quantile(counts: readonly number[], q: number): number | null {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && seen + c >= rank) {
      const lo = i === 0 ? 0 : BUCKET_EDGES[i - 1]!;
      if (i >= BUCKET_EDGES.length) return lo;
      const hi = BUCKET_EDGES[i]!;
      return Math.round((lo + ((hi - lo) * (rank - seen)) / c) * 10) / 10;
    }
    seen += c;
  }
  return BUCKET_EDGES.at(-1)!;
}

export type { CounterDelta };
export type ReportDeltas = CounterDeltas;
export { bump };

type Facts = Pick<TicketItem, 'status' | 'priority' | 'queueId' | 'firstRespondedAt' | 'resolvedAt' | 'sla'>;

function backlog(t: Facts | undefined, sign: 1 | -1, deltas: ReportDeltas) {
  if (!t || !(ACTIVE_STATUSES as readonly string[]).includes(t.status)) return;
  bump(deltas, keys.serviceReport.backlog(t.queueId, t.priority), { queueId: t.queueId ?? '-', priority: t.priority }, `st_${t.status}`, sign);
}

/** What a ticket write going from `before` (absent: created) to `after` adds to the report counters. */
export function ticketReportDeltas(before: Facts | undefined, after: Facts, timeZone: string, deltas: ReportDeltas = new Map()): ReportDeltas {
  backlog(before, -1, deltas);
  backlog(after, 1, deltas);
  const times = (at: string) => {
    const month = localMonthOf(at, timeZone);
    return { key: keys.serviceReport.times(month, after.queueId, after.priority), set: { month, queueId: after.queueId ?? '-', priority: after.priority } };
  };
  if (after.firstRespondedAt && !before?.firstRespondedAt) {
    const { key, set } = times(after.firstRespondedAt);
    bump(deltas, key, set, 'frN', 1);
    bump(deltas, key, set, bucketField('fr', bucketOf(after.sla.firstResponse.elapsedMs)), 1);
    if (!after.sla.firstResponse.breachedAt) bump(deltas, key, set, 'frMet', 1);
  }
  if (after.status === 'resolved' && before?.status !== 'resolved' && after.resolvedAt) {
    // Every resolution counts (a reopened ticket resolved again counts again, with the resolution
    // time it has spent in all).
    const { key, set } = times(after.resolvedAt);
    bump(deltas, key, set, 'resN', 1);
    bump(deltas, key, set, bucketField('res', bucketOf(after.sla.resolution.elapsedMs)), 1);
    if (!after.sla.resolution.breachedAt) bump(deltas, key, set, 'resMet', 1);
    if (!after.sla.resolution.breachedAt && !after.sla.firstResponse.breachedAt) bump(deltas, key, set, 'slaMet', 1);
  }
  for (const clock of CLOCKS) {
    const at = after.sla[clock].breachedAt;
    if (at && !before?.sla[clock].breachedAt) {
      const { key, set } = times(at);
      bump(deltas, key, set, `breach_${clock}`, 1);
    }
  }
  const known = new Set((before?.sla.escalations ?? []).map((e) => e.level));
  for (const e of after.sla.escalations) {
    if (known.has(e.level)) continue;
    const { key, set } = times(e.at);
    bump(deltas, key, set, `esc_${e.level}`, 1);
  }
  return deltas;
}

/** Appends the counter updates (SET the descriptive attributes, ADD the counts) to a transaction. */
export function addReportUpdates(tx: Transaction, deltas: ReportDeltas, labelPrefix = 'report'): void {
  addCounterUpdates(tx, deltas, labelPrefix, () => SERVICE_REPORT_KIND);
}

const SERVICE_REPORT_KIND = 'service-report';

/**
 * One counter item's update: SET its descriptive attributes, ADD its non-zero counts; none when
 * every count is zero. The ticket writers and the report backfill (scripts/) both write this.
 */
export const reportCounterUpdate = (entry: CounterDelta): CounterUpdate | undefined => counterUpdate(entry, SERVICE_REPORT_KIND);

/** The one call the ticket writers make: the counters of `before → after`, into their transaction. */
export function addTicketReportUpdates(tx: Transaction, before: Facts | undefined, after: Facts, timeZone: string): void {
  addReportUpdates(tx, ticketReportDeltas(before, after, timeZone));
}
