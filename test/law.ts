import { isWorkingDay, type WorkCalendar } from '../domain/calendar';
import { nextDate, shanghaiDate, startOfShanghaiDate, toShanghaiIso } from '../domain/time';

/**
 * Checks that `end` is where the law puts the end of a period of `days` calendar days started at `start`, by the
 * law's own description rather than by the function that computes it: at 24:00 (00:00 Asia/Shanghai of the next day)
 * of its last day; the last day a working day; and every day from the n-th day after the start day up to the last
 * day a rest day (the n-th day itself, when it is a working day, is the last).
 */
export function expectLegalEnd(start: number, end: string | number, days: number, cal: WorkCalendar): void {
  const endMs = typeof end === 'string' ? Date.parse(end) : end;
  const iso = toShanghaiIso(endMs);
  expect(iso.slice(10)).toBe('T00:00:00.000+08:00');
  const last = shanghaiDate(endMs - 1);
  let nth = shanghaiDate(start);
  for (let i = 0; i < days; i++) nth = nextDate(nth);
  expect(last >= nth).toBe(true);
  expect(isWorkingDay(last, cal)).toBe(true);
  for (let d = nth; d < last; d = nextDate(d)) expect(`${d} ${isWorkingDay(d, cal) ? 'working' : 'rest'}`).toBe(`${d} rest`);
  expect(startOfShanghaiDate(nextDate(last))).toBe(endMs);
}
