/**
 * Bounded parallelism for scheduled jobs: every job works through a page of due items with a few
 * requests in flight (never one at a time, never a whole page at once), and stops starting new
 * items when its time budget runs out.
 */

export interface BoundedOptions {
  /** At most this many items in flight. */
  limit: number;
  /** Checked before each item is started; once true, nothing more is started. */
  stop?: () => boolean;
}

export interface BoundedResult<T, R> {
  /** Results of the items that were started, in input order (always a prefix of the input). */
  results: R[];
  /** Items never started because `stop()` said so, in input order. */
  notStarted: T[];
}

/**
 * Runs `fn` over `items` with at most `limit` in flight, starting them in input order. After the
 * first failure nothing more is started, and the error is rethrown only once every item already in
 * flight has settled — so no work keeps running in the background after the job returns (Lambda
 * would freeze it mid-request). Callers that must not stop on one item's failure catch inside `fn`.
 */
export async function mapBounded<T, R>(items: readonly T[], options: BoundedOptions, fn: (item: T, index: number) => Promise<R>): Promise<BoundedResult<T, R>> {
  const results: R[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      if (options.stop?.()) return;
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(options.limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return { results: results.slice(0, next), notStarted: items.slice(next) };
}

/** mapBounded without a stop condition: every item, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  return (await mapBounded(items, { limit }, fn)).results;
}
