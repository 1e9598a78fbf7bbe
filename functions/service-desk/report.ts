/**
 * `GET /v1/reports/service?period=` — the service desk's figures, all from counters maintained on
 * write (functions/service-desk/report-counters.ts, the ticket counters of
 * functions/tickets/repository.ts and the survey counters of csat.ts). Whatever the number of
 * tickets, a report costs two Queries in parallel:
 *   the period's months in `SVCRPT#<yyyy>` (flows, times, SLA, CSAT items: months × (queues ×
 *   priorities × 2 + agents + queues + categories) small items) · the backlog `SVCRPT#BACKLOG`
 *   (queues × priorities items)
 * — more only past 1 MB of counters (thousands of queues or agents).
 */
import { queryCounterItems } from '../data/counters';
import { keys } from '../data/keys';
import { monthsOf } from '../deals/model';
import { ACTIVE_STATUSES, BUCKET_COUNT, BUCKET_EDGES, bucketField, quantile } from './report-counters';

type Stored = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const rate = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);
const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;

const sum = (items: Stored[], field: string) => items.reduce((n, i) => n + num(i[field]), 0);
const histogram = (items: Stored[], prefix: 'fr' | 'res') => Array.from({ length: BUCKET_COUNT }, (_, b) => sum(items, bucketField(prefix, b)));

function csatFigures(items: Stored[]) {
  const surveys = sum(items, 'surveys');
  const responses = sum(items, 'responses');
  const ratingSum = sum(items, 'ratingSum');
  return { surveys, responses, responseRate: rate(responses, surveys), average: responses > 0 ? Math.round((ratingSum / responses) * 100) / 100 : null };
}

function csatRows(items: Stored[], dimension: string) {
  const groups = new Map<string, Stored[]>();
  for (const i of items) {
    if (i.dimension !== dimension) continue;
    const id = String(i.value);
    groups.set(id, [...(groups.get(id) ?? []), i]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, group]) => ({ id, ...csatFigures(group) }));
}

/**
 * The period's items of `SVCRPT#<yyyy>` (one Query: a period's months lie in one year), by kind:
 * times and SLA (`#SLA#`), satisfaction (`#CSAT#`) and flows. The dashboard reads them too.
 */
export async function servicePeriodItems(months: readonly string[]) {
  const items = await queryCounterItems(keys.serviceReport.partition(months[0]!.slice(0, 4)), [months[0]!, months.at(-1)!]);
  const times: Stored[] = [];
  const csat: Stored[] = [];
  const flows: Stored[] = [];
  for (const item of items) {
    const sk = String(item.sk);
    if (sk.includes('#SLA#')) times.push(item);
    else if (sk.includes('#CSAT#')) csat.push(item);
    else flows.push(item);
  }
  return { times, csat, flows };
}

/** First-response and resolution times and the SLA compliance and breaches of the period's SLA items. */
export function slaFigures(times: Stored[]) {
  const timeFigures = (prefix: 'fr' | 'res', count: string, met: string) => {
    const counts = histogram(times, prefix);
    const n = sum(times, count);
    return { count: n, medianMinutes: quantile(counts, 0.5), p90Minutes: quantile(counts, 0.9), withinTarget: sum(times, met), compliance: rate(sum(times, met), n) };
  };
  const escalations: Record<string, number> = {};
  for (const item of times) {
    for (const [name, value] of Object.entries(item)) {
      if (name.startsWith('esc_') && num(value) !== 0) escalations[name.slice(4)] = (escalations[name.slice(4)] ?? 0) + num(value);
    }
  }
  const resolved = sum(times, 'resN');
  const breaches = { firstResponse: sum(times, 'breach_firstResponse'), resolution: sum(times, 'breach_resolution') };
  return {
    firstResponse: timeFigures('fr', 'frN', 'frMet'),
    resolution: timeFigures('res', 'resN', 'resMet'),
    sla: {
      resolved,
      compliant: sum(times, 'slaMet'),
      compliance: rate(sum(times, 'slaMet'), resolved),
      breaches: { ...breaches, total: breaches.firstResponse + breaches.resolution },
      escalations,
    },
  };
}

/** The period's satisfaction totals and rating distribution (every survey counts once per dimension: the queue dimension's sums). */
export function csatTotals(csat: Stored[]) {
  const csatTotal = csat.filter((i) => i.dimension === 'queue');
  return { ...csatFigures(csatTotal), distribution: Object.fromEntries([1, 2, 3, 4, 5].map((r) => [String(r), sum(csatTotal, `r${r}`)])) };
}

export async function serviceReport(query: { period: string }) {
  const months = monthsOf(query.period);
  const [{ times, csat, flows }, backlogItems] = await Promise.all([
    servicePeriodItems(months),
    queryCounterItems(keys.serviceReport.backlogPartition),
  ]);

  // Backlog now.
  const byStatus: Record<string, number> = Object.fromEntries(ACTIVE_STATUSES.map((s) => [s, 0]));
  const byPriority: Record<string, number> = Object.fromEntries(PRIORITIES.map((p) => [p, 0]));
  const cells = new Map<string, number>();
  const byQueue = new Map<string, number>();
  for (const item of backlogItems) {
    const priority = String(item.priority);
    for (const status of ACTIVE_STATUSES) {
      const n = num(item[`st_${status}`]);
      if (n === 0) continue;
      byStatus[status] = (byStatus[status] ?? 0) + n;
      byPriority[priority] = (byPriority[priority] ?? 0) + n;
      cells.set(`${status}|${priority}`, (cells.get(`${status}|${priority}`) ?? 0) + n);
      byQueue.set(String(item.queueId), (byQueue.get(String(item.queueId)) ?? 0) + n);
    }
  }
  const statusOrder = (s: string) => (ACTIVE_STATUSES as readonly string[]).indexOf(s);
  const priorityOrder = (p: string) => (PRIORITIES as readonly string[]).indexOf(p);

  // Times and SLA of the period.
  const { firstResponse, resolution, sla } = slaFigures(times);

  return {
    period: query.period,
    months,
    backlog: {
      total: Object.values(byStatus).reduce((a, b) => a + b, 0),
      byStatus,
      byPriority,
      byStatusAndPriority: [...cells.entries()]
        .map(([k, tickets]) => ({ status: k.split('|')[0]!, priority: k.split('|')[1]!, tickets }))
        .sort((a, b) => statusOrder(a.status) - statusOrder(b.status) || priorityOrder(a.priority) - priorityOrder(b.priority)),
      byQueue: [...byQueue.entries()].filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b)).map(([queueId, tickets]) => ({ queueId, tickets })),
    },
    flow: { opened: sum(flows, 'opened'), resolved: sum(flows, 'resolved'), reopened: sum(flows, 'reopened') },
    firstResponse,
    resolution,
    sla,
    csat: {
      ...csatTotals(csat),
      byAgent: csatRows(csat, 'agent'),
      byQueue: csatRows(csat, 'queue'),
      byCategory: csatRows(csat, 'category'),
    },
    histogramEdgesMinutes: [...BUCKET_EDGES],
  };
}
