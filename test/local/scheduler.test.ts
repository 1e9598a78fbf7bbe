import { afterEach, describe, expect, it, vi } from 'vitest';
import { SCHEDULES } from '../../functions/api/schedules';
import { eventTime, nextCronTime, nextRun, parseCron, startScheduler } from '../../local/scheduler';

const at = (iso: string) => new Date(iso);
const next = (expression: string, after: string) => eventTime(nextRun(expression, at(after))!);

describe('schedule expressions', () => {
  it('every expression in the schedule table is understood', () => {
    for (const schedule of SCHEDULES) expect(nextRun(schedule.expression, new Date())).toBeInstanceOf(Date);
  });

  it('rate adds the period', () => {
    expect(next('rate(5 minutes)', '2025-01-01T10:00:00Z')).toBe('2025-01-01T10:05:00Z');
    expect(next('rate(1 hour)', '2025-01-01T10:00:00Z')).toBe('2025-01-01T11:00:00Z');
    expect(next('rate(1 day)', '2025-01-01T10:00:00Z')).toBe('2025-01-02T10:00:00Z');
  });

  it('cron: fixed time every day, in UTC', () => {
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

describe('scheduler', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('invokes jobs with { job, time } on the clock', async () => {
    vi.useFakeTimers({ now: at('2025-01-01T09:59:00Z') });
    const calls: [string, string][] = [];
    const scheduler = startScheduler({
      schedules: [{ name: 'tick', expression: 'rate(5 minutes)', description: '' }, { name: 'hourly', expression: 'cron(0 * * * ? *)', description: '' }],
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
});
