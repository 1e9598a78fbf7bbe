/**
 * THE schedule table. Each row becomes an EventBridge Scheduler schedule in CDK
 * (lib/constructs/schedules.ts) invoking the `jobs` function with `{ job, time }`, and a timer in
 * the local scheduler (local/scheduler.ts). Both read the same expression and retry policy.
 *
 * `time` is the run's scheduled time (Scheduler's `<aws.scheduler.scheduled-time>`); jobs take
 * "now" from it, so a late retry or a replay behaves like the run it stands for.
 *
 * `cron(…)` rows run at their hour in the business time zone (`businessTimeZone` in CDK,
 * `BUSINESS_TIME_ZONE` locally; default UTC) and follow its daylight-saving changes, so
 * "05:00" is 05:00 where the users are, all year. `rate(…)` rows have no time zone.
 */
export interface ScheduleDef {
  name: string;
  /**
   * EventBridge Scheduler syntax: `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)`, `rate(1 day)`
   * or `cron(minutes hours day-of-month month day-of-week year)` (local time of the business zone).
   */
  expression: string;
  description: string;
  retry: RetryPolicy;
}

/**
 * What happens when an invocation fails: up to `maxRetries` retries with exponential backoff,
 * none later than `maxEventAgeSeconds` after the scheduled time; then the invocation is
 * dead-lettered (an SQS message in AWS, a line in `<DATA_DIR>/scheduler/dead-letters.jsonl`
 * locally) and an alarm can see it.
 */
export interface RetryPolicy {
  /** Retries after the first attempt; EventBridge Scheduler allows 0–185. */
  maxRetries: number;
  /** Give up this long after the scheduled time; EventBridge Scheduler allows 60–86,400 s. */
  maxEventAgeSeconds: number;
}

/** EventBridge Scheduler's limits for a retry policy (CreateSchedule RetryPolicy). */
export const RETRY_LIMITS = { maxRetries: 185, minEventAgeSeconds: 60, maxEventAgeSeconds: 86_400 } as const;

/**
 * A frequent job's next run does everything a failed run missed (the jobs catch up), so it
 * retries only briefly: retries that outlive the next run would only pile up beside it.
 */
const untilNextRun = (periodSeconds: number): RetryPolicy => ({
  maxRetries: 3,
  maxEventAgeSeconds: Math.max(RETRY_LIMITS.minEventAgeSeconds, periodSeconds - 60),
});

/**
 * A daily job has no next run for a day: keep retrying through the business morning (the age is
 * the bound; the attempt count is Scheduler's maximum so it never ends the retries first).
 */
const DAILY: RetryPolicy = { maxRetries: RETRY_LIMITS.maxRetries, maxEventAgeSeconds: 6 * 3600 };

export const SCHEDULES: readonly ScheduleDef[] = [
  {
    name: 'heartbeat',
    expression: 'rate(5 minutes)',
    description: 'Records the scheduler\'s last run so /v1/health can tell a stalled scheduler',
    retry: untilNextRun(5 * 60),
  },
  {
    name: 'reminders',
    expression: 'rate(1 minute)',
    description: 'Delivers due task reminders (email + in-app notification) exactly once; catches up after downtime',
    retry: untilNextRun(60),
  },
  {
    name: 'webhooks',
    expression: 'rate(1 minute)',
    description: 'Retries due webhook deliveries (exponential backoff with jitter for 24 h, then dead-lettered); disables webhooks failing for 24 h and notifies their admins',
    retry: untilNextRun(60),
  },
  {
    name: 'campaigns',
    expression: 'rate(1 minute)',
    description: 'Sends due marketing campaigns: materialises each audience into its recipient ledger, then sends each address at most once at the campaign\'s rate, checking consent and suppression at send time',
    retry: untilNextRun(60),
  },
  {
    name: 'sla',
    expression: 'rate(1 minute)',
    description: 'Escalates tickets whose SLA warning point or deadline passed (in-app + email to the assignee, then the queue manager), each level exactly once; catches up after downtime',
    retry: untilNextRun(60),
  },
  {
    name: 'ticket-emails',
    expression: 'rate(5 minutes)',
    description: 'Resends, exactly once, ticket replies whose email was never confirmed sent (SES failure or a function that ended before the send); one Query when there are none',
    retry: untilNextRun(5 * 60),
  },
  {
    name: 'continue-jobs',
    expression: 'rate(5 minutes)',
    description: 'Continues every daily job that stopped on its time budget with work left, for the scheduled time it stopped at (functions/jobs/runner.ts); one read when nothing is pending',
    retry: untilNextRun(5 * 60),
  },
  {
    name: 'service-anniversaries',
    expression: 'cron(0 5 * * ? *)',
    description: 'Daily 05:00 business time: service task + reminder for each asset whose purchase anniversary (per service rules) is within the lead days; catches up after downtime',
    retry: DAILY,
  },
  {
    name: 'warranty-ending',
    expression: 'cron(10 5 * * ? *)',
    description: 'Daily 05:10 business time: task + reminder for each asset whose warranty ends within the configured days',
    retry: DAILY,
  },
  {
    name: 'dormant-customers',
    expression: 'cron(20 5 * * ? *)',
    description: 'Daily 05:20 business time: follow-up task for the owner of each customer without activity for the days its tier allows (one open at a time)',
    retry: DAILY,
  },
  {
    name: 'contract-renewals',
    expression: 'cron(30 5 * * ? *)',
    description: 'Daily 05:30 business time: renewal task + reminder for each active contract within its renewal reminder days of its end (one per contract end); contracts past their end become expired; catches up after downtime',
    retry: DAILY,
  },
];

export type JobName = (typeof SCHEDULES)[number]['name'];

/** Whether a row runs on the business time zone's wall clock (cron) rather than a fixed period (rate). */
export const isCron = (expression: string): boolean => expression.startsWith('cron(');

/** Milliseconds between runs for `rate(…)` expressions (the local scheduler's clock). */
export function rateMillis(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]!.startsWith('minute') ? 60_000 : m[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
  return n * unit;
}
