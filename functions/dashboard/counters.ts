/**
 * Dashboard counters, maintained on write: each write that changes a figure ADDs the difference to
 * a small counter item in its own transaction (like the sales aggregates of
 * functions/forecast/aggregates.ts, whose Deltas and addAggregateUpdates this reuses; the update
 * builder is functions/data/counters.ts). The dashboard then reads a handful of items, whatever
 * the number of records.
 *
 * - Open pipeline by stage (`DASH#PIPELINE` / owner): `cnt_<pipelineId>#<stageId>` deals and
 *   `amt_<pipelineId>#<stageId>#<CUR>` value of the owner's open deals.
 * - Customer distribution (`DASH#CUSTOMERS` / owner): live customers `live`, `tier_<A…D|->`,
 *   `stage_<lifecycleStage|->`; archived ones `archived`.
 * - Funnel flows per month (business time zone): leads `created` (month of createdAt) and
 *   `converted` (month of convertedAt) on `DASH#LEADS#<yyyy>`; deals `created`, `won`, `lost`
 *   (month of createdAt / closedAt) on `DASH#DEALS#<yyyy>`. Flows are events: deleting a record
 *   later does not undo its creation in the period it happened, but deleting a closed deal takes
 *   its `won`/`lost` back (as the forecast does).
 *
 * Pure functions returning deltas; the callers (customers repository, leads repository, deal
 * aggregates) append them to the write's transaction.
 */
import { localMonthOf } from '../calendar/business-calendar';
import { businessTimeZone } from '../config';
import { bump } from '../data/counters';
import { keys } from '../data/keys';
import type { Transaction } from '../data/transaction';
import { addAggregateUpdates, type Deltas } from '../forecast/aggregates';

const month = (at: string) => localMonthOf(at, businessTimeZone());

// Deals -------------------------------------------------------------------------------------------

export interface DealCounterFacts {
  ownerId: string;
  pipelineId: string;
  stageId?: string;
  status: 'open' | 'won' | 'lost';
  amount: { amount: number; currency: string };
  createdAt: string;
  closedAt?: string;
}

function dealOf(deal: DealCounterFacts | undefined, sign: 1 | -1, deltas: Deltas, created: boolean) {
  if (!deal) return;
  if (deal.status === 'open' && deal.stageId) {
    const key = keys.dashboard.pipeline(deal.ownerId);
    const set = { ownerId: deal.ownerId };
    bump(deltas, key, set, `cnt_${deal.pipelineId}#${deal.stageId}`, sign);
    bump(deltas, key, set, `amt_${deal.pipelineId}#${deal.stageId}#${deal.amount.currency}`, sign * deal.amount.amount);
  }
  if (deal.status !== 'open' && deal.closedAt) {
    const m = month(deal.closedAt);
    bump(deltas, keys.dashboard.deals(m, deal.ownerId), { month: m, ownerId: deal.ownerId }, deal.status, sign);
  }
  if (created) {
    const m = month(deal.createdAt);
    bump(deltas, keys.dashboard.deals(m, deal.ownerId), { month: m, ownerId: deal.ownerId }, 'created', 1);
  }
}

/** Counter changes of a deal going from `before` to `after` (either may be absent). */
export function dealCounterDeltas(before: DealCounterFacts | undefined, after: DealCounterFacts | undefined, deltas: Deltas = new Map()): Deltas {
  dealOf(before, -1, deltas, false);
  dealOf(after, 1, deltas, !before && !!after);
  return deltas;
}

// Customers ---------------------------------------------------------------------------------------

export interface CustomerCounterFacts {
  ownerId: string;
  tier?: string;
  lifecycleStage?: string;
  archivedAt?: string;
}

function customerOf(c: CustomerCounterFacts | undefined, sign: 1 | -1, deltas: Deltas) {
  if (!c) return;
  const key = keys.dashboard.customers(c.ownerId);
  const set = { ownerId: c.ownerId };
  if (c.archivedAt) {
    bump(deltas, key, set, 'archived', sign);
    return;
  }
  bump(deltas, key, set, 'live', sign);
  bump(deltas, key, set, `tier_${c.tier ?? '-'}`, sign);
  bump(deltas, key, set, `stage_${c.lifecycleStage ?? '-'}`, sign);
}

export function customerCounterDeltas(before: CustomerCounterFacts | undefined, after: CustomerCounterFacts | undefined, deltas: Deltas = new Map()): Deltas {
  customerOf(before, -1, deltas);
  customerOf(after, 1, deltas);
  return deltas;
}

/** Appends the customer counters' updates to a customer write's transaction. */
export function addCustomerCounters(tx: Transaction, before: CustomerCounterFacts | undefined, after: CustomerCounterFacts): void {
  addAggregateUpdates(tx, customerCounterDeltas(before, after));
}

// Leads -------------------------------------------------------------------------------------------

export interface LeadCounterFacts {
  ownerId: string;
  status: string;
  createdAt: string;
  convertedAt?: string;
}

export function leadCounterDeltas(before: LeadCounterFacts | undefined, after: LeadCounterFacts, deltas: Deltas = new Map()): Deltas {
  if (!before) {
    const m = month(after.createdAt);
    bump(deltas, keys.dashboard.leads(m, after.ownerId), { month: m, ownerId: after.ownerId }, 'created', 1);
  }
  if (after.status === 'converted' && before?.status !== 'converted') {
    const m = month(after.convertedAt ?? after.createdAt);
    bump(deltas, keys.dashboard.leads(m, after.ownerId), { month: m, ownerId: after.ownerId }, 'converted', 1);
  }
  return deltas;
}

/** Appends the lead counters' updates to a lead write's transaction. */
export function addLeadCounters(tx: Transaction, before: LeadCounterFacts | undefined, after: LeadCounterFacts): void {
  addAggregateUpdates(tx, leadCounterDeltas(before, after));
}
