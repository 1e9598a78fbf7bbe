/**
 * Runs the schedule table (functions/api/schedules.ts) on the real clock, invoking the jobs
 * handler with `{ job, time }` as the EventBridge rules do in AWS.
 *
 * `rate(…)` uses rateMillis(); `cron(min hour day-of-month month day-of-week year)` supports the
 * EventBridge subset `*`, `?`, numbers, names (JAN–DEC, SUN–SAT), lists, ranges and `/n` steps,
 * in UTC, with EventBridge's day-of-week numbering (1 = Sunday). `L`, `W` and `#` are rejected
 * with a clear error rather than silently misread.
 */
import { SCHEDULES, rateMillis, type ScheduleDef } from '../functions/api/schedules';
import { lambdaContext, loadHandler } from './lambda';

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  /** undefined = `?` (unrestricted by this field). */
  daysOfMonth: Set<number> | undefined;
  months: Set<number>;
  /** 1 = Sunday … 7 = Saturday; undefined = `?`. */
  daysOfWeek: Set<number> | undefined;
  years: Set<number>;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseCron(expression: string): CronSchedule {
  const m = /^cron\((.*)\)$/.exec(expression.trim());
  if (!m) throw new Error(`Not a cron expression: ${expression}`);
  const fields = m[1]!.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`${expression}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)`);
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new Error(`${expression}: exactly one of day-of-month and day-of-week must be "?" (EventBridge rule)`);
  }
  return {
    minutes: parseField(min, 0, 59, expression),
    hours: parseField(hour, 0, 23, expression),
    daysOfMonth: dom === '?' ? undefined : parseField(dom, 1, 31, expression),
    months: parseField(month, 1, 12, expression, MONTHS),
    daysOfWeek: dow === '?' ? undefined : parseField(dow, 1, 7, expression, DAYS),
    years: parseField(year, 1970, 2199, expression),
  };
}

function parseField(field: string, min: number, max: number, expression: string, names?: string[]): Set<number> {
  const values = new Set<number>();
  const value = (token: string): number => {
    const byName = names?.indexOf(token.toUpperCase()) ?? -1;
    const n = byName >= 0 ? byName + 1 : /^\d+$/.test(token) ? Number(token) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`${expression}: "${token}" is not supported here (expected ${min}–${max}${names ? ' or a name' : ''}; L, W and # are not supported locally)`);
    }
    return n;
  };
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`${expression}: bad step in "${part}"`);
    let from: number;
    let to: number;
    if (range === '*') { from = min; to = max; }
    else if (range.includes('-')) { const [a, b] = range.split('-') as [string, string]; from = value(a); to = value(b); }
    else { from = value(range); to = stepText === undefined ? from : max; }
    if (from > to) throw new Error(`${expression}: range "${range}" runs backwards`);
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

/** The first time strictly after `after` (to the minute, UTC) that the schedule fires, or undefined. */
export function nextCronTime(cron: CronSchedule, after: Date): Date | undefined {
  const start = new Date(after.getTime());
  start.setUTCSeconds(0, 0);
  start.setUTCMinutes(start.getUTCMinutes() + 1);
  const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  for (let i = 0; i < 366 * 10; i++, day.setUTCDate(day.getUTCDate() + 1)) {
    if (!cron.years.has(day.getUTCFullYear()) || !cron.months.has(day.getUTCMonth() + 1)) continue;
    if (cron.daysOfMonth && !cron.daysOfMonth.has(day.getUTCDate())) continue;
    if (cron.daysOfWeek && !cron.daysOfWeek.has(day.getUTCDay() + 1)) continue;
    for (const hour of [...cron.hours].sort((a, b) => a - b)) {
      for (const minute of [...cron.minutes].sort((a, b) => a - b)) {
        const candidate = new Date(day.getTime() + hour * 3_600_000 + minute * 60_000);
        if (candidate >= start) return candidate;
      }
    }
  }
  return undefined;
}

/** When a schedule expression next fires after `after` (rate: `after + rate`). */
export function nextRun(expression: string, after: Date): Date | undefined {
  const millis = rateMillis(expression);
  if (millis !== undefined) return new Date(after.getTime() + millis);
  if (expression.startsWith('cron(')) return nextCronTime(parseCron(expression), after);
  throw new Error(`Unsupported schedule expression: ${expression}`);
}

/** EventBridge's `time` format: second precision, `Z`. */
export function eventTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Invokes the jobs handler once, as the rule's target would, with a Lambda-like context. */
export async function runJob(job: string, time: Date): Promise<unknown> {
  const handler = await loadHandler('jobs');
  return handler({ job, time: eventTime(time) }, lambdaContext('jobs'));
}

export interface SchedulerOptions {
  schedules?: readonly ScheduleDef[];
  /** Also run every rate job once right after start, so e.g. the heartbeat is fresh at once. Default true. */
  runRateJobsAtStart?: boolean;
  invoke?: (job: string, time: Date) => Promise<unknown>;
  log?: (entry: Record<string, unknown>) => void;
}

export interface Scheduler {
  stop(): Promise<void>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export function startScheduler(options: SchedulerOptions = {}): Scheduler {
  const schedules = options.schedules ?? SCHEDULES;
  const invoke = options.invoke ?? runJob;
  const log = options.log ?? (() => {});
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  // Fail at start, not at the first tick, when an expression is not understood.
  for (const schedule of schedules) nextRun(schedule.expression, new Date());

  const fire = (schedule: ScheduleDef, time: Date) => {
    if (stopped) return;
    const started = Date.now();
    const run = invoke(schedule.name, time).then(
      () => log({ msg: 'job finished', job: schedule.name, time: eventTime(time), ms: Date.now() - started }),
      (error: unknown) => log({ msg: 'job failed', job: schedule.name, time: eventTime(time), error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' }),
    );
    running.add(run);
    void run.finally(() => running.delete(run));
  };

  const arm = (schedule: ScheduleDef, at: Date) => {
    if (stopped) return;
    const delay = Math.min(Math.max(0, at.getTime() - Date.now()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (Date.now() < at.getTime()) { arm(schedule, at); return; } // a clamped long wait
      fire(schedule, at);
      const next = nextRun(schedule.expression, at);
      if (next) arm(schedule, next);
    }, delay);
    timer.unref();
    timers.add(timer);
  };

  const now = new Date();
  for (const schedule of schedules) {
    const isRate = rateMillis(schedule.expression) !== undefined;
    if (isRate && options.runRateJobsAtStart !== false) fire(schedule, now);
    const next = nextRun(schedule.expression, now);
    if (next) arm(schedule, next);
    log({ msg: 'scheduled', job: schedule.name, expression: schedule.expression, next: next ? eventTime(next) : null });
  }

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]);
    },
  };
}
