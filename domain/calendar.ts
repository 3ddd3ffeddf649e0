import { DAY_MS, HOUR_MS, nextDate, shanghaiDate, startOfShanghaiDate, weekday } from './time';

/** A working-day calendar: weekends, public holidays, and weekend days worked instead (调休). */
export interface WorkCalendar {
  /** Days of the week that are normally rest days (0 = Sunday, 6 = Saturday). */
  weekendDays: number[];
  /** Public holidays (YYYY-MM-DD): rest days even when they fall on a weekday. */
  holidays: string[];
  /** Weekend days that are working days (调休上班). */
  workedWeekendDays: string[];
}

export type DurationUnit = 'seconds' | 'minutes' | 'hours' | 'calendarDays' | 'workingDays';

export interface Duration {
  value: number;
  unit: DurationUnit;
}

export function isWorkingDay(date: string, cal: WorkCalendar): boolean {
  if (cal.workedWeekendDays.includes(date)) return true;
  if (cal.holidays.includes(date)) return false;
  return !cal.weekendDays.includes(weekday(date));
}

/**
 * When a period that starts at `start` ends.
 * - seconds, minutes, hours, calendarDays: exactly that long (a day is 24 hours: China has no DST). Seconds and
 *   minutes exist for short test policies.
 * - workingDays: the day of the start is not counted (期间开始的日不计算在内); the period ends at the end of the
 *   n-th working day after it, i.e. at 00:00 Asia/Shanghai of the following day.
 */
export function addDuration(start: number, duration: Duration, cal: WorkCalendar): number {
  switch (duration.unit) {
    case 'seconds':
      return start + duration.value * 1000;
    case 'minutes':
      return start + duration.value * 60_000;
    case 'hours':
      return start + duration.value * HOUR_MS;
    case 'calendarDays':
      return start + duration.value * DAY_MS;
    case 'workingDays': {
      let date = shanghaiDate(start);
      let remaining = duration.value;
      while (remaining > 0) {
        date = nextDate(date);
        if (isWorkingDay(date, cal)) remaining -= 1;
      }
      return startOfShanghaiDate(nextDate(date));
    }
  }
}

/** A fraction of a period, for reminders (e.g. 75 % of the way from start to deadline). */
export function shareOf(start: number, deadline: number, share: number): number {
  return start + Math.floor((deadline - start) * share);
}
