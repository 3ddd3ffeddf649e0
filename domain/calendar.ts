import { HOUR_MS, nextDate, shanghaiDate, startOfShanghaiDate, weekday } from './time';

/**
 * The holidays and 调休 days of one year, as the State Council publishes them each autumn (calendars/YYYY.json, or
 * `calendar.value.years` in POLICY_FILE).
 */
export interface CalendarYear {
  year: number;
  source: string;
  /** Public holidays (YYYY-MM-DD): rest days even when they fall on a weekday. */
  holidays: string[];
  /** Weekend days that are working days (调休上班). */
  workedWeekendDays: string[];
}

/** A working-day calendar: weekends, then each year's holidays and worked weekend days. */
export interface WorkCalendar {
  /** Days of the week that are normally rest days (0 = Sunday, 6 = Saturday). */
  weekendDays: number[];
  /** The years whose holidays are known. A date in another year is counted with weekends only (provisional). */
  years?: CalendarYear[];
  /** Flat lists of policy snapshots taken before calendars were kept per year; they know no missing years. */
  holidays?: string[];
  workedWeekendDays?: string[];
  /**
   * Set by a workflow for cases started before periods were counted as the law counts them (patch `legal-periods`):
   * such a case keeps counting calendar days as 24-hour spans from the instant it started, as it always did.
   */
  exactDays?: boolean;
}

export type DurationUnit = 'seconds' | 'minutes' | 'hours' | 'calendarDays' | 'workingDays' | 'months';

export interface Duration {
  value: number;
  unit: DurationUnit;
}

const yearOf = (date: string) => Number(date.slice(0, 4));

/** The year entry of a date, `null` when the calendar has per-year data but not this year, `undefined` for a flat calendar. */
function yearEntry(date: string, cal: WorkCalendar): CalendarYear | null | undefined {
  if (!cal.years) return undefined;
  return cal.years.find((y) => y.year === yearOf(date)) ?? null;
}

/** True when the calendar knows the holidays of the year of `date` (a flat legacy calendar knows "all" years). */
export function knowsYear(date: string, cal: WorkCalendar): boolean {
  return yearEntry(date, cal) !== null;
}

export function isWorkingDay(date: string, cal: WorkCalendar): boolean {
  const entry = yearEntry(date, cal);
  const worked = entry === undefined ? cal.workedWeekendDays ?? [] : entry?.workedWeekendDays ?? [];
  const holidays = entry === undefined ? cal.holidays ?? [] : entry?.holidays ?? [];
  if (worked.includes(date)) return true;
  if (holidays.includes(date)) return false;
  return !cal.weekendDays.includes(weekday(date));
}

/** The end of a period and the years it was counted through without knowing their holidays. */
export interface PeriodEnd {
  at: number;
  /** Years whose holidays the calendar lacks and that the count depended on: the end is provisional. */
  provisionalYears: number[];
}

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The same-numbered day `months` months after `date`, or that month's last day (民法典 Art. 201). */
function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const day = Math.min(d, lastDayOfMonth(year, month));
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function addDays(date: string, days: number): string {
  return shanghaiDate(startOfShanghaiDate(date) + days * 24 * HOUR_MS);
}

/**
 * When a period that starts at `start` ends, counted as Chinese law counts periods (民法典 Art. 200-204;
 * 民事诉讼法 Art. 85; DOMAIN.md "How periods are counted"):
 * - the day the period starts is not counted;
 * - calendarDays: the last day is the n-th day after the start day; months: the same-numbered day of the n-th month
 *   after (or that month's last day); a last day that is a rest day (a public holiday, or a weekend day that is not a
 *   调休 working day) moves to the next working day;
 * - workingDays: only working days are counted;
 * - the period ends at 24:00 of its last day, i.e. at 00:00 Asia/Shanghai of the following day;
 * - seconds, minutes and hours (test policies only) are exact.
 * Every deadline of every process comes from here.
 */
export function periodEnd(start: number, duration: Duration, cal: WorkCalendar): PeriodEnd {
  const exact = (ms: number): PeriodEnd => ({ at: start + ms, provisionalYears: [] });
  switch (duration.unit) {
    case 'seconds':
      return exact(duration.value * 1000);
    case 'minutes':
      return exact(duration.value * 60_000);
    case 'hours':
      return exact(duration.value * HOUR_MS);
    default:
      break;
  }
  if (cal.exactDays && duration.unit === 'calendarDays') return exact(duration.value * 24 * HOUR_MS);
  const missing = new Set<number>();
  const working = (date: string) => {
    if (!knowsYear(date, cal)) missing.add(yearOf(date));
    return isWorkingDay(date, cal);
  };
  const startDay = shanghaiDate(start);
  let last: string;
  if (duration.unit === 'workingDays') {
    last = startDay;
    for (let remaining = duration.value; remaining > 0; ) {
      last = nextDate(last);
      if (working(last)) remaining -= 1;
    }
  } else {
    last = duration.unit === 'months' ? addMonths(startDay, duration.value) : addDays(startDay, duration.value);
    while (!working(last)) last = nextDate(last);
  }
  return { at: startOfShanghaiDate(nextDate(last)), provisionalYears: [...missing].sort() };
}

/** The instant a period ends (see `periodEnd`). */
export function addDuration(start: number, duration: Duration, cal: WorkCalendar): number {
  return periodEnd(start, duration, cal).at;
}

/**
 * A period that continues another (an extension) counts from the other's last day: the day that ended at `end`.
 * Exact units simply add.
 */
export function extendPeriod(end: number, duration: Duration, cal: WorkCalendar): number {
  const exactUnit = duration.unit === 'seconds' || duration.unit === 'minutes' || duration.unit === 'hours';
  if (exactUnit || (cal.exactDays && duration.unit === 'calendarDays')) return addDuration(end, duration, cal);
  return addDuration(end - 1, duration, cal);
}

/** A fraction of a period, for reminders (e.g. 75 % of the way from start to deadline). */
export function shareOf(start: number, deadline: number, share: number): number {
  return start + Math.floor((deadline - start) * share);
}

/**
 * The deadlines (ISO instants) that fall in a year whose holidays the calendar lacks: they were counted with weekends
 * only and are provisional until the year's calendar is added. Keys are returned sorted.
 */
export function provisionalDeadlines(deadlines: Record<string, string | null | undefined>, cal: WorkCalendar): string[] {
  if (!cal.years) return [];
  return Object.entries(deadlines)
    .filter(([, iso]) => typeof iso === 'string' && !Number.isNaN(Date.parse(iso)) && !knowsYear(shanghaiDate(Date.parse(iso) - 1), cal))
    .map(([key]) => key)
    .sort();
}

/** What health checks and the start banner say of the calendar: the years it knows, those missing, in words. */
export function calendarHealth(cal: WorkCalendar, now: number, leadDays: number): { years: number[]; missing: number[]; message: string | null } {
  const years = (cal.years ?? []).map((y) => y.year);
  const missing = missingCalendarYears(cal, now, leadDays);
  const message =
    missing.length === 0
      ? null
      : `no holiday calendar for ${missing.join(', ')}: deadlines in ${missing.length > 1 ? 'those years' : 'that year'} count weekends only ` +
        `and are marked provisional; add calendars/${missing[0]}.json (or CALENDAR_DIR, or calendar.value.years in POLICY_FILE) ` +
        `from the State Council's notice`;
  return { years, missing, message };
}

/**
 * The years a calendar should know by `now` and does not: the current year, and the next one from `leadDays` before
 * it starts (the State Council publishes each year's holidays in the autumn before).
 */
export function missingCalendarYears(cal: WorkCalendar, now: number, leadDays: number): number[] {
  if (!cal.years) return [];
  const today = shanghaiDate(now);
  const year = yearOf(today);
  const due = [year];
  if (startOfShanghaiDate(`${year + 1}-01-01`) - now <= leadDays * 24 * HOUR_MS) due.push(year + 1);
  return due.filter((y) => !cal.years!.some((c) => c.year === y));
}
