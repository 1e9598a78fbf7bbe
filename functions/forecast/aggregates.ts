/**
 * Sales aggregates, maintained incrementally: every deal write computes what the deal contributed
 * before and after the change and ADDs the difference to aggregate items in the deal's own
 * transaction. Reading a forecast or a report is a Query of a few aggregate items, never a scan
 * of deals. Pure functions (unit-tested); the transaction plumbing is `addAggregateUpdates`.
 *
 * Forecast categories of an OPEN deal with an expected close date (month = that date's month),
 * by its effective probability p (the deal's override, else its stage's):
 *  - pipeline: every open deal;  weighted: amount × p / 100 (kept ×100 exactly, rounded on read);
 *  - best case: p ≥ 50;  commit: p ≥ 75 (commit ⊂ best case ⊂ pipeline).
 * A WON deal counts as closed-won in the month of closedAt — the month in the business time zone,
 * the same calendar commission statements and quotas use. Lost deals leave the forecast.
 * Open deals without an expected close date are in no month (reported as undated by nobody).
 */
import { localMonthOf } from '../calendar/business-calendar';
import { businessTimeZone } from '../config';
import { addCounterUpdates, bump, type CounterDeltas } from '../data/counters';
import { keys } from '../data/keys';
import type { Transaction } from '../data/transaction';
import { dealCounterDeltas } from '../dashboard/counters';

export const COMMIT_PROBABILITY = 75;
export const BEST_CASE_PROBABILITY = 50;

export interface DealFacts {
  id: string;
  ownerId: string;
  pipelineId: string;
  /** The current stage (the dashboard's open pipeline by stage). */
  stageId?: string;
  status: 'open' | 'won' | 'lost';
  amount: { amount: number; currency: string };
  probability: number;
  expectedCloseDate?: string;
  closedAt?: string;
  createdAt: string;
}

/** `key → field → delta`, where key identifies one aggregate item. */
export type Deltas = CounterDeltas;

function forecastOf(deal: DealFacts | undefined, sign: 1 | -1, deltas: Deltas) {
  if (!deal) return;
  const { amount, currency } = deal.amount;
  if (deal.status === 'open' && deal.expectedCloseDate) {
    const month = deal.expectedCloseDate.slice(0, 7);
    const key = keys.forecast.item(month, deal.ownerId, currency);
    const set = { month, ownerId: deal.ownerId, currency };
    bump(deltas, key, set, 'pipelineAmount', sign * amount);
    bump(deltas, key, set, 'pipelineCount', sign);
    bump(deltas, key, set, 'weightedX100', sign * amount * deal.probability);
    if (deal.probability >= BEST_CASE_PROBABILITY) bump(deltas, key, set, 'bestCaseAmount', sign * amount);
    if (deal.probability >= COMMIT_PROBABILITY) bump(deltas, key, set, 'commitAmount', sign * amount);
  } else if (deal.status === 'won' && deal.closedAt) {
    const month = localMonthOf(deal.closedAt, businessTimeZone());
    const key = keys.forecast.item(month, deal.ownerId, currency);
    const set = { month, ownerId: deal.ownerId, currency };
    bump(deltas, key, set, 'wonAmount', sign * amount);
    bump(deltas, key, set, 'wonCount', sign);
  }
}

/** Report counters of a CLOSED deal, in the month of closedAt, by owner and pipeline. */
function closedOf(deal: DealFacts | undefined, sign: 1 | -1, deltas: Deltas) {
  if (!deal || deal.status === 'open' || !deal.closedAt) return;
  const month = localMonthOf(deal.closedAt, businessTimeZone());
  const key = keys.salesReport.item(month, deal.ownerId, deal.pipelineId);
  const set = { month, ownerId: deal.ownerId, pipelineId: deal.pipelineId };
  const cycleSeconds = Math.max(0, Math.round((Date.parse(deal.closedAt) - Date.parse(deal.createdAt)) / 1000));
  bump(deltas, key, set, deal.status === 'won' ? 'wonCount' : 'lostCount', sign);
  bump(deltas, key, set, 'closedCycleSeconds', sign * cycleSeconds);
  if (deal.status === 'won') {
    bump(deltas, key, set, `wonAmount_${deal.amount.currency}`, sign * deal.amount.amount);
    // Per-currency count: the average deal size of a currency divides by the deals won in it.
    bump(deltas, key, set, `wonCount_${deal.amount.currency}`, sign);
  }
}

/** What changes in the aggregates when a deal goes from `before` to `after` (either may be absent). */
export function dealDeltas(before: DealFacts | undefined, after: DealFacts | undefined, deltas: Deltas = new Map()): Deltas {
  forecastOf(before, -1, deltas);
  forecastOf(after, 1, deltas);
  closedOf(before, -1, deltas);
  closedOf(after, 1, deltas);
  // The dashboard's counters change with the same writes (functions/dashboard/counters.ts).
  dealCounterDeltas(before, after, deltas);
  return deltas;
}

/**
 * Funnel counters for a deal entering a stage at `at`: `enter_<stage>` the first time a deal
 * enters it; `adv_<stage>` when it had already entered the stage before it in pipeline order
 * (conversion i → i+1 = adv_<i+1> / enter_<i>). Attributed to the owner and month of the entry.
 */
export function stageEntryDeltas(
  deal: { ownerId: string; pipelineId: string },
  stageId: string,
  enteredBefore: readonly string[],
  previousStageId: string | undefined,
  at: string,
  deltas: Deltas = new Map(),
): Deltas {
  if (enteredBefore.includes(stageId)) return deltas;
  const month = localMonthOf(at, businessTimeZone());
  const key = keys.salesReport.item(month, deal.ownerId, deal.pipelineId);
  const set = { month, ownerId: deal.ownerId, pipelineId: deal.pipelineId };
  bump(deltas, key, set, `enter_${stageId}`, 1);
  if (previousStageId && enteredBefore.includes(previousStageId)) bump(deltas, key, set, `adv_${stageId}`, 1);
  return deltas;
}

/** Appends one ADD update per aggregate item with a non-zero delta to the transaction. */
export function addAggregateUpdates(tx: Transaction, deltas: Deltas): void {
  addCounterUpdates(tx, deltas, 'aggregate', aggregateKind);
}

const aggregateKind = ({ pk }: { pk: string }) => (pk.startsWith('FCST#') ? 'forecast-aggregate' : pk.startsWith('DASH#') ? 'dashboard-counter' : 'sales-report-aggregate');
