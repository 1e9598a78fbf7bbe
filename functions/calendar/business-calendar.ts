/**
 * Calendar arithmetic in the business time zone (IANA name, e.g. "Europe/Berlin"), with Intl only.
 * A "local date" is a calendar day in that zone; instants are JavaScript Dates (UTC).
 *
 * Month arithmetic clamps to the end of the month: 31 Jan + 1 month = 28/29 Feb, and an
 * anniversary of 29 Feb falls on 28 Feb in common years (the last day of February), so a yearly
 * reminder never skips a year and never lands in March.
 */
export interface LocalDate {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError for an unknown zone name. */
export function assertTimeZone(timeZone: string): string {
  formatter(timeZone);
  return timeZone;
}

function parts(instant: Date, timeZone: string) {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

/** The calendar day an instant falls on in the zone. */
export function localDateOf(instant: Date, timeZone: string): LocalDate {
  const p = parts(instant, timeZone);
  return { year: p.year, month: p.month, day: p.day };
}

/** Offset of the zone from UTC at an instant, in minutes (Berlin in winter: +60). */
function offsetMinutes(instant: Date, timeZone: string): number {
  const p = parts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

const DAY_MS = 86_400_000;

/**
 * The instant a local wall-clock time happens in the zone. For a time skipped by a DST change the
 * result is shifted forward by the gap; for a repeated time the earlier instant is returned.
 */
export function zonedTimeToInstant(date: LocalDate, timeZone: string, hour = 0, minute = 0): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  // The zone's offsets on either side of any transition near this wall time (no zone moves its
  // clocks twice within a day); a candidate is valid when the zone has that offset at that instant.
  const before = offsetMinutes(new Date(wall - DAY_MS), timeZone);
  const after = offsetMinutes(new Date(wall + DAY_MS), timeZone);
  const valid = [...new Set([before, after])]
    .map((offset) => ({ offset, instant: wall - offset * 60_000 }))
    .filter(({ offset, instant }) => offsetMinutes(new Date(instant), timeZone) === offset)
    .map(({ instant }) => instant);
  // A repeated time has two valid instants: the earlier one. A skipped time has none: read with
  // the offset before the change, it lands the length of the gap later.
  return new Date(valid.length > 0 ? Math.min(...valid) : wall - before * 60_000);
}

/** Start of the local day (00:00 in the zone) as an instant. */
export function startOfLocalDay(date: LocalDate, timeZone: string): Date {
  return zonedTimeToInstant(date, timeZone, 0, 0);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Adds calendar months, clamping the day to the target month's length. */
export function addMonths(date: LocalDate, months: number): LocalDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return { year, month, day: Math.min(date.day, daysInMonth(year, month)) };
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const t = Date.UTC(date.year, date.month - 1, date.day) + days * 86_400_000;
  const d = new Date(t);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

export function compareDates(a: LocalDate, b: LocalDate): number {
  return daysBetween(b, a);
}

/** The calendar month (`2026-11`) an instant falls in, in the zone. */
export function localMonthOf(instant: string | Date, timeZone: string): string {
  return formatDate(localDateOf(typeof instant === 'string' ? new Date(instant) : instant, timeZone)).slice(0, 7);
}

/** "2026-02-28" */
export function formatDate(date: LocalDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

export function parseDate(text: string): LocalDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) throw new RangeError(`Not a date: ${text}`);
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  if (date.month < 1 || date.month > 12 || date.day < 1 || date.day > daysInMonth(date.year, date.month)) throw new RangeError(`Not a date: ${text}`);
  return date;
}

/** ISO weekday, Monday = 1 … Sunday = 7. */
export function isoWeekday(date: LocalDate): number {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return d === 0 ? 7 : d;
}

/** [start, end) instants of the local day containing `instant`. */
export function dayRange(instant: Date, timeZone: string): [Date, Date] {
  const today = localDateOf(instant, timeZone);
  return [startOfLocalDay(today, timeZone), startOfLocalDay(addDays(today, 1), timeZone)];
}

/** [start, end) instants of the ISO week (Monday–Sunday) containing `instant`. */
export function weekRange(instant: Date, timeZone: string): [Date, Date] {
  const today = localDateOf(instant, timeZone);
  const monday = addDays(today, 1 - isoWeekday(today));
  return [startOfLocalDay(monday, timeZone), startOfLocalDay(addDays(monday, 7), timeZone)];
}
