/** Deals: stored shape, public shape and pure rules. */
import type { DealFacts } from '../forecast/aggregates';

export interface Money { amount: number; currency: string }
export interface LineItem { description: string; quantity: number; unitPrice: Money }

export interface DealItem {
  id: string;
  name: string;
  customerId: string;
  contactId?: string;
  ownerId: string;
  pipelineId: string;
  stageId: string;
  amount: Money;
  /** Effective win probability: the override when set, else the stage's when the deal entered it. */
  probability: number;
  probabilityOverride?: number;
  expectedCloseDate?: string;
  lineItems?: LineItem[];
  status: 'open' | 'won' | 'lost';
  wonReason?: string;
  lostReason?: string;
  closedAt?: string;
  source?: { kind: 'lead'; id: string };
  /** The campaign the deal is attributed to (functions/marketing/attribution.ts). */
  campaignId?: string;
  /** Custom-field values (functions/customfields/values.ts). */
  custom?: Record<string, unknown>;
  stageEnteredAt: string;
  /** Number of stage-history items (`#HIST#0001…`); the newest is the current stage. */
  historyCount: number;
  /** Every stage the deal has entered (funnel counters count first entries only). */
  stagesEntered: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export interface StageHistoryItem {
  n: number;
  stageId: string;
  stageName: string;
  enteredAt: string;
  enteredBy: string;
  leftAt?: string;
  leftBy?: string;
}

export const DEAL_FIELDS = [
  'name', 'customerId', 'contactId', 'ownerId', 'pipelineId', 'stageId', 'amount', 'probability', 'probabilityOverride',
  'expectedCloseDate', 'lineItems', 'status', 'wonReason', 'lostReason', 'closedAt', 'campaignId', 'custom',
] as const;

export const facts = (d: DealItem): DealFacts => ({
  id: d.id, ownerId: d.ownerId, pipelineId: d.pipelineId, stageId: d.stageId, status: d.status, amount: d.amount, probability: d.probability,
  expectedCloseDate: d.expectedCloseDate, closedAt: d.closedAt, createdAt: d.createdAt,
});

export function toDeal(d: DealItem) {
  const { stagesEntered: _s, historyCount: _h, ...rest } = d;
  return rest;
}

/** Time spent in a stage, in whole seconds (up to now for the current stage). */
export function toHistoryEntry(h: StageHistoryItem, now: Date) {
  const end = h.leftAt ? Date.parse(h.leftAt) : now.getTime();
  return { ...h, secondsInStage: Math.max(0, Math.round((end - Date.parse(h.enteredAt)) / 1000)), current: !h.leftAt };
}

/** `2026-Q4` → ['2026-10','2026-11','2026-12']; `2026-11` → ['2026-11']. */
export function monthsOf(period: string): string[] {
  const q = /^(\d{4})-Q([1-4])$/.exec(period);
  if (q) {
    const first = (Number(q[2]) - 1) * 3 + 1;
    return [0, 1, 2].map((i) => `${q[1]}-${String(first + i).padStart(2, '0')}`);
  }
  if (/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) return [period];
  throw new Error(`Invalid period ${period}`);
}

export const PERIOD_PATTERN = /^\d{4}-(Q[1-4]|0[1-9]|1[0-2])$/;
