/**
 * The loop every daily job shares: read one page of due items from a date-sorted sparse index,
 * load what the page needs in a few batch reads, work the items with bounded parallelism, and go
 * on to the next page until nothing is due or the time budget is spent.
 *
 * Resuming needs no cursor of its own: finishing an item takes it out of the due range (its
 * schedule moves on, its flag is set, its clock restarts — each a conditional write that is the
 * item's own checkpoint), so the next run's first page starts exactly at the unfinished work. A
 * crash between an item's work (a task created under its guard item) and that write repeats the
 * item, and the guard item turns the repeat into "existing" — never a second task.
 */
import type { Budget } from './budget';
import { mapBounded } from './concurrency';

type Key = Record<string, unknown>;

export interface PageWork<T, C, O extends string> {
  budget: Budget;
  /** One page of due items after `startKey`, at most `limit`. */
  query: (startKey: Key | undefined, limit: number) => Promise<{ items: T[]; lastKey?: Key }>;
  /** What the page's items need (batch reads), once per page. */
  load: (items: T[]) => Promise<C>;
  /** One item's work; returns the outcome it is counted under. */
  handle: (item: T, context: C) => Promise<O>;
  /** An item's unexpected error: counted as `failed`, reported here (ids only), the run goes on. */
  onError: (item: T, error: unknown) => void;
  pageSize?: number;
  concurrency?: number;
}

export interface PageWorkResult<O extends string> {
  /** Items read from the index. */
  due: number;
  /** Items worked (any outcome but failed). */
  processed: number;
  failed: number;
  outcomes: Record<O, number>;
  /** Stopped on the budget with due items left. */
  more: boolean;
}

export const PAGE_SIZE = 100;
export const ITEM_CONCURRENCY = 10;

export async function workThroughPages<T, C, O extends string>(work: PageWork<T, C, O>): Promise<PageWorkResult<O>> {
  const result: PageWorkResult<O> = { due: 0, processed: 0, failed: 0, outcomes: {} as Record<O, number>, more: false };
  let started = 0;
  // Every run makes progress, even one that starts with its budget spent: the first item goes ahead.
  const outOfTime = () => started > 0 && work.budget.expired();
  let startKey: Key | undefined;
  do {
    if (outOfTime()) {
      result.more = true;
      break;
    }
    const page = await work.query(startKey, work.pageSize ?? PAGE_SIZE);
    startKey = page.lastKey;
    result.due += page.items.length;
    if (page.items.length === 0) continue;
    const context = await work.load(page.items);
    const { results, notStarted } = await mapBounded(page.items, { limit: work.concurrency ?? ITEM_CONCURRENCY, stop: outOfTime }, async (item) => {
      started += 1;
      try {
        return await work.handle(item, context);
      } catch (error) {
        work.onError(item, error);
        return undefined;
      }
    });
    for (const outcome of results) {
      if (outcome === undefined) result.failed += 1;
      else {
        result.processed += 1;
        result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
      }
    }
    if (notStarted.length > 0) {
      result.more = true;
      break;
    }
  } while (startKey);
  return result;
}
