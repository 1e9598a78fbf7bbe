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
  {
    name: 'reminders',
    expression: 'rate(1 minute)',
    description: 'Delivers due task reminders (email + in-app notification) exactly once; catches up after downtime',
  },
  {
    name: 'service-anniversaries',
    expression: 'cron(0 5 * * ? *)',
    description: 'Service task + reminder for each asset whose purchase anniversary (per service rules) is within the lead days; catches up after downtime',
  },
  {
    name: 'warranty-ending',
    expression: 'cron(10 5 * * ? *)',
    description: 'Task + reminder for each asset whose warranty ends within the configured days',
  },
  {
    name: 'dormant-customers',
    expression: 'cron(20 5 * * ? *)',
    description: 'Follow-up task for the owner of each customer without activity for the days its tier allows (one open at a time)',
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
