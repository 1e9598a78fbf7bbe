/**
 * The dashboard's figures, all from counters maintained on write (functions/dashboard/counters.ts
 * and the sales aggregates of functions/forecast/aggregates.ts). Whatever the number of records,
 * one dashboard costs at most these reads, in parallel:
 *   open pipeline (1 Query, or 1 GetItem for one owner) · customers (likewise) · lead flows
 *   (1 Query) · deal flows (1 Query) · forecast aggregates (1 Query) · quotas (1 Query, or 1
 *   GetItem) · then the pipelines' names and stage order (1 BatchGetItem)
 * — seven requests (more only past 1 MB of counters, i.e. thousands of owners).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { queryCounterItems } from '../data/counters';
import { keys } from '../data/keys';
import { monthsOf } from '../deals/model';
import { getQuota, type QuotaItem, queryQuotas } from '../deals/repository';
import { forecastItems, pipelinesByIds } from '../forecast/repository';
import { Forbidden } from '../http/problem';
import type { Scope } from '../security/permissions';
import type { Principal } from '../security/principal';

type Stored = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const rate = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);
const roundX100 = (v: number) => Math.sign(v) * Math.round(Math.abs(v) / 100);

async function getOne(key: { pk: string; sk: string }): Promise<Stored[]> {
  const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: key }));
  return out.Item ? [out.Item] : [];
}

async function allQuotas(period: string): Promise<QuotaItem[]> {
  const result: QuotaItem[] = [];
  let startKey: Stored | undefined;
  do {
    const page = await queryQuotas(period, 100, startKey);
    result.push(...page.items);
    startKey = page.lastKey;
  } while (startKey);
  return result;
}

/** Sums attributes `<prefix><rest>` of the items into rest → total. */
function sumPrefixed(items: Stored[], prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) {
    for (const [name, value] of Object.entries(item)) {
      if (name.startsWith(prefix)) out.set(name.slice(prefix.length), (out.get(name.slice(prefix.length)) ?? 0) + num(value));
    }
  }
  return out;
}

const sumField = (items: Stored[], field: string) => items.reduce((n, i) => n + num(i[field]), 0);

/** GET /v1/reports/dashboard: sales (scope own) see their own figures; naming someone else is 403. */
/** The quarter `now` falls in (UTC), as a period: 2026-Q4. */
export const currentQuarter = (now: Date): string => `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;

export async function dashboard(principal: Principal, scope: Scope, query: { period?: string; ownerId?: string }, now = new Date()) {
  if (scope === 'own' && query.ownerId !== undefined && query.ownerId !== principal.userId) throw Forbidden('Your role may only read your own figures');
  const ownerId = scope === 'own' ? principal.userId : query.ownerId;
  const period = query.period ?? currentQuarter(now);
  const months = monthsOf(period);
  const year = months[0]!.slice(0, 4);
  const range: [string, string] = [months[0]!, months.at(-1)!];

  const [pipelineItems, customerItems, leadItems, dealItems, fcst, quotas] = await Promise.all([
    ownerId ? getOne(keys.dashboard.pipeline(ownerId)) : queryCounterItems(keys.dashboard.pipelinePartition),
    ownerId ? getOne(keys.dashboard.customers(ownerId)) : queryCounterItems(keys.dashboard.customersPartition),
    queryCounterItems(keys.dashboard.leadsPartition(year), range, ownerId),
    queryCounterItems(keys.dashboard.dealsPartition(year), range, ownerId),
    forecastItems(months, ownerId ? { ownerId } : {}),
    ownerId ? getQuota(ownerId, period).then((q) => (q ? [q] : [])) : allQuotas(period),
  ]);

  // Open pipeline by stage, in each pipeline's stage order.
  const counts = sumPrefixed(pipelineItems, 'cnt_');
  const amounts = sumPrefixed(pipelineItems, 'amt_');
  const pipelineIds = [...new Set([...counts.keys()].map((k) => k.split('#')[0]!))];
  const pipelines = await pipelinesByIds(pipelineIds);
  const pipeline = pipelineIds.sort().map((pipelineId) => {
    const def = pipelines.get(pipelineId);
    const order = (def?.stages ?? []).map((s) => s.id);
    const stageIds = [...new Set([...counts.keys()].filter((k) => k.startsWith(`${pipelineId}#`)).map((k) => k.split('#')[1]!))]
      .filter((stageId) => (counts.get(`${pipelineId}#${stageId}`) ?? 0) !== 0)
      .sort((a, b) => (order.indexOf(a) + 1 || 1e9) - (order.indexOf(b) + 1 || 1e9) || a.localeCompare(b));
    return {
      pipelineId,
      name: def?.name ?? pipelineId,
      stages: stageIds.map((stageId) => ({
        stageId,
        name: def?.stages.find((s) => s.id === stageId)?.name ?? stageId,
        deals: counts.get(`${pipelineId}#${stageId}`) ?? 0,
        value: [...amounts.entries()]
          .filter(([k]) => k.startsWith(`${pipelineId}#${stageId}#`))
          .map(([k, amount]) => ({ amount, currency: k.split('#')[2]! }))
          .sort((a, b) => a.currency.localeCompare(b.currency)),
      })),
    };
  }).filter((p) => p.stages.length > 0);

  // Funnel flows of the period.
  const funnel = {
    leadsCreated: sumField(leadItems, 'created'),
    leadsConverted: sumField(leadItems, 'converted'),
    dealsCreated: sumField(dealItems, 'created'),
    dealsWon: sumField(dealItems, 'won'),
    dealsLost: sumField(dealItems, 'lost'),
  };

  // Revenue (won deals) and forecast vs quota, from the forecast aggregates.
  const byMonth = new Map<string, { month: string; currency: string; amount: number; deals: number }>();
  const byOwner = new Map<string, { ownerId: string; currency: string; amount: number; deals: number }>();
  const forecast = new Map<string, { ownerId: string; currency: string; closedWon: number; commit: number; bestCase: number; pipeline: number; weightedX100: number }>();
  for (const i of fcst) {
    const [owner, month, currency] = [String(i.ownerId), String(i.month), String(i.currency)];
    if (num(i.wonCount) || num(i.wonAmount)) {
      const m = byMonth.get(`${month}|${currency}`) ?? { month, currency, amount: 0, deals: 0 };
      m.amount += num(i.wonAmount); m.deals += num(i.wonCount);
      byMonth.set(`${month}|${currency}`, m);
      const o = byOwner.get(`${owner}|${currency}`) ?? { ownerId: owner, currency, amount: 0, deals: 0 };
      o.amount += num(i.wonAmount); o.deals += num(i.wonCount);
      byOwner.set(`${owner}|${currency}`, o);
    }
    const f = forecast.get(`${owner}|${currency}`) ?? { ownerId: owner, currency, closedWon: 0, commit: 0, bestCase: 0, pipeline: 0, weightedX100: 0 };
    f.closedWon += num(i.wonAmount); f.commit += num(i.commitAmount); f.bestCase += num(i.bestCaseAmount); f.pipeline += num(i.pipelineAmount); f.weightedX100 += num(i.weightedX100);
    forecast.set(`${owner}|${currency}`, f);
  }
  for (const q of quotas) {
    if (!forecast.has(`${q.userId}|${q.amount.currency}`)) forecast.set(`${q.userId}|${q.amount.currency}`, { ownerId: q.userId, currency: q.amount.currency, closedWon: 0, commit: 0, bestCase: 0, pipeline: 0, weightedX100: 0 });
  }
  const forecastRows = [...forecast.values()]
    .filter((f) => f.closedWon || f.pipeline || f.commit || f.bestCase || quotas.some((q) => q.userId === f.ownerId && q.amount.currency === f.currency))
    .sort((a, b) => a.ownerId.localeCompare(b.ownerId) || a.currency.localeCompare(b.currency))
    .map(({ weightedX100, ...f }) => {
      const quota = quotas.find((q) => q.userId === f.ownerId && q.amount.currency === f.currency);
      return { ...f, weighted: roundX100(weightedX100), ...(quota ? { quota: quota.amount, attainment: rate(f.closedWon, quota.amount.amount) } : {}) };
    });

  // Customers now.
  const tiers = sumPrefixed(customerItems, 'tier_');
  const stages = sumPrefixed(customerItems, 'stage_');
  const nonZero = (m: Map<string, number>) => [...m.entries()].filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b));

  return {
    period,
    months,
    ownerId: ownerId ?? null,
    pipeline,
    funnel: { ...funnel, leadToDeal: rate(funnel.leadsConverted, funnel.leadsCreated), dealToWon: rate(funnel.dealsWon, funnel.dealsWon + funnel.dealsLost) },
    revenue: {
      byMonth: [...byMonth.values()].sort((a, b) => a.month.localeCompare(b.month) || a.currency.localeCompare(b.currency)),
      byOwner: [...byOwner.values()].sort((a, b) => a.ownerId.localeCompare(b.ownerId) || a.currency.localeCompare(b.currency)),
    },
    forecast: forecastRows,
    customers: {
      live: sumField(customerItems, 'live'),
      archived: sumField(customerItems, 'archived'),
      byTier: nonZero(tiers).map(([tier, customers]) => ({ tier, customers })),
      byLifecycleStage: nonZero(stages).map(([lifecycleStage, customers]) => ({ lifecycleStage, customers })),
    },
  };
}
