/**
 * Time arithmetic in business hours: working days, one daily window (`start`–`end`, local wall
 * clock) and holidays of the configured calendar, in its time zone (functions/calendar/
 * business-calendar.ts does the zone work, so daylight-saving changes shorten or lengthen nothing:
 * 09:00–17:00 is eight hours on the day the clocks change too). Pure; table-tested in
 * test/unit/ticket-sla.test.ts.
 */
import { addDays, formatDate, isoWeekday, type LocalDate, localDateOf, zonedTimeToInstant } from '../calendar/business-calendar';

export interface BusinessCalendar {
  timeZone: string;
  /** ISO weekdays (Monday = 1 … Sunday = 7). */
  workingDays: number[];
  /** `HH:MM` local wall clock. */
  start: string;
  end: string;
  /** `YYYY-MM-DD` local dates without business hours. */
  holidays: string[];
}

/** Far enough for any SLA target (a year of minutes) over any calendar with one working day a week. */
const MAX_DAYS = 4000;

const hm = (value: string): [number, number] => {
  const [h, m] = value.split(':').map(Number);
  return [h!, m!];
};

/** The business window of a local day as [start, end) epoch milliseconds, or undefined on a day off. */
function windowOn(date: LocalDate, cal: BusinessCalendar, holidays: ReadonlySet<string>): [number, number] | undefined {
  if (!cal.workingDays.includes(isoWeekday(date)) || holidays.has(formatDate(date))) return undefined;
  const [sh, sm] = hm(cal.start);
  const [eh, em] = hm(cal.end);
  return [zonedTimeToInstant(date, cal.timeZone, sh, sm).getTime(), zonedTimeToInstant(date, cal.timeZone, eh, em).getTime()];
}

/**
 * The instant `ms` business milliseconds after `from`. Zero returns `from` itself; time outside
 * business hours does not count, so a deadline never falls outside them (except for 0). A
 * deadline that uses a day's window exactly ends at that day's closing time, not the next opening.
 */
export function addBusinessTime(from: Date, ms: number, cal: BusinessCalendar): Date {
  if (ms <= 0) return from;
  const holidays = new Set(cal.holidays);
  let remaining = ms;
  let date = localDateOf(from, cal.timeZone);
  const t0 = from.getTime();
  for (let i = 0; i < MAX_DAYS; i++, date = addDays(date, 1)) {
    const window = windowOn(date, cal, holidays);
    if (!window) continue;
    const begin = Math.max(window[0], t0);
    if (begin >= window[1]) continue;
    const available = window[1] - begin;
    if (remaining <= available) return new Date(begin + remaining);
    remaining -= available;
  }
  throw new RangeError('The business calendar has no business hours within the next 4000 days');
}

/** Business milliseconds in [from, to) (0 when to <= from). */
export function businessTimeBetween(from: Date, to: Date, cal: BusinessCalendar): number {
  const a = from.getTime();
  const b = to.getTime();
  if (b <= a) return 0;
  const holidays = new Set(cal.holidays);
  const last = formatDate(localDateOf(to, cal.timeZone));
  let total = 0;
  let date = localDateOf(from, cal.timeZone);
  for (let i = 0; i < MAX_DAYS; i++, date = addDays(date, 1)) {
    const window = windowOn(date, cal, holidays);
    if (window) total += Math.max(0, Math.min(window[1], b) - Math.max(window[0], a));
    if (formatDate(date) >= last) break;
  }
  return total;
}
