import { areaAt, areaContains, areaKind, isValidArea } from '../domain/areas';
import { addDuration, isWorkingDay, shareOf } from '../domain/calendar';
import { DEFAULT_POLICY, levelLimit } from '../domain/policy';
import { parsePolicy } from '../domain/policy-schema';
import { startOfShanghaiDate, toShanghaiIso } from '../domain/time';
import { loadConfig } from '../platform/config';
import { loadPolicy } from '../platform/policy';

const cal = loadPolicy().calendar.value; // the shipped calendars (calendars/2026.json)
const at = (iso: string) => Date.parse(iso);

describe('time and calendar (Asia/Shanghai)', () => {
  test('instants are shown at +08:00', () => {
    expect(toShanghaiIso(Date.UTC(2026, 10, 27, 3, 27, 0))).toBe('2026-11-27T11:27:00.000+08:00');
    expect(toShanghaiIso(Date.UTC(2026, 10, 27, 16, 0, 0))).toBe('2026-11-28T00:00:00.000+08:00');
  });

  test('weekends, holidays and worked weekend days (调休)', () => {
    expect(isWorkingDay('2026-11-27', cal)).toBe(true); // Friday
    expect(isWorkingDay('2026-11-28', cal)).toBe(false); // Saturday
    expect(isWorkingDay('2026-10-01', cal)).toBe(false); // National Day (Thursday)
    expect(isWorkingDay('2026-10-07', cal)).toBe(false);
    expect(isWorkingDay('2026-10-08', cal)).toBe(true);
    expect(isWorkingDay('2026-10-10', cal)).toBe(true); // Saturday worked instead
    expect(isWorkingDay('2026-09-20', cal)).toBe(true); // Sunday worked instead
  });

  test('calendar days: the start day is not counted and the period ends at 24:00 of its last day (test/periods.test.ts has the table)', () => {
    const start = at('2026-11-27T10:00:00+08:00'); // a Friday
    expect(toShanghaiIso(addDuration(start, { value: 7, unit: 'calendarDays' }, cal))).toBe('2026-12-05T00:00:00.000+08:00');
    // The 1st day is a Saturday: the period runs to the end of Monday.
    expect(toShanghaiIso(addDuration(start, { value: 1, unit: 'calendarDays' }, cal))).toBe('2026-12-01T00:00:00.000+08:00');
  });

  test('working days skip the start day, weekends and National Day, and count a worked Saturday', () => {
    // Accepted on 30 September: day 1 is 8 October (1-7 October are holidays), so the period ends at midnight after it.
    expect(toShanghaiIso(addDuration(at('2026-09-30T15:00:00+08:00'), { value: 1, unit: 'workingDays' }, cal))).toBe(
      '2026-10-09T00:00:00.000+08:00',
    );
    // From Thursday 8 October: Friday 9th, Saturday 10th (worked) → ends after the 10th.
    expect(toShanghaiIso(addDuration(at('2026-10-08T09:00:00+08:00'), { value: 2, unit: 'workingDays' }, cal))).toBe(
      '2026-10-11T00:00:00.000+08:00',
    );
    // Medical disputes: 30 working days from acceptance on 2026-09-18 (Fri): the 20 Sep Sunday is worked, 1-7 Oct not.
    const medical = levelLimit(DEFAULT_POLICY, 'medical', 'county');
    expect(medical).toEqual({ value: 30, unit: 'workingDays' });
    const end = addDuration(at('2026-09-18T10:00:00+08:00'), medical, cal);
    // Sep 20 (worked Sun), 21-24 → 5 (25th is Mid-Autumn); Sep 28-30 → 8; Oct 8, 9, 10 (worked Sat) → 11;
    // Oct 12-16 → 16; 19-23 → 21; 26-30 → 26; Nov 2-5 → 30: the period ends when 5 November ends.
    expect(toShanghaiIso(end)).toBe('2026-11-06T00:00:00.000+08:00');
    expect(startOfShanghaiDate('2026-11-06')).toBe(end);
  });

  test('a reminder share of a period', () => {
    expect(shareOf(0, 100, 0.75)).toBe(75);
  });
});

describe('areas', () => {
  test('paths of one to three parts', () => {
    expect(isValidArea('肃宁县/梁家村镇/东村')).toBe(true);
    expect(isValidArea('肃宁县')).toBe(true);
    expect(isValidArea('a/b/c/d')).toBe(false);
    expect(isValidArea('a//b')).toBe(false);
    expect(isValidArea(' a')).toBe(false);
    expect(areaKind('肃宁县/梁家村镇')).toBe('township');
    expect(areaAt('肃宁县/梁家村镇/东村', 'township')).toBe('肃宁县/梁家村镇');
  });
  test('containment is by whole parts', () => {
    expect(areaContains('肃宁县', '肃宁县/梁家村镇/东村')).toBe(true);
    expect(areaContains('肃宁县/梁家村镇/东村', '肃宁县/梁家村镇/东村')).toBe(true);
    expect(areaContains('肃宁县/梁家', '肃宁县/梁家村镇/东村')).toBe(false);
    expect(areaContains('肃宁县/梁家村镇/东村', '肃宁县/梁家村镇')).toBe(false);
  });
});

describe('policy and configuration', () => {
  test('the default policy passes its own schema and every number carries a source', () => {
    expect(parsePolicy(JSON.parse(JSON.stringify(DEFAULT_POLICY)))).toEqual(DEFAULT_POLICY);
    const m = DEFAULT_POLICY.mediation;
    expect(m.acceptanceLimit.value).toEqual({ value: 1, unit: 'calendarDays' });
    expect([m.levelLimits.village.value.value, m.levelLimits.township.value.value, m.levelLimits.county.value.value]).toEqual([7, 15, 30]);
    expect(m.reminderShare.value).toBe(0.75);
    expect(m.judicialConfirmationWindow.value).toEqual({ value: 30, unit: 'calendarDays' });
    for (const s of [m.acceptanceLimit, m.levelLimits.village, m.reminderShare, m.judicialConfirmationWindow]) expect(s.source.length).toBeGreaterThan(10);
  });
  test('a policy that names an unknown committee is refused', () => {
    const bad = JSON.parse(JSON.stringify(DEFAULT_POLICY));
    bad.mediation.categories[0].committee = 'nowhere';
    expect(() => parsePolicy(bad)).toThrow(/nowhere/);
  });
  test('bad environment variables are named', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'nohost' })).toThrow(/TEMPORAL_ADDRESS: must be host:port/);
    expect(() => loadConfig({ SMTP_URL: 'http://x' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ PINGAN_ADMIN_TOKEN: 'short' })).toThrow(/PINGAN_ADMIN_TOKEN/);
    expect(() => loadConfig({ POLICY_FILE: '/nonexistent/policy.json' })).toThrow(/POLICY_FILE/);
    expect(loadConfig({ PORT: '8080', DATA_DIR: '/tmp/x' })).toMatchObject({ PORT: 8080, dataDir: '/tmp/x', TEMPORAL_NAMESPACE: 'default' });
  });
});
