/**
 * The dashboard's figures, all from counters maintained on write (functions/dashboard/counters.ts
 * and the sales aggregates of functions/forecast/aggregates.ts). Whatever the number of records,
 * one dashboard costs at most these reads, in parallel:
 *   open pipeline (1 Query, or 1 GetItem for one owner) · customers (likewise) · lead flows
 *   (1 Query) · deal flows (1 Query) · forecast aggregates (1 Query) · quotas (1 Query, or 1
 *   GetItem) · then the pipelines' names and stage order (1 BatchGetItem)
 * — seven requests (more only past 1 MB of counters, i.e. thousands of owners) — and, for a caller
 * who may read them (`serviceSection`, `campaignSection` below), at most three more:
 *   the service desk's SLA and satisfaction counters of the period (1 Query of `SVCRPT#<yyyy>`,
 *   the read of GET /v1/reports/service) · the CAMPAIGNS_PAGE most recently created campaigns
 *   (1 Query of gsi1 `CAMPAIGNS`) · then the counter shards of at most MAX_CAMPAIGNS of them
 *   (1 BatchGetItem of ≤ 80 keys; none when no campaign sent in the period)
 * — ten requests in all (more only when DynamoDB leaves keys unprocessed).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { localMonthOf } from '../calendar/business-calendar';
import { businessTimeZone, config } from '../config';
import { ddb } from '../data/client';
import { queryCounterItems } from '../data/counters';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import { monthsOf } from '../deals/model';
import { getQuota, type QuotaItem, queryQuotas } from '../deals/repository';
import { forecastItems, pipelinesByIds } from '../forecast/repository';
import { Forbidden } from '../http/problem';
import { batchGetItems } from '../jobs/batch-get';
import type { CampaignItem } from '../marketing/campaigns';
import { campaignRates, statsOfShards, statsShardKeys } from '../marketing/counters';
import { queryPage } from '../marketing/store';
import type { Scope } from '../security/permissions';
import { type Principal, scopeFor } from '../security/principal';
import { csatTotals, servicePeriodItems, slaFigures } from '../service-desk/report';

type Stored = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
/** A fraction rounded to 4 places (the schema's `Rate`); null when nothing to divide by. */
const round4 = (r: number | null) => (r === null ? null : Math.round(r * 10_000) / 10_000);
const rate = (a: number, b: number) => round4(b > 0 ? a / b : null);
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

/** The quarter `now` falls in (UTC), as a period: 2026-Q4. */
export const currentQuarter = (now: Date): string => `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;

/**
 * SLA compliance and satisfaction of the period's months, read and summed exactly as GET
 * /v1/reports/service reads them (functions/service-desk/report.ts): one Query.
 */
async function serviceSection(months: readonly string[]) {
  const { times, csat } = await servicePeriodItems(months);
  const { firstResponse, sla } = slaFigures(times);
  const totals = csatTotals(csat);
  const satisfied = (totals.distribution['4'] ?? 0) + (totals.distribution['5'] ?? 0);
  return {
    sla: { resolved: sla.resolved, compliant: sla.compliant, compliance: sla.compliance, breaches: sla.breaches },
    firstResponse: { count: firstResponse.count, withinTarget: firstResponse.withinTarget, compliance: firstResponse.compliance },
    csat: { ...totals, satisfied, satisfaction: rate(satisfied, totals.responses) },
  };
}

/** Campaigns looked at: the most recently created (ids are time-ordered), one Query page. */
export const CAMPAIGNS_PAGE = 50;
/** Campaigns shown: their counter shards (8 each) fit one BatchGetItem (≤ 100 keys). */
export const MAX_CAMPAIGNS = 10;

type CampaignCounts = { sent: number; delivered: number; opened: number; clicked: number; bounced: number; complained: number; unsubscribed: number };
const COUNTS = ['sent', 'delivered', 'opened', 'clicked', 'bounced', 'complained', 'unsubscribed'] as const;

function withRates(c: CampaignCounts) {
  const r = campaignRates(c);
  const counts = { sent: c.sent, delivered: c.delivered, opened: c.opened, clicked: c.clicked, bounced: c.bounced, complained: c.complained, unsubscribed: c.unsubscribed };
  return { ...counts, rates: { delivery: round4(r.delivery), open: round4(r.open), click: round4(r.click), bounce: round4(r.bounce), complaint: round4(r.complaint), unsubscribe: round4(r.unsubscribe) } };
}

/**
 * When a campaign's sending ended, for the period test: completed; stopped (paused, cancelled)
 * at its last pause or change; still sending now.
 */
const sendingEnd = (c: CampaignItem, now: Date) => (c.status === 'sending' ? now.toISOString() : c.completedAt ?? c.pausedAt ?? c.updatedAt);

/**
 * Campaign performance of the period, bounded: of the CAMPAIGNS_PAGE most recently created
 * campaigns, those whose sending (startedAt to its end) overlaps the period's months (business
 * time zone), most recently started first, at most MAX_CAMPAIGNS, each with its counters
 * (lifetime totals, the figures of GET /v1/campaigns/{id}/stats). `truncated`: more campaigns may
 * have sent in the period than shown.
 */
async function campaignSection(months: readonly string[], now: Date) {
  const timeZone = businessTimeZone();
  const [first, last] = [months[0]!, months.at(-1)!];
  const page = await queryPage({ index: 'gsi1', partition: keys.campaign.listPartition, limit: CAMPAIGNS_PAGE, descending: true });
  const inPeriod = page.items
    .map((item) => withoutKeys<CampaignItem>(item))
    .flatMap((c) => (c.startedAt ? [{ c, startedAt: c.startedAt }] : []))
    .filter(({ c, startedAt }) => localMonthOf(startedAt, timeZone) <= last && localMonthOf(sendingEnd(c, now), timeZone) >= first)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const shown = inPeriod.slice(0, MAX_CAMPAIGNS);
  const shards = shown.length > 0 ? await batchGetItems(shown.flatMap(({ c }) => statsShardKeys(c.id)), { consistent: true }) : [];
  const rows = shown.map(({ c, startedAt }) => {
    const stats = statsOfShards(c, shards.filter((s) => s.pk === keys.campaign.partition(c.id)));
    return { campaignId: c.id, name: c.name, channel: c.channel, status: c.status, startedAt, ...(c.completedAt ? { completedAt: c.completedAt } : {}), ...withRates(stats) };
  });
  const totals: CampaignCounts = { sent: 0, delivered: 0, opened: 0, clicked: 0, bounced: 0, complained: 0, unsubscribed: 0 };
  for (const row of rows) for (const k of COUNTS) totals[k] += row[k];
  return { items: rows, totals: { campaigns: rows.length, ...withRates(totals) }, truncated: inPeriod.length > shown.length || page.lastKey !== undefined };
}

/**
 * GET /v1/reports/dashboard: sales (scope own) see their own figures; naming someone else is 403.
 * The service and campaign sections are company-wide: only for a caller who reads reports with
 * scope all and holds what their own endpoints need (service-reports:read; marketing:read and
 * campaign-stats:read), else null and not read at all.
 */
export async function dashboard(principal: Principal, scope: Scope, query: { period?: string; ownerId?: string }, now = new Date()) {
  if (scope === 'own' && query.ownerId !== undefined && query.ownerId !== principal.userId) throw Forbidden('Your role may only read your own figures');
  const ownerId = scope === 'own' ? principal.userId : query.ownerId;
  const period = query.period ?? currentQuarter(now);
  const months = monthsOf(period);
  const year = months[0]!.slice(0, 4);
  const range: [string, string] = [months[0]!, months.at(-1)!];

  const mayRead = (action: 'service-reports:read' | 'marketing:read' | 'campaign-stats:read') => scope === 'all' && scopeFor(principal, action) !== undefined;
  const [pipelineItems, customerItems, leadItems, dealItems, fcst, quotas, service, campaigns] = await Promise.all([
    ownerId ? getOne(keys.dashboard.pipeline(ownerId)) : queryCounterItems(keys.dashboard.pipelinePartition),
    ownerId ? getOne(keys.dashboard.customers(ownerId)) : queryCounterItems(keys.dashboard.customersPartition),
    queryCounterItems(keys.dashboard.leadsPartition(year), range, ownerId),
    queryCounterItems(keys.dashboard.dealsPartition(year), range, ownerId),
    forecastItems(months, ownerId ? { ownerId } : {}),
    ownerId ? getQuota(ownerId, period).then((q) => (q ? [q] : [])) : allQuotas(period),
    mayRead('service-reports:read') ? serviceSection(months) : null,
    mayRead('marketing:read') && mayRead('campaign-stats:read') ? campaignSection(months, now) : null,
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
    service,
    campaigns,
  };
}
