/**
 * Commission arithmetic (pure). Won amount W in the plan currency, quota Q, rate r, accelerator a:
 *   base part        = min(W, Q)       (all of W without a quota or without an accelerator)
 *   accelerated part = max(0, W − Q)   (only with both a quota and an accelerator)
 *   commission       = round(base × r + accelerated × a)   — rates in basis points
 *   attainment       = round(W / Q) in basis points
 * `round` is round half to even to the minor unit, applied once on the exact value (the same rule
 * as quotes: functions/quotes/pricing.ts).
 */
import { BP, divRoundHalfEven } from '../quotes/pricing';

export interface PlanTerms {
  currency: string;
  rateBp: number;
  acceleratorRateBp?: number;
}

export interface WonDeal {
  id: string;
  name: string;
  amount: { amount: number; currency: string };
  closedAt: string;
  customerId: string;
}

export function computeCommission(plan: PlanTerms, deals: readonly WonDeal[], quota: { amount: number; currency: string } | undefined) {
  const counted = deals.map((d) => ({ ...d, counted: d.amount.currency === plan.currency }));
  const won = counted.reduce((sum, d) => (d.counted ? sum + BigInt(d.amount.amount) : sum), 0n);
  const quotaAmount = quota && quota.currency === plan.currency ? BigInt(quota.amount) : undefined;
  const accelerate = quotaAmount !== undefined && plan.acceleratorRateBp !== undefined;
  const base = accelerate ? (won < quotaAmount! ? won : quotaAmount!) : won;
  const above = accelerate ? won - base : 0n;
  const commission = divRoundHalfEven(base * BigInt(plan.rateBp) + above * BigInt(plan.acceleratorRateBp ?? plan.rateBp), BP);
  const attainmentBp = quotaAmount !== undefined && quotaAmount > 0n ? Number(divRoundHalfEven(won * BP, quotaAmount)) : undefined;
  const money = (v: bigint) => ({ amount: Number(v), currency: plan.currency });
  return {
    deals: counted,
    won: money(won),
    quota: quotaAmount !== undefined ? money(quotaAmount) : undefined,
    attainmentBp,
    baseAmount: money(base),
    acceleratedAmount: money(above),
    commission: money(commission),
  };
}

/** `2026-Q4` → 2026-10-01 … 2027-01-01 (end exclusive); `2026-11` → 2026-11-01 … 2026-12-01. */
export function periodDates(period: string): { from: { year: number; month: number; day: number }; to: { year: number; month: number; day: number } } {
  const year = Number(period.slice(0, 4));
  const q = /^\d{4}-Q([1-4])$/.exec(period);
  const startMonth = q ? (Number(q[1]) - 1) * 3 + 1 : Number(period.slice(5, 7));
  const months = q ? 3 : 1;
  const endIndex = startMonth - 1 + months;
  return {
    from: { year, month: startMonth, day: 1 },
    to: { year: year + Math.floor(endIndex / 12), month: (endIndex % 12) + 1, day: 1 },
  };
}
