/**
 * Loading many records into a test stack's table at once: the items come from the project's own
 * model and key code (a `*Stored` function, or the puts a feature's Transaction plans, see
 * `plannedPuts`) and go in with BatchWriteItem, 25 a request, several requests in flight — the way
 * the benchmarks load their tables (bench/fixtures.ts, whose writer this reuses).
 *
 * For tests whose point is what a job or a query does with many records, not how each record was
 * created: one API request per record costs a whole request chain (token, validation, a
 * transaction with its conditions and audit entry) and was most of such a test's time. Tests that
 * load this way still create one record of each kind through the API, so the real write path is
 * in the same test.
 */
import { plannedPuts, writeItems } from '../../bench/fixtures';
import type { TestStack } from './stack';

export { plannedPuts };

/** Writes `items` as they are (no conditions) into the stack's table; resolves with how many were written. */
export function bulkPut(crm: Pick<TestStack, 'ddb' | 'tableName'>, items: Iterable<Record<string, unknown>>): Promise<number> {
  return writeItems(crm.ddb, crm.tableName, items);
}
