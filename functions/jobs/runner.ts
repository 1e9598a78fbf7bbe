/**
 * Runs one job for one scheduled time: within its budget, recording whether daily work is left
 * (state.ts), reporting one set of metrics and one log line, and failing the invocation when an
 * item failed — after the other items were done — so the error alarm sees it and Lambda's
 * asynchronous retry (idempotent, it resumes) tries again.
 */
import { Budget, type RemainingTime } from './budget';
import { publishJobRun } from './metrics';
import { JOBS, type JobDef, type JobOutcome, PENDING_JOBS } from './registry';
import { clearPending, markPending, pendingRuns } from './state';
import { lazyLogger } from '../aws/logger';

const logger = lazyLogger('crm-jobs');

/** Some items of a run failed; the others were done and the run's checkpoints saved. */
export class JobItemsFailed extends Error {
  constructor(readonly job: string, readonly failed: number) {
    super(`${job}: ${failed} item(s) failed`);
    this.name = 'JobItemsFailed';
  }
}

export interface RunOptions {
  /** Invoked by the continue-jobs tick for a pending time (clears the marker when done). */
  continuation?: boolean;
}

export type JobResult = JobOutcome & { job: string; now: string; durationMs: number };

/** Runs `name` as of `now` until `budget` is spent. Throws for unknown jobs and failed runs. */
export async function runJob(name: string, now: Date, budget: Budget, options: RunOptions = {}): Promise<JobResult> {
  const def = ALL_JOBS[name];
  if (!def) throw new Error(`Unknown job: ${name}`);
  const time = now.toISOString();
  const started = Date.now();
  let outcome: JobOutcome;
  try {
    outcome = await def.run({
      now,
      budget,
      // Ids only: no names, emails or other personal data in logs.
      onItemError: (id, error) => logger().error('job item failed', { job: name, id, error: (error as Error)?.name ?? 'Error' }),
    });
    if (def.continuation === 'pending') {
      if (outcome.more) await markPending(name, time);
      else if (options.continuation) await clearPending(name, time);
    }
  } catch (error) {
    const durationMs = Date.now() - started;
    publishJobRun({ job: name, durationMs, succeeded: false, processed: 0, more: false, extra: [] });
    logger().error('job failed', { job: name, now: time, durationMs, error: (error as Error)?.name ?? 'Error' });
    throw error;
  }
  const durationMs = Date.now() - started;
  const succeeded = outcome.failed === 0;
  publishJobRun({ job: name, durationMs, succeeded, processed: outcome.processed, more: outcome.more, extra: def.metrics?.(outcome) ?? [] });
  const result: JobResult = { job: name, now: time, durationMs, ...outcome };
  logger()[succeeded ? 'info' : 'error']('job finished', { ...result, ...(options.continuation ? { continuation: true } : {}) });
  if (!succeeded) throw new JobItemsFailed(name, outcome.failed);
  return result;
}

/**
 * The `continue-jobs` tick: runs every daily job that stopped with work left, for the scheduled
 * time it stopped at, side by side within this invocation's budget. One BatchGetItem when nothing
 * is pending. A continued run that fails again leaves its marker for the next tick.
 */
async function continuePending(budget: Budget): Promise<JobOutcome> {
  const pending = await pendingRuns(PENDING_JOBS);
  const settled = await Promise.allSettled([...pending].map(([job, time]) => runJob(job, new Date(time), budget, { continuation: true })));
  const failed = settled.filter((s) => s.status === 'rejected').length;
  const done = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  return {
    processed: done.reduce((n, r) => n + r.processed, 0),
    failed,
    more: done.some((r) => r.more),
    continued: [...pending.keys()],
  };
}

/** Every job the function runs: the job table plus the continuation tick. */
export const ALL_JOBS: Record<string, JobDef> = {
  ...JOBS,
  'continue-jobs': { run: ({ budget }) => continuePending(budget), continuation: 'next-run' },
};

/** The budget of a run of `name` in an invocation with `context` (none: a direct call). */
export function budgetFor(name: string, context: RemainingTime | undefined): Budget {
  return Budget.fromContext(context, ALL_JOBS[name]?.budgetCapMs);
}
