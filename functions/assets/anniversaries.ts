/**
 * Service anniversaries of an asset, as pure calendar arithmetic on local dates (no time, no zone;
 * "today" is taken in the business time zone by the caller).
 *
 * The k-th anniversary is purchaseDate + k × interval months, always computed from the purchase
 * date (never from the previous anniversary), with month-end clamping (business-calendar addMonths):
 *  - bought 31 Jan, every month → 28/29 Feb, 31 Mar, 30 Apr, 31 May … (back to the 31st when it exists);
 *  - bought 29 Feb 2024, yearly → 28 Feb 2025, 2026, 2027, then 29 Feb 2028.
 * So an anniversary never skips a period and never drifts to an earlier day for good.
 */
import { addDays, addMonths, compareDates, type LocalDate } from '../calendar/business-calendar';

export function anniversary(purchase: LocalDate, intervalMonths: number, k: number): LocalDate {
  return addMonths(purchase, k * intervalMonths);
}

/** The smallest k ≥ 1 whose anniversary is strictly after `date`. */
export function firstIndexAfter(purchase: LocalDate, intervalMonths: number, date: LocalDate): number {
  const monthsApart = (date.year - purchase.year) * 12 + (date.month - purchase.month);
  // Start just below the estimate; anniversaries strictly increase with k (interval ≥ 1 month).
  let k = Math.max(1, Math.floor(monthsApart / intervalMonths) - 1);
  while (k > 1 && compareDates(anniversary(purchase, intervalMonths, k - 1), date) > 0) k--;
  while (compareDates(anniversary(purchase, intervalMonths, k), date) <= 0) k++;
  return k;
}

export interface ServicePlan {
  /** The anniversary to create a task for now (the latest one due), if any. */
  due?: LocalDate;
  /** The next anniversary after `due` (or after `handledThrough` when nothing is due). */
  next: LocalDate;
}

/**
 * What a run on `today` does for an asset whose anniversaries up to `handledThrough` are done:
 * an anniversary is due once `today` ≥ anniversary − leadDays. When a run was missed for longer
 * than one interval, only the latest due anniversary gets a task (one reminder, not a backlog).
 */
export function planService(purchase: LocalDate, intervalMonths: number, handledThrough: LocalDate, today: LocalDate, leadDays: number): ServicePlan {
  const horizon = addDays(today, leadDays);
  const firstOpen = firstIndexAfter(purchase, intervalMonths, handledThrough);
  const lastDue = firstIndexAfter(purchase, intervalMonths, horizon) - 1;
  if (lastDue >= firstOpen) {
    return { due: anniversary(purchase, intervalMonths, lastDue), next: anniversary(purchase, intervalMonths, lastDue + 1) };
  }
  return { next: anniversary(purchase, intervalMonths, firstOpen) };
}
