/**
 * Runs the schedule table (functions/api/schedules.ts) on the real clock, invoking the jobs
 * handler with `{ job, time }` as EventBridge Scheduler does in AWS (lib/constructs/schedules.ts).
 *
 * When: `rate(…)` uses rateMillis(); `cron(min hour day-of-month month day-of-week year)` supports
 * `*`, `?`, numbers, names (JAN–DEC, SUN–SAT), lists, ranges and `/n` steps, with day-of-week
 * 1 = Sunday, on the wall clock of the business time zone (`BUSINESS_TIME_ZONE`, default UTC —
 * the zone the jobs compute "today" in). Across daylight-saving changes it does what EventBridge
 * Scheduler documents: a time skipped when clocks spring forward does not run that day (02:30 in
 * America/New_York on the March change), and a time repeated when they fall back runs once, at
 * its first occurrence. `L`, `W` and `#` are rejected with a clear error rather than misread.
 *
 * Failures: an invocation that throws is retried as the row's retry policy says (up to
 * `maxRetries`, none later than `maxEventAgeSeconds` after the scheduled time), with exponential
 * backoff (1 s, 2 s, 4 s … at most 5 min; Scheduler documents exponential backoff but not its
 * steps). Then it is dead-lettered: a JSON line `{ job, time, attempts, error, deadLetteredAt }`
 * in `<DATA_DIR>/scheduler/dead-letters.jsonl` and a `job dead-lettered` log line — the local
 * counterpart of the Scheduler dead-letter queue. Locally the handler runs in-process, so this
 * one policy stands in for both AWS layers: Scheduler's delivery retries and the jobs function's
 * own asynchronous-invocation retries.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type LocalDate, addDays, assertTimeZone, localDateOf } from '../functions/calendar/business-calendar';
import { businessTimeZone } from '../functions/config';
import { SCHEDULES, isCron, rateMillis, type ScheduleDef } from '../functions/api/schedules';
import { lambdaContext, loadHandler } from './lambda';
import { dataDir } from './paths';

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
const MINUTE = 60_000;
const DAY = 86_400_000;
/** No zone is further than this from UTC (the extremes are −12 h and +14 h). */
const MAX_OFFSET = 18 * 3_600_000;

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

const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's wall-clock reading at an instant, as if it were a UTC time (milliseconds, to the minute). */
function wallClockAt(instant: number, timeZone: string): number {
  let f = wallClockFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    wallClockFormatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(instant))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!);
}

/**
 * The instants at which a wall-clock minute happens in the zone: none when a spring-forward gap
 * skips it, two when a fall-back repeats it, else one; earliest first. Assumes at most one offset
 * change within a day of it, which holds for every zone in the tz database.
 */
export function instantsOfWallTime(date: LocalDate, hour: number, minute: number, timeZone: string): Date[] {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const floorMinute = (t: number) => Math.floor(t / MINUTE) * MINUTE;
  const offsetAt = (t: number) => wallClockAt(t, timeZone) - floorMinute(t);
  const candidates = new Set([wall - offsetAt(wall - DAY), wall - offsetAt(wall + DAY)]);
  return [...candidates]
    .filter((t) => wallClockAt(t, timeZone) === wall)
    .sort((a, b) => a - b)
    .map((t) => new Date(t));
}

/**
 * The first time strictly after `after` (to the minute) that the schedule fires on the zone's
 * wall clock (default UTC), or undefined. DST as EventBridge Scheduler documents it: a skipped
 * wall time is not run, a repeated one runs once (at its first occurrence).
 */
export function nextCronTime(cron: CronSchedule, after: Date, timeZone = 'UTC'): Date | undefined {
  const start = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  const hours = [...cron.hours].sort((a, b) => a - b);
  const minutes = [...cron.minutes].sort((a, b) => a - b);
  const lastYear = Math.max(...cron.years);
  // From the day before the local date of `start`: a fall-back can move the wall clock back over midnight.
  const first = addDays(localDateOf(new Date(start), timeZone), -1);
  for (let i = 0; i < 366 * 10; i++) {
    const day = addDays(first, i);
    if (day.year > lastYear) return undefined;
    if (!cron.years.has(day.year) || !cron.months.has(day.month)) continue;
    if (cron.daysOfMonth && !cron.daysOfMonth.has(day.day)) continue;
    if (cron.daysOfWeek && !cron.daysOfWeek.has(new Date(Date.UTC(day.year, day.month - 1, day.day)).getUTCDay() + 1)) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        // Cheap rejection before any zone arithmetic: this wall time lies before `start` in every zone.
        if (Date.UTC(day.year, day.month - 1, day.day, hour, minute) + MAX_OFFSET < start) continue;
        const [firstOccurrence] = instantsOfWallTime(day, hour, minute, timeZone);
        // A repeated wall time whose first occurrence has passed is not run again.
        if (firstOccurrence && firstOccurrence.getTime() >= start) return firstOccurrence;
      }
    }
  }
  return undefined;
}

/** When a schedule expression next fires after `after` (rate: `after + rate`, in any zone). */
export function nextRun(expression: string, after: Date, timeZone = 'UTC'): Date | undefined {
  const millis = rateMillis(expression);
  if (millis !== undefined) return new Date(after.getTime() + millis);
  if (isCron(expression)) return nextCronTime(parseCron(expression), after, timeZone);
  throw new Error(`Unsupported schedule expression: ${expression}`);
}

/**
 * The `time` the jobs receive: EventBridge Scheduler's `<aws.scheduler.scheduled-time>` format,
 * UTC to the second with `Z` (2026-03-12T09:00:00Z).
 */
export function eventTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Invokes the jobs handler once, as the schedule's target would, with a Lambda-like context. */
export async function runJob(job: string, time: Date): Promise<unknown> {
  const handler = await loadHandler('jobs');
  return handler({ job, time: eventTime(time) }, lambdaContext('jobs'));
}

/** An invocation that failed after its retries (the body of a dead-letter line). */
export interface DeadLetter {
  job: string;
  /** The scheduled time, as passed to the job. */
  time: string;
  /** Attempts made, the first included. */
  attempts: number;
  /** Error name and message (no event data). */
  error: string;
  deadLetteredAt: string;
}

/** Default backoff before retry n (1-based): 1 s, 2 s, 4 s … at most 5 minutes. */
export const defaultRetryDelay = (retry: number): number => Math.min(1_000 * 2 ** (retry - 1), 5 * 60_000);

/** Where dead-lettered invocations go locally, one JSON object per line. */
export const deadLetterFile = (dir = dataDir()): string => join(dir, 'scheduler', 'dead-letters.jsonl');

async function appendDeadLetter(entry: DeadLetter): Promise<void> {
  const file = deadLetterFile();
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(entry)}\n`);
}

export interface SchedulerOptions {
  schedules?: readonly ScheduleDef[];
  /** Zone of `cron(…)` rows. Default: BUSINESS_TIME_ZONE, else UTC (as the jobs themselves). */
  timeZone?: string;
  /** Also run every rate job once right after start, so e.g. the heartbeat is fresh at once. Default true. */
  runRateJobsAtStart?: boolean;
  invoke?: (job: string, time: Date) => Promise<unknown>;
  log?: (entry: Record<string, unknown>) => void;
  /** Milliseconds before retry n (1-based). Default defaultRetryDelay. */
  retryDelay?: (retry: number) => number;
  /** Receives what failed after its retries. Default: a line in `<DATA_DIR>/scheduler/dead-letters.jsonl`. */
  deadLetter?: (entry: DeadLetter) => Promise<void> | void;
}

export interface Scheduler {
  /** Stops the clock; pending retries are dropped (the next run catches up) and running jobs awaited. */
  stop(): Promise<void>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error');

export function startScheduler(options: SchedulerOptions = {}): Scheduler {
  const schedules = options.schedules ?? SCHEDULES;
  const timeZone = assertTimeZone(options.timeZone ?? businessTimeZone());
  const invoke = options.invoke ?? runJob;
  const log = options.log ?? (() => {});
  const retryDelay = options.retryDelay ?? defaultRetryDelay;
  const deadLetter = options.deadLetter ?? appendDeadLetter;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  // Fail at start, not at the first tick, when an expression is not understood.
  for (const schedule of schedules) nextRun(schedule.expression, new Date(), timeZone);

  const later = (delay: number, action: () => void) => {
    const timer = setTimeout(() => { timers.delete(timer); action(); }, Math.min(Math.max(0, delay), MAX_TIMER_MS));
    timer.unref();
    timers.add(timer);
  };

  /** One attempt; on failure either the next attempt (within the row's retry policy) or the dead letter. */
  const attempt = (schedule: ScheduleDef, time: Date, attemptNo: number) => {
    if (stopped) return;
    const started = Date.now();
    const fields = { job: schedule.name, time: eventTime(time), ...(attemptNo > 1 ? { attempt: attemptNo } : {}) };
    const run = invoke(schedule.name, time).then(
      () => log({ msg: 'job finished', ...fields, ms: Date.now() - started }),
      async (error: unknown) => {
        const delay = retryDelay(attemptNo);
        const ageAtRetry = Date.now() + delay - time.getTime();
        const mayRetry = attemptNo <= schedule.retry.maxRetries && ageAtRetry <= schedule.retry.maxEventAgeSeconds * 1000;
        if (mayRetry && stopped) {
          // Shutting down: the next run after a restart catches up (the jobs do), so nothing is lost.
          log({ msg: 'job failed; not retried (scheduler stopping)', ...fields, error: errorText(error) });
        } else if (mayRetry) {
          log({ msg: 'job failed; retrying', ...fields, error: errorText(error), retryInMs: delay });
          later(delay, () => attempt(schedule, time, attemptNo + 1));
        } else {
          log({ msg: 'job dead-lettered', ...fields, attempts: attemptNo, error: errorText(error) });
          try {
            await deadLetter({ job: schedule.name, time: eventTime(time), attempts: attemptNo, error: errorText(error), deadLetteredAt: new Date().toISOString() });
          } catch (writeError) {
            log({ msg: 'dead letter not recorded', job: schedule.name, time: eventTime(time), error: errorText(writeError) });
          }
        }
      },
    );
    running.add(run);
    void run.finally(() => running.delete(run));
  };

  const arm = (schedule: ScheduleDef, at: Date) => {
    if (stopped) return;
    later(at.getTime() - Date.now(), () => {
      if (Date.now() < at.getTime()) { arm(schedule, at); return; } // a clamped long wait
      attempt(schedule, at, 1);
      const next = nextRun(schedule.expression, at, timeZone);
      if (next) arm(schedule, next);
    });
  };

  const now = new Date();
  for (const schedule of schedules) {
    const isRate = rateMillis(schedule.expression) !== undefined;
    if (isRate && options.runRateJobsAtStart !== false) attempt(schedule, now, 1);
    const next = nextRun(schedule.expression, now, timeZone);
    if (next) arm(schedule, next);
    log({
      msg: 'scheduled', job: schedule.name, expression: schedule.expression,
      ...(isRate ? {} : { timeZone }), next: next ? eventTime(next) : null,
    });
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
