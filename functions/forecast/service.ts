/**
 * Forecast, quotas and sales reports. All figures come from aggregate items maintained in the deal
 * transactions (functions/forecast/aggregates.ts): reading a period is one Query of aggregates
 * plus one read of quotas (forecast) or one BatchGet of pipelines (report) — never a deal scan.
 */
import { auditItem, diff } from '../audit/audit';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { monthsOf } from '../deals/model';
import { getQuota, type QuotaItem, queryQuotas, quotaStored } from '../deals/repository';
import { Forbidden, NotFound, PreconditionFailed } from '../http/problem';
import type { Scope } from '../security/permissions';
import { assertAccess, type Principal } from '../security/principal';
import * as repo from './repository';
import type { Infer } from '../../schemas/once';
import type { ForecastQuery, QuotaInput, QuotaListQuery, SalesReportQuery } from '../../schemas/forecast';

const num = (v: unknown) => (typeof v === 'number' ? v : 0);
/** Rounds half away from zero: weighted amounts are kept ×100 and rounded once, on read. */
const roundX100 = (v: number) => Math.sign(v) * Math.round(Math.abs(v) / 100);

/** Sales (scope own) read their own figures; asking for someone else's is 403. */
function ownerFilter(principal: Principal, scope: Scope, ownerId: string | undefined): string | undefined {
  if (scope === 'all') return ownerId;
  if (ownerId !== undefined && ownerId !== principal.userId) throw Forbidden('Your role may only read your own figures');
  return principal.userId;
}

interface Figures { closedWon: number; commit: number; bestCase: number; pipeline: number; weighted: number; wonCount: number; openCount: number }
const figuresOf = (i: Record<string, unknown>): Figures & { weightedX100: number } => ({
  closedWon: num(i.wonAmount), commit: num(i.commitAmount), bestCase: num(i.bestCaseAmount), pipeline: num(i.pipelineAmount),
  weighted: roundX100(num(i.weightedX100)), weightedX100: num(i.weightedX100), wonCount: num(i.wonCount), openCount: num(i.pipelineCount),
});

/** GET /v1/forecast: 1 Query (aggregates) + 1 GetItem (one owner's quota) or 1 Query (the period's quotas). */
export async function forecast(principal: Principal, scope: Scope, query: Infer<typeof ForecastQuery>) {
  const ownerId = ownerFilter(principal, scope, query.ownerId);
  const months = monthsOf(query.period);
  const items = await repo.forecastItems(months, ownerId ? { ownerId } : {});
  const quotas = ownerId
    ? [await getQuota(ownerId, query.period)].filter((q): q is QuotaItem => !!q)
    : await allQuotas(query.period);
  const rows = items
    .map((i) => ({ ownerId: i.ownerId as string, month: i.month as string, currency: i.currency as string, ...figuresOf(i) }))
    .filter((r) => r.closedWon || r.pipeline || r.wonCount || r.openCount || r.weightedX100)
    .sort((a, b) => a.ownerId.localeCompare(b.ownerId) || a.month.localeCompare(b.month) || a.currency.localeCompare(b.currency));
  const owners = new Map<string, Map<string, Figures & { weightedX100: number }>>();
  for (const r of rows) {
    const byCurrency = owners.get(r.ownerId) ?? new Map();
    owners.set(r.ownerId, byCurrency);
    const t = byCurrency.get(r.currency) ?? { closedWon: 0, commit: 0, bestCase: 0, pipeline: 0, weighted: 0, weightedX100: 0, wonCount: 0, openCount: 0 };
    for (const k of ['closedWon', 'commit', 'bestCase', 'pipeline', 'weightedX100', 'wonCount', 'openCount'] as const) t[k] += r[k];
    t.weighted = roundX100(t.weightedX100);
    byCurrency.set(r.currency, t);
  }
  for (const q of quotas) if (!owners.has(q.userId)) owners.set(q.userId, new Map());
  return {
    period: query.period,
    months,
    rows: rows.map(({ weightedX100: _w, ...r }) => r),
    owners: [...owners.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, byCurrency]) => {
      const quota = quotas.find((q) => q.userId === id);
      const won = quota ? (byCurrency.get(quota.amount.currency)?.closedWon ?? 0) : 0;
      return {
        ownerId: id,
        totals: [...byCurrency.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, { weightedX100: _w, ...t }]) => ({ currency, ...t })),
        ...(quota ? { quota: quota.amount, attainment: quota.amount.amount > 0 ? Math.round((won / quota.amount.amount) * 10_000) / 10_000 : null } : {}),
      };
    }),
  };
}

async function allQuotas(period: string): Promise<QuotaItem[]> {
  const result: QuotaItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await queryQuotas(period, 100, startKey);
    result.push(...page.items);
    startKey = page.lastKey;
  } while (startKey);
  return result;
}

// Quotas -----------------------------------------------------------------------------------------

const toQuota = (q: QuotaItem) => ({ userId: q.userId, period: q.period, amount: q.amount, version: q.version, updatedAt: q.updatedAt, updatedBy: q.updatedBy });

/** One GetItem; sales read their own only (404 for others, like an unknown record). */
export async function getQuotaFor(principal: Principal, userId: string, period: string) {
  assertAccess(principal, 'quotas:read', userId, 'quota');
  const quota = await getQuota(userId, period);
  if (!quota) throw NotFound('No quota for this user and period');
  return toQuota(quota);
}

/** GET /v1/quotas?period=: one Query per page on gsi1; sales see their own only. */
export async function listQuotas(principal: Principal, scope: Scope, query: Infer<typeof QuotaListQuery>) {
  if (scope === 'own') {
    const own = await getQuota(principal.userId, query.period);
    return { items: own ? [toQuota(own)] : [], nextCursor: null };
  }
  const fingerprint = `quotas:${query.period}`;
  const page = await queryQuotas(query.period, query.limit ?? 25, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toQuota), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** PUT: creates or replaces a quota (If-Match with the current version for a safe replace). */
export async function putQuota(principal: Principal, userId: string, period: string, body: Infer<typeof QuotaInput>, expectedVersion: number | undefined, now: Date) {
  const current = await getQuota(userId, period);
  if (expectedVersion !== undefined && expectedVersion !== (current?.version ?? 0)) throw PreconditionFailed();
  const next: QuotaItem = { userId, period, amount: body.amount, version: (current?.version ?? 0) + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
  if (current && diff(current, next, ['amount'], []).length === 0) return toQuota(current);
  const base = auditItem({ customerId: '-', entityType: 'quota', entityId: `${userId}/${period}`, action: current ? 'updated' : 'created', actor: principal, at: now, version: next.version, changes: diff(current, next, ['amount'], []) });
  const tx = new Transaction();
  tx.put('quota', quotaStored(next), current
    ? { expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': current.version } }
    : { expression: 'attribute_not_exists(pk)' });
  tx.put('audit', { ...base, ...keys.quota.audit(userId, base.at as string, base.id as string) });
  try {
    await tx.commit();
  } catch (err) {
    if (err instanceof ConditionsFailed) throw PreconditionFailed('The quota changed meanwhile; read it again and retry');
    throw err;
  }
  return toQuota(next);
}

// Sales report -----------------------------------------------------------------------------------

interface Counters { won: number; lost: number; cycleSeconds: number; wonAmount: Map<string, number>; wonCount: Map<string, number>; enter: Map<string, number>; adv: Map<string, number> }
const emptyCounters = (): Counters => ({ won: 0, lost: 0, cycleSeconds: 0, wonAmount: new Map(), wonCount: new Map(), enter: new Map(), adv: new Map() });
const addTo = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

function accumulate(c: Counters, item: Record<string, unknown>) {
  c.won += num(item.wonCount);
  c.lost += num(item.lostCount);
  c.cycleSeconds += num(item.closedCycleSeconds);
  for (const [k, v] of Object.entries(item)) {
    if (k.startsWith('wonAmount_')) addTo(c.wonAmount, k.slice('wonAmount_'.length), num(v));
    else if (k.startsWith('wonCount_')) addTo(c.wonCount, k.slice('wonCount_'.length), num(v));
    else if (k.startsWith('enter_')) addTo(c.enter, k.slice('enter_'.length), num(v));
    else if (k.startsWith('adv_')) addTo(c.adv, k.slice('adv_'.length), num(v));
  }
}

/**
 * Won deals in one currency. Aggregates written before `wonCount_<CUR>` existed carry none; for
 * them the total won count is the best figure there is (exact while an owner wins in one currency).
 */
function perCurrencyWon(c: Counters, currency: string): number {
  const n = c.wonCount.get(currency) ?? 0;
  return n > 0 ? n : c.won;
}

/**
 * Currencies with won deals: from the per-currency counts (a deal won at amount 0 still counts;
 * a currency whose wins were all deleted does not); legacy items without them fall back to the
 * currencies with a won amount.
 */
function wonCurrencies(c: Counters): string[] {
  const counted = [...c.wonCount].filter(([, n]) => n > 0).map(([currency]) => currency);
  const currencies = c.wonCount.size > 0 ? counted : [...c.wonAmount].filter(([, amount]) => amount !== 0).map(([currency]) => currency);
  return currencies.sort((a, b) => a.localeCompare(b));
}

function reportRow(ownerId: string, pipelineId: string, c: Counters, stages: { id: string; name: string }[]) {
  const closed = c.won + c.lost;
  return {
    ownerId,
    pipelineId,
    won: c.won,
    lost: c.lost,
    winRate: closed ? Math.round((c.won / closed) * 10_000) / 10_000 : null,
    averageDealSize: c.won ? wonCurrencies(c).map((currency) => ({ amount: Math.round((c.wonAmount.get(currency) ?? 0) / perCurrencyWon(c, currency)), currency })) : [],
    averageCycleDays: closed ? Math.round((c.cycleSeconds / closed / 86_400) * 10) / 10 : null,
    funnel: stages.slice(0, -1).map((s, i) => {
      const to = stages[i + 1]!;
      const entered = c.enter.get(s.id) ?? 0;
      const advanced = c.adv.get(to.id) ?? 0;
      return { fromStageId: s.id, fromStage: s.name, toStageId: to.id, toStage: to.name, entered, advanced, conversion: entered ? Math.round((advanced / entered) * 10_000) / 10_000 : null };
    }),
  };
}

/**
 * GET /v1/reports/sales: 1 Query of the period's report aggregates + 1 BatchGet of the pipelines
 * named in them (for stage order and names). Win rate and cycle count deals closed in the period;
 * funnel counts stage entries in the period. Average deal size is per currency (won deals only).
 */
export async function salesReport(principal: Principal, scope: Scope, query: Infer<typeof SalesReportQuery>) {
  const ownerId = ownerFilter(principal, scope, query.ownerId);
  const months = monthsOf(query.period);
  const items = await repo.reportItems(months, { ...(ownerId ? { ownerId } : {}), ...(query.pipelineId ? { pipelineId: query.pipelineId } : {}) });
  const groups = new Map<string, { ownerId: string; pipelineId: string; c: Counters }>();
  const total = emptyCounters();
  for (const item of items) {
    const key = `${item.ownerId}|${item.pipelineId}`;
    const g = groups.get(key) ?? { ownerId: item.ownerId as string, pipelineId: item.pipelineId as string, c: emptyCounters() };
    groups.set(key, g);
    accumulate(g.c, item);
    accumulate(total, item);
  }
  const pipelines = await repo.pipelinesByIds([...new Set([...groups.values()].map((g) => g.pipelineId))]);
  const stagesOf = (id: string) => (pipelines.get(id)?.stages ?? []).map((s) => ({ id: s.id, name: s.name }));
  const onePipeline = new Set([...groups.values()].map((g) => g.pipelineId));
  return {
    period: query.period,
    months,
    rows: [...groups.values()].sort((a, b) => a.ownerId.localeCompare(b.ownerId) || a.pipelineId.localeCompare(b.pipelineId)).map((g) => reportRow(g.ownerId, g.pipelineId, g.c, stagesOf(g.pipelineId))),
    // Totals over every row; the funnel only when all rows share one pipeline (stages differ otherwise).
    total: reportRow(ownerId ?? '*', query.pipelineId ?? (onePipeline.size === 1 ? [...onePipeline][0]! : '*'), total, onePipeline.size === 1 ? stagesOf([...onePipeline][0]!) : []),
  };
}
