import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  addDuration,
  extendPeriod,
  missingCalendarYears,
  periodEnd,
  provisionalDeadlines,
  type Duration,
  type WorkCalendar,
} from '../domain/calendar';
import { DEFAULT_POLICY } from '../domain/policy';
import { parsePolicy } from '../domain/policy-schema';
import { toShanghaiDeadlineDisplay, toShanghaiIso } from '../domain/time';
import { loadCalendarDir, loadPolicy } from '../platform/policy';

/** Periods as the law counts them (民法典 Art. 200-204; DOMAIN.md "How periods are counted"), on the 2026 calendar. */
const cal = loadPolicy().calendar.value;
const at = (iso: string) => Date.parse(iso);
const days = (value: number): Duration => ({ value, unit: 'calendarDays' });
const workingDays = (value: number): Duration => ({ value, unit: 'workingDays' });
const months = (value: number): Duration => ({ value, unit: 'months' });

describe('the end of a period: start day not counted, 24:00 of the last day, a rest day moves it to the next working day', () => {
  const table: Array<[string, string, Duration, string, number[]?]> = [
    // Weekends
    ['Friday afternoon + 30 days: the 30th day is a Sunday, so the petitioner may still ask on Monday until midnight',
      '2026-11-27T15:00:00+08:00', days(30), '2026-12-29T00:00:00.000+08:00'],
    ['Monday + 1 day ends when Tuesday ends', '2026-11-23T10:00:00+08:00', days(1), '2026-11-25T00:00:00.000+08:00'],
    ['Thursday + 2 days: Saturday is a rest day, so Monday', '2026-11-26T10:00:00+08:00', days(2), '2026-12-01T00:00:00.000+08:00'],
    ['Friday + 1 day: Saturday and Sunday are rest days', '2026-11-27T09:00:00+08:00', days(1), '2026-12-01T00:00:00.000+08:00'],
    // The 2026 Spring Festival: 15-23 February off, Saturdays 14 and 28 February worked
    ['+7 days into the Spring Festival moves past it', '2026-02-10T09:00:00+08:00', days(7), '2026-02-25T00:00:00.000+08:00'],
    ['+7 days ending on the worked Saturday 14 February stays there', '2026-02-07T09:00:00+08:00', days(7), '2026-02-15T00:00:00.000+08:00'],
    ['3 working days across the Spring Festival count the worked Saturday', '2026-02-12T16:00:00+08:00', workingDays(3), '2026-02-25T00:00:00.000+08:00'],
    // National Day 2026: 1-7 October off, Saturday 10 October worked
    ['30 September + 1 day: 1 October is a holiday, the first working day is 8 October', '2026-09-30T15:00:00+08:00', days(1), '2026-10-09T00:00:00.000+08:00'],
    ['+7 days ending on the worked Saturday 10 October', '2026-10-03T11:00:00+08:00', days(7), '2026-10-11T00:00:00.000+08:00'],
    ['+7 days ending on Sunday 11 October (a rest day) moves to Monday', '2026-10-04T11:00:00+08:00', days(7), '2026-10-13T00:00:00.000+08:00'],
    ['2 working days from 8 October count the worked Saturday', '2026-10-08T09:00:00+08:00', workingDays(2), '2026-10-11T00:00:00.000+08:00'],
    // A period starting at 23:59 and a minute later
    ['started at 23:59 on Monday: Monday is not counted', '2026-11-23T23:59:00+08:00', days(1), '2026-11-25T00:00:00.000+08:00'],
    ['started at 00:00 on Tuesday: Tuesday is not counted', '2026-11-24T00:00:00+08:00', days(1), '2026-11-26T00:00:00.000+08:00'],
    // Months of different lengths (民法典 Art. 201: the same-numbered day, or the month's last day)
    ['31 January + 1 month: 28 February (a worked Saturday)', '2026-01-31T10:00:00+08:00', months(1), '2026-03-01T00:00:00.000+08:00'],
    ['31 March + 1 month: 30 April', '2026-03-31T10:00:00+08:00', months(1), '2026-05-01T00:00:00.000+08:00'],
    ['31 May + 1 month: 30 June', '2026-05-31T10:00:00+08:00', months(1), '2026-07-01T00:00:00.000+08:00'],
    ['15 July + 2 months: 15 September', '2026-07-15T10:00:00+08:00', months(2), '2026-09-16T00:00:00.000+08:00'],
    ['31 August + 1 month: 30 September, the eve of National Day', '2026-08-31T10:00:00+08:00', months(1), '2026-10-01T00:00:00.000+08:00'],
    // Years without a calendar: weekends only, and said so
    ['31 December + 2 months: 28 February 2027 is a Sunday; 2027 has no calendar yet', '2026-12-31T10:00:00+08:00', months(2), '2027-03-02T00:00:00.000+08:00', [2027]],
    ['a leap year: 29 November 2027 + 3 months ends when 29 February 2028 ends', '2027-11-29T10:00:00+08:00', months(3), '2028-03-01T00:00:00.000+08:00', [2028]],
    ['25 December + 7 days: 1 January 2027 counted as a working Friday, provisionally', '2026-12-25T10:00:00+08:00', days(7), '2027-01-02T00:00:00.000+08:00', [2027]],
  ];
  test.each(table)('%s', (_name, start, duration, end, provisional = []) => {
    const r = periodEnd(at(start), duration, cal);
    expect(toShanghaiIso(r.at)).toBe(end);
    expect(r.provisionalYears).toEqual(provisional);
  });

  test('seconds, minutes and hours are exact (test policies only)', () => {
    const start = at('2026-11-27T23:59:30+08:00');
    expect(addDuration(start, { value: 10, unit: 'seconds' }, cal) - start).toBe(10_000);
    expect(addDuration(start, { value: 2, unit: 'minutes' }, cal) - start).toBe(120_000);
    expect(addDuration(start, { value: 3, unit: 'hours' }, cal) - start).toBe(3 * 3_600_000);
  });

  test('a case started before the rule keeps 24-hour calendar days (exactDays), and still counts working days by law', () => {
    const legacy: WorkCalendar = { ...cal, exactDays: true };
    expect(toShanghaiIso(addDuration(at('2026-11-27T10:00:00+08:00'), days(7), legacy))).toBe('2026-12-04T10:00:00.000+08:00');
    expect(toShanghaiIso(addDuration(at('2026-09-30T15:00:00+08:00'), workingDays(1), legacy))).toBe('2026-10-09T00:00:00.000+08:00');
  });

  test('an extension counts from the last day of the period it extends', () => {
    // handleBy ended when Sunday 1 March ended; 30 more days end when Tuesday 31 March ends.
    expect(toShanghaiIso(extendPeriod(at('2026-03-02T00:00:00+08:00'), days(30), cal))).toBe('2026-04-01T00:00:00.000+08:00');
    expect(extendPeriod(1_000, { value: 5, unit: 'seconds' }, cal)).toBe(6_000);
  });
});

describe('calendars are data, one file per year', () => {
  test('the shipped 2026 calendar is loaded with the policy, with its source', () => {
    const y2026 = cal.years!.find((y) => y.year === 2026)!;
    expect(y2026.source).toMatch(/国务院办公厅关于2026年部分节假日安排的通知/);
    expect(y2026.holidays).toHaveLength(33);
    expect(y2026.workedWeekendDays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    expect(DEFAULT_POLICY.calendar.value.years).toEqual([]); // the numbers live in the policy, the years in calendars/
  });

  test('a county adds 2027 by adding a file (CALENDAR_DIR), without a code change; a wrong file stops the start', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-cal-'));
    fs.writeFileSync(path.join(dir, '2027.json'), JSON.stringify({ year: 2027, source: '测试：2027年安排', holidays: ['2027-01-01'], workedWeekendDays: [] }));
    const policy = loadPolicy(undefined, dir);
    expect(policy.calendar.value.years!.map((y) => y.year)).toEqual([2026, 2027]);
    const r = periodEnd(at('2026-12-25T10:00:00+08:00'), days(7), policy.calendar.value);
    expect(toShanghaiIso(r.at)).toBe('2027-01-05T00:00:00.000+08:00'); // 1 Jan a holiday, 2-3 the weekend, 4 Jan Monday
    expect(r.provisionalYears).toEqual([]);

    fs.writeFileSync(path.join(dir, '2028.json'), JSON.stringify({ year: 2028, source: 'x', holidays: ['2027-02-30'], workedWeekendDays: [] }));
    expect(() => loadPolicy(undefined, dir)).toThrow(/2028\.json is not valid: .*2027-02-30 is not in 2028.*2027-02-30 is not a date/);
    fs.rmSync(path.join(dir, '2028.json'));
    fs.writeFileSync(path.join(dir, '2029.json'), JSON.stringify({ year: 2030, source: 'x', holidays: [], workedWeekendDays: [] }));
    expect(() => loadCalendarDir(dir)).toThrow(/must be named 2030\.json/);
    fs.rmSync(dir, { recursive: true });
  });

  test('a POLICY_FILE in the flat form of earlier versions still loads, one year per date', () => {
    const old = JSON.parse(JSON.stringify(loadPolicy()));
    old.calendar.value = { weekendDays: [0, 6], holidays: ['2027-01-01', '2026-10-01'], workedWeekendDays: ['2027-02-06'] };
    const parsed = parsePolicy(old);
    expect(parsed.calendar.value.years!.map((y) => [y.year, y.holidays, y.workedWeekendDays])).toEqual([
      [2026, ['2026-10-01'], []],
      [2027, ['2027-01-01'], ['2027-02-06']],
    ]);
  });

  test('the years missing from the calendar are reported from 60 days before they start', () => {
    const lead = loadPolicy().calendarLead!.value;
    expect(lead).toBe(60);
    expect(missingCalendarYears(cal, at('2026-10-01T12:00:00+08:00'), lead)).toEqual([]);
    expect(missingCalendarYears(cal, at('2026-11-01T23:59:59+08:00'), lead)).toEqual([]);
    expect(missingCalendarYears(cal, at('2026-11-02T00:00:00+08:00'), lead)).toEqual([2027]); // 60 days before 1 January
    expect(missingCalendarYears(cal, at('2026-11-27T12:00:00+08:00'), lead)).toEqual([2027]);
    expect(missingCalendarYears(cal, at('2027-03-01T12:00:00+08:00'), lead)).toEqual([2027]);
  });

  test('deadlines in a year without a calendar are named provisional', () => {
    expect(provisionalDeadlines({ a: '2026-12-31T10:00:00.000+08:00', b: '2027-01-01T00:00:00.000+08:00', c: '2027-01-02T00:00:00.000+08:00', d: undefined }, cal)).toEqual(['c']);
    expect(provisionalDeadlines({ c: '2027-01-02T00:00:00.000+08:00' }, { weekendDays: [0, 6], holidays: [] })).toEqual([]); // flat: no years to miss
  });
});

describe('a deadline is shown as people read it: the last day, 24:00', () => {
  test.each([
    ['the end of Monday 30 November', '2026-12-01T00:00:00+08:00', '2026-11-30 24:00'],
    ['the end of the year', '2027-01-01T00:00:00+08:00', '2026-12-31 24:00'],
    ['the end of 28 February', '2027-03-01T00:00:00+08:00', '2027-02-28 24:00'],
    ['a deadline at another time of day stays as it is', '2026-12-01T09:30:00+08:00', '2026-12-01 09:30'],
    ['one minute after midnight is the new day', '2026-12-01T00:01:00+08:00', '2026-12-01 00:01'],
  ])('%s', (_what, instant, shown) => {
    expect(toShanghaiDeadlineDisplay(Date.parse(instant))).toBe(shown);
  });
});
