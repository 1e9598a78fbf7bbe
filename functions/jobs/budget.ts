/**
 * A job's time budget: until when it may start new work. Derived from the Lambda context's
 * remaining time minus a safety margin, so the work already started, the last checkpoint, the
 * metrics flush and the log line all fit before the function times out.
 */

/**
 * Kept free at the end of an invocation. Covers what runs after the last check: the items in
 * flight — at worst one SES send and one DynamoDB transaction each, ≈ 10 s + 8 s with the
 * clients' timeouts and retries (functions/aws/client-options.ts) — then one checkpoint write and
 * the metrics flush.
 */
export const SAFETY_MARGIN_MS = 30_000;

/** Without a Lambda context (a direct call from a test or a script): what a 300 s function would get. */
export const DEFAULT_BUDGET_MS = 240_000;

export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

export class Budget {
  private constructor(readonly deadline: number) {}

  /** Until `ms` from now. */
  static ofMs(ms: number): Budget {
    return new Budget(Date.now() + Math.max(0, ms));
  }

  /**
   * The invocation's remaining time minus SAFETY_MARGIN_MS, and at most `capMs` (a job that runs
   * every minute keeps its runs shorter than a minute). Without a context: DEFAULT_BUDGET_MS.
   */
  static fromContext(context: RemainingTime | undefined, capMs?: number): Budget {
    const available = context ? context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS : DEFAULT_BUDGET_MS;
    return Budget.ofMs(capMs === undefined ? available : Math.min(available, capMs));
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  expired(): boolean {
    return Date.now() >= this.deadline;
  }
}
