import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RETRY_LIMITS, SCHEDULES, isCron, rateMillis, type ScheduleDef } from '../../functions/api/schedules';
import {
  type DeadLetter, deadLetterFile, eventTime, instantsOfWallTime, nextCronTime, nextRun, parseCron, startScheduler,
} from '../../local/scheduler';

const at = (iso: string) => new Date(iso);
const next = (expression: string, after: string, timeZone?: string) => eventTime(nextRun(expression, at(after), timeZone)!);
/** The next `count` fire times after `after`. */
const series = (expression: string, after: string, timeZone: string, count: number): string[] => {
  const out: string[] = [];
  let t = at(after);
  for (let i = 0; i < count; i++) { t = nextRun(expression, t, timeZone)!; out.push(eventTime(t)); }
  return out;
};
const row = (name: string, expression: string, retry: ScheduleDef['retry'] = { maxRetries: 0, maxEventAgeSeconds: 60 }): ScheduleDef =>
  ({ name, expression, description: '', retry });

describe('schedule expressions', () => {
  it('every expression in the schedule table is understood, in UTC and in a DST zone', () => {
    for (const schedule of SCHEDULES) {
      expect(nextRun(schedule.expression, new Date())).toBeInstanceOf(Date);
      expect(nextRun(schedule.expression, new Date(), 'America/New_York')).toBeInstanceOf(Date);
    }
  });

  it('rate adds the period, whatever the zone', () => {
    expect(next('rate(5 minutes)', '2025-01-01T10:00:00Z')).toBe('2025-01-01T10:05:00Z');
    expect(next('rate(1 hour)', '2025-01-01T10:00:00Z')).toBe('2025-01-01T11:00:00Z');
    expect(next('rate(1 day)', '2025-01-01T10:00:00Z')).toBe('2025-01-02T10:00:00Z');
    // A day is 24 hours, also across the New York spring-forward night (Scheduler: rate days are 24 h).
    expect(next('rate(1 day)', '2025-03-08T12:00:00Z', 'America/New_York')).toBe('2025-03-09T12:00:00Z');
  });

  it('cron: fixed time every day, in UTC by default', () => {
    expect(next('cron(0 8 * * ? *)', '2025-01-01T07:59:30Z')).toBe('2025-01-01T08:00:00Z');
    expect(next('cron(0 8 * * ? *)', '2025-01-01T08:00:00Z')).toBe('2025-01-02T08:00:00Z');
  });

  it('cron: steps, lists and ranges', () => {
    expect(next('cron(*/15 * * * ? *)', '2025-01-01T10:07:00Z')).toBe('2025-01-01T10:15:00Z');
    expect(next('cron(0,30 9-17 * * ? *)', '2025-01-01T17:31:00Z')).toBe('2025-01-02T09:00:00Z');
    expect(next('cron(5/20 * * * ? *)', '2025-01-01T10:26:00Z')).toBe('2025-01-01T10:45:00Z');
  });

  it('cron: day of week uses EventBridge numbering (1 = Sunday) and names', () => {
    // 2025-01-01 is a Wednesday.
    expect(next('cron(0 9 ? * 2 *)', '2025-01-01T00:00:00Z')).toBe('2025-01-06T09:00:00Z'); // Monday
    expect(next('cron(0 9 ? * MON-FRI *)', '2025-01-03T10:00:00Z')).toBe('2025-01-06T09:00:00Z');
    expect(next('cron(0 0 ? * SUN *)', '2025-01-01T00:00:00Z')).toBe('2025-01-05T00:00:00Z');
  });

  it('cron: day of month, month names and years', () => {
    expect(next('cron(0 0 1 * ? *)', '2025-01-15T00:00:00Z')).toBe('2025-02-01T00:00:00Z');
    expect(next('cron(0 12 29 FEB ? *)', '2025-03-01T00:00:00Z')).toBe('2028-02-29T12:00:00Z');
    expect(nextCronTime(parseCron('cron(0 0 1 1 ? 2020)'), at('2025-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('rejects what it does not support, clearly', () => {
    expect(() => parseCron('cron(0 8 * * * *)')).toThrow(/exactly one of day-of-month and day-of-week/);
    expect(() => parseCron('cron(0 8 L * ? *)')).toThrow(/L, W and # are not supported/);
    expect(() => parseCron('cron(0 8 * *)')).toThrow(/6 fields/);
    expect(() => parseCron('cron(60 8 * * ? *)')).toThrow(/"60"/);
    expect(() => nextRun('every day', new Date())).toThrow(/Unsupported/);
  });
});

describe('cron in the business time zone', () => {
  it('05:00 in New York is 10:00 UTC in winter and 09:00 UTC in summer', () => {
    expect(next('cron(0 5 * * ? *)', '2025-01-15T00:00:00Z', 'America/New_York')).toBe('2025-01-15T10:00:00Z');
    expect(next('cron(0 5 * * ? *)', '2025-07-15T00:00:00Z', 'America/New_York')).toBe('2025-07-15T09:00:00Z');
  });

  it('New York, spring forward (9 March 2025): 05:00 moves from 10:00 to 09:00 UTC on the change day', () => {
    expect(series('cron(0 5 * * ? *)', '2025-03-07T12:00:00Z', 'America/New_York', 3))
      .toEqual(['2025-03-08T10:00:00Z', '2025-03-09T09:00:00Z', '2025-03-10T09:00:00Z']);
  });

  it('New York, fall back (2 November 2025): 05:00 moves from 09:00 to 10:00 UTC on the change day', () => {
    expect(series('cron(0 5 * * ? *)', '2025-10-31T12:00:00Z', 'America/New_York', 3))
      .toEqual(['2025-11-01T09:00:00Z', '2025-11-02T10:00:00Z', '2025-11-03T10:00:00Z']);
  });

  it('New York: 02:30 does not exist on the spring-forward day and is skipped (as EventBridge Scheduler documents)', () => {
    expect(instantsOfWallTime({ year: 2025, month: 3, day: 9 }, 2, 30, 'America/New_York')).toEqual([]);
    expect(series('cron(30 2 * * ? *)', '2025-03-07T12:00:00Z', 'America/New_York', 2))
      .toEqual(['2025-03-08T07:30:00Z', '2025-03-10T06:30:00Z']);
    // Hourly: 00:30 and 01:30 EST, then 03:30 EDT; nothing in the missing hour.
    expect(series('cron(30 * * * ? *)', '2025-03-09T05:00:00Z', 'America/New_York', 3))
      .toEqual(['2025-03-09T05:30:00Z', '2025-03-09T06:30:00Z', '2025-03-09T07:30:00Z']);
  });

  it('New York: 01:30 happens twice on the fall-back day and runs once, at the first', () => {
    expect(instantsOfWallTime({ year: 2025, month: 11, day: 2 }, 1, 30, 'America/New_York').map(eventTime))
      .toEqual(['2025-11-02T05:30:00Z', '2025-11-02T06:30:00Z']);
    expect(series('cron(30 1 * * ? *)', '2025-11-01T12:00:00Z', 'America/New_York', 2))
      .toEqual(['2025-11-02T05:30:00Z', '2025-11-03T06:30:00Z']);
    // Hourly: 00:30 EDT, 01:30 EDT, then 02:30 EST; the repeated 01:30 (06:30 UTC) does not run.
    expect(series('cron(30 * * * ? *)', '2025-11-02T04:00:00Z', 'America/New_York', 3))
      .toEqual(['2025-11-02T04:30:00Z', '2025-11-02T05:30:00Z', '2025-11-02T07:30:00Z']);
  });

  it('Berlin, spring forward (30 March 2025): 05:00 moves from 04:00 to 03:00 UTC; 02:30 is skipped', () => {
    expect(series('cron(0 5 * * ? *)', '2025-03-28T12:00:00Z', 'Europe/Berlin', 3))
      .toEqual(['2025-03-29T04:00:00Z', '2025-03-30T03:00:00Z', '2025-03-31T03:00:00Z']);
    expect(instantsOfWallTime({ year: 2025, month: 3, day: 30 }, 2, 30, 'Europe/Berlin')).toEqual([]);
    expect(series('cron(30 2 * * ? *)', '2025-03-28T12:00:00Z', 'Europe/Berlin', 2))
      .toEqual(['2025-03-29T01:30:00Z', '2025-03-31T00:30:00Z']);
  });

  it('Berlin, fall back (26 October 2025): 05:00 moves from 03:00 to 04:00 UTC; the repeated 02:30 runs once, at the first', () => {
    expect(series('cron(0 5 * * ? *)', '2025-10-24T12:00:00Z', 'Europe/Berlin', 3))
      .toEqual(['2025-10-25T03:00:00Z', '2025-10-26T04:00:00Z', '2025-10-27T04:00:00Z']);
    expect(instantsOfWallTime({ year: 2025, month: 10, day: 26 }, 2, 30, 'Europe/Berlin').map(eventTime))
      .toEqual(['2025-10-26T00:30:00Z', '2025-10-26T01:30:00Z']);
    expect(series('cron(30 2 * * ? *)', '2025-10-24T12:00:00Z', 'Europe/Berlin', 3))
      .toEqual(['2025-10-25T00:30:00Z', '2025-10-26T00:30:00Z', '2025-10-27T01:30:00Z']);
  });

  it('day of week and day of month are the local calendar day, and half-hour offsets work', () => {
    // Friday 23:00 in New York (3 January 2025) is Saturday 04:00 UTC.
    expect(next('cron(0 23 ? * FRI *)', '2025-01-01T00:00:00Z', 'America/New_York')).toBe('2025-01-04T04:00:00Z');
    // 05:00 on the 1st in Tokyo is still the last day of the previous month in UTC.
    expect(next('cron(0 5 1 * ? *)', '2025-01-15T00:00:00Z', 'Asia/Tokyo')).toBe('2025-01-31T20:00:00Z');
    expect(next('cron(0 5 * * ? *)', '2025-01-15T00:00:00Z', 'Asia/Kolkata')).toBe('2025-01-15T23:30:00Z');
  });
});

describe('the schedule table\'s retry policies', () => {
  it('stay within EventBridge Scheduler\'s limits', () => {
    for (const { name, retry } of SCHEDULES) {
      expect(Number.isInteger(retry.maxRetries) && retry.maxRetries >= 0 && retry.maxRetries <= RETRY_LIMITS.maxRetries, name).toBe(true);
      expect(retry.maxEventAgeSeconds, name).toBeGreaterThanOrEqual(RETRY_LIMITS.minEventAgeSeconds);
      expect(retry.maxEventAgeSeconds, name).toBeLessThanOrEqual(RETRY_LIMITS.maxEventAgeSeconds);
    }
  });

  it('frequent jobs stop retrying by their next run; daily jobs retry for hours', () => {
    for (const { name, expression, retry } of SCHEDULES) {
      const period = rateMillis(expression);
      if (period !== undefined) expect(retry.maxEventAgeSeconds * 1000, name).toBeLessThanOrEqual(Math.max(period, 60_000));
      else {
        expect(isCron(expression), name).toBe(true);
        expect(retry.maxEventAgeSeconds, name).toBeGreaterThanOrEqual(3 * 3600);
      }
    }
  });
});

describe('scheduler', () => {
  afterEach(() => { vi.useRealTimers(); vi.unstubAllEnvs(); });

  it('invokes jobs with { job, time } on the clock', async () => {
    vi.useFakeTimers({ now: at('2025-01-01T09:59:00Z') });
    const calls: [string, string][] = [];
    const scheduler = startScheduler({
      schedules: [row('tick', 'rate(5 minutes)'), row('hourly', 'cron(0 * * * ? *)')],
      timeZone: 'UTC',
      invoke: async (job, time) => { calls.push([job, eventTime(time)]); },
    });
    expect(calls).toEqual([['tick', '2025-01-01T09:59:00Z']]); // rate jobs also run once at start
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toContainEqual(['hourly', '2025-01-01T10:00:00Z']);
    await vi.advanceTimersByTimeAsync(4 * 60_000);
    expect(calls).toContainEqual(['tick', '2025-01-01T10:04:00Z']);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(calls).toHaveLength(3);
  });

  it('runs a daily job at its hour in BUSINESS_TIME_ZONE across the spring-forward night', async () => {
    vi.stubEnv('BUSINESS_TIME_ZONE', 'America/New_York');
    vi.useFakeTimers({ now: at('2025-03-08T12:00:00Z') });
    const calls: string[] = [];
    const logs: Record<string, unknown>[] = [];
    const scheduler = startScheduler({
      schedules: [row('daily', 'cron(0 5 * * ? *)')],
      invoke: async (_job, time) => { calls.push(eventTime(time)); },
      log: (entry) => logs.push(entry),
    });
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'scheduled', job: 'daily', timeZone: 'America/New_York', next: '2025-03-09T09:00:00Z' }));
    await vi.advanceTimersByTimeAsync(2 * 86_400_000);
    expect(calls).toEqual(['2025-03-09T09:00:00Z', '2025-03-10T09:00:00Z']);
    await scheduler.stop();
  });

  it('rejects an unknown time zone at start', () => {
    expect(() => startScheduler({ schedules: [], timeZone: 'Mars/Olympus_Mons' })).toThrow(RangeError);
  });
});

describe('scheduler retries and dead letters', () => {
  afterEach(() => { vi.useRealTimers(); vi.unstubAllEnvs(); });

  const failing = () => {
    const calls: { time: string; at: number }[] = [];
    const invoke = async (_job: string, time: Date) => {
      calls.push({ time: eventTime(time), at: Date.now() });
      throw new Error('table unavailable');
    };
    return { calls, invoke };
  };

  it('retries a failed run with exponential backoff, then dead-letters it with the scheduled time', async () => {
    vi.useFakeTimers({ now: at('2025-01-01T04:59:30Z') });
    const { calls, invoke } = failing();
    const deadLetters: DeadLetter[] = [];
    const scheduler = startScheduler({
      schedules: [row('daily', 'cron(0 5 * * ? *)', { maxRetries: 3, maxEventAgeSeconds: 3600 })],
      timeZone: 'UTC',
      invoke,
      deadLetter: (entry) => { deadLetters.push(entry); },
    });
    await vi.advanceTimersByTimeAsync(30_000 + 60_000);
    const fired = at('2025-01-01T05:00:00Z').getTime();
    // First attempt, then retries 1 s, 2 s and 4 s apart — every one for the same scheduled run.
    expect(calls.map((c) => c.at - fired)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(new Set(calls.map((c) => c.time))).toEqual(new Set(['2025-01-01T05:00:00Z']));
    expect(deadLetters).toEqual([expect.objectContaining({ job: 'daily', time: '2025-01-01T05:00:00Z', attempts: 4, error: 'Error: table unavailable' })]);
    await scheduler.stop();
  });

  it('stops retrying when the next retry would come later than the maximum event age', async () => {
    vi.useFakeTimers({ now: at('2025-01-01T04:59:30Z') });
    const { calls, invoke } = failing();
    const deadLetters: DeadLetter[] = [];
    const scheduler = startScheduler({
      schedules: [row('daily', 'cron(0 5 * * ? *)', { maxRetries: 185, maxEventAgeSeconds: 60 })],
      timeZone: 'UTC',
      invoke,
      deadLetter: (entry) => { deadLetters.push(entry); },
    });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    // Retries at 1, 3, 7, 15 and 31 s; the next would be at 63 s > 60 s.
    expect(calls).toHaveLength(6);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.attempts).toBe(6);
    await scheduler.stop();
  });

  it('a run that succeeds on a retry is not dead-lettered', async () => {
    vi.useFakeTimers({ now: at('2025-01-01T04:59:30Z') });
    let attempts = 0;
    const deadLetters: DeadLetter[] = [];
    const logs: Record<string, unknown>[] = [];
    const scheduler = startScheduler({
      schedules: [row('daily', 'cron(0 5 * * ? *)', { maxRetries: 3, maxEventAgeSeconds: 3600 })],
      timeZone: 'UTC',
      invoke: async () => { attempts++; if (attempts === 1) throw new Error('throttled'); },
      deadLetter: (entry) => { deadLetters.push(entry); },
      log: (entry) => logs.push(entry),
    });
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(attempts).toBe(2);
    expect(deadLetters).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'job finished', job: 'daily', attempt: 2 }));
    await scheduler.stop();
  });

  it('stop drops pending retries', async () => {
    vi.useFakeTimers({ now: at('2025-01-01T04:59:30Z') });
    const { calls, invoke } = failing();
    const deadLetters: DeadLetter[] = [];
    const scheduler = startScheduler({
      schedules: [row('daily', 'cron(0 5 * * ? *)', { maxRetries: 3, maxEventAgeSeconds: 3600 })],
      timeZone: 'UTC',
      invoke,
      deadLetter: (entry) => { deadLetters.push(entry); },
    });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls).toHaveLength(1);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    expect(deadLetters).toEqual([]);
  });

  it('by default records the dead letter as a JSON line in <DATA_DIR>/scheduler/dead-letters.jsonl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-scheduler-'));
    try {
      vi.stubEnv('DATA_DIR', dir);
      const { invoke } = failing();
      const scheduler = startScheduler({ schedules: [row('tick', 'rate(5 minutes)')], timeZone: 'UTC', invoke });
      await scheduler.stop(); // awaits the failed run started at once, including its dead letter
      expect(deadLetterFile()).toBe(join(dir, 'scheduler', 'dead-letters.jsonl'));
      const lines = readFileSync(deadLetterFile(), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as DeadLetter);
      expect(lines).toEqual([expect.objectContaining({ job: 'tick', attempts: 1, error: 'Error: table unavailable' })]);
      expect(lines[0]!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
