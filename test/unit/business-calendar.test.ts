import { describe, expect, it } from 'vitest';
import fc from '../support/fast-check-seed';
import {
  addDays, addMonths, assertTimeZone, dayRange, daysBetween, formatDate, localDateOf, parseDate, weekRange, zonedTimeToInstant,
} from '../../functions/calendar/business-calendar';

describe('month arithmetic', () => {
  it('clamps to month ends: 31 Jan + 1 month is the last day of February', () => {
    expect(formatDate(addMonths(parseDate('2026-01-31'), 1))).toBe('2026-02-28');
    expect(formatDate(addMonths(parseDate('2028-01-31'), 1))).toBe('2028-02-29');
    expect(formatDate(addMonths(parseDate('2026-03-31'), -1))).toBe('2026-02-28');
  });
  it('puts the anniversary of 29 February on 28 February in common years and back on the 29th in leap years', () => {
    const bought = parseDate('2024-02-29');
    expect(formatDate(addMonths(bought, 12))).toBe('2025-02-28');
    expect(formatDate(addMonths(bought, 48))).toBe('2028-02-29');
  });
  it('always lands in the intended month (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1990, max: 2100 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: -240, max: 240 }), (y, m, d, n) => {
        const day = Math.min(d, new Date(Date.UTC(y, m, 0)).getUTCDate());
        const r = addMonths({ year: y, month: m, day }, n);
        const expectedIndex = y * 12 + m - 1 + n;
        expect(r.year * 12 + r.month - 1).toBe(expectedIndex);
        expect(r.day).toBeLessThanOrEqual(day);
      }),
    );
  });
});

describe('time zones', () => {
  it('knows which local day an instant falls on', () => {
    expect(formatDate(localDateOf(new Date('2026-11-23T23:30:00Z'), 'Europe/Berlin'))).toBe('2026-11-24');
    expect(formatDate(localDateOf(new Date('2026-11-23T03:30:00Z'), 'America/New_York'))).toBe('2026-11-22');
    expect(formatDate(localDateOf(new Date('2026-11-23T16:30:00Z'), 'Asia/Shanghai'))).toBe('2026-11-24');
  });
  it('turns local wall-clock times into instants across DST changes', () => {
    expect(zonedTimeToInstant(parseDate('2026-01-15'), 'Europe/Berlin', 9).toISOString()).toBe('2026-01-15T08:00:00.000Z');
    expect(zonedTimeToInstant(parseDate('2026-07-15'), 'Europe/Berlin', 9).toISOString()).toBe('2026-07-15T07:00:00.000Z');
    // 29 March 2026: Berlin skips 02:00–03:00; midnight still exists.
    expect(zonedTimeToInstant(parseDate('2026-03-29'), 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    // A repeated local time (clocks fall back) is its earlier instant, east and west of UTC.
    expect(zonedTimeToInstant(parseDate('2025-10-26'), 'Europe/Berlin', 2, 30).toISOString()).toBe('2025-10-26T00:30:00.000Z');
    expect(zonedTimeToInstant(parseDate('2025-11-02'), 'America/New_York', 1, 30).toISOString()).toBe('2025-11-02T05:30:00.000Z');
    // A skipped local time (clocks spring forward) moves forward by the gap.
    expect(zonedTimeToInstant(parseDate('2026-03-08'), 'America/New_York', 2, 30).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(zonedTimeToInstant(parseDate('2026-03-29'), 'Europe/Berlin', 2, 30).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // Zones with non-hour offsets and no DST.
    expect(zonedTimeToInstant(parseDate('2026-06-01'), 'Asia/Kolkata', 9).toISOString()).toBe('2026-06-01T03:30:00.000Z');
  });
  it('gives day and ISO-week ranges in the zone', () => {
    const [s, e] = dayRange(new Date('2026-11-23T12:00:00Z'), 'Asia/Shanghai');
    expect([s.toISOString(), e.toISOString()]).toEqual(['2026-11-22T16:00:00.000Z', '2026-11-23T16:00:00.000Z']);
    const [ws, we] = weekRange(new Date('2026-11-26T12:00:00Z'), 'UTC');
    expect([ws.toISOString(), we.toISOString()]).toEqual(['2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
  });
  it('rejects unknown zones and impossible dates', () => {
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(RangeError);
    expect(() => parseDate('2026-02-30')).toThrow(RangeError);
    expect(daysBetween(parseDate('2026-12-25'), addDays(parseDate('2026-12-25'), 10))).toBe(10);
  });
});
