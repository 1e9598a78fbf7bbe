/**
 * THE schedule table. Each row becomes an EventBridge rule in CDK (lib/) targeting the `jobs`
 * function with `{ job: name }`, and a timer in the local scheduler (local/scheduler.ts).
 * Jobs take "now" from the scheduled event's `time`, so a run can be replayed as if at any time.
 */
export interface ScheduleDef {
  name: string;
  /** EventBridge syntax: `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)`, `rate(1 day)` or `cron(…)`. */
  expression: string;
  description: string;
}

export const SCHEDULES: readonly ScheduleDef[] = [
  {
    name: 'heartbeat',
    expression: 'rate(5 minutes)',
    description: 'Records the scheduler\'s last run so /v1/health can tell a stalled scheduler',
  },
];

export type JobName = (typeof SCHEDULES)[number]['name'];

/** Milliseconds between runs for `rate(…)` expressions (the local scheduler's clock). */
export function rateMillis(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]!.startsWith('minute') ? 60_000 : m[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
  return n * unit;
}
