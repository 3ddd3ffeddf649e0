import fs from 'node:fs';
import path from 'node:path';
import { ZodError } from 'zod';
import type { CalendarYear } from '../domain/calendar';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { CalendarYearSchema, parsePolicy } from '../domain/policy-schema';

/** The calendars shipped with Pingan: one JSON file per year (calendars/2026.json), from the State Council's notice. */
export const SHIPPED_CALENDARS = path.resolve(__dirname, '..', 'calendars');

const describe = (err: unknown) =>
  err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ') : (err as Error).message;

/** Every `YYYY.json` in a folder, checked: the file's name is its year. */
export function loadCalendarDir(dir: string): CalendarYear[] {
  if (!fs.existsSync(dir)) throw new Error(`calendar folder ${dir} does not exist`);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      try {
        const year = CalendarYearSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
        if (f !== `${year.year}.json`) throw new Error(`a calendar for ${year.year} must be named ${year.year}.json`);
        return year as CalendarYear;
      } catch (err) {
        throw new Error(`calendar file ${file} is not valid: ${describe(err)}`);
      }
    });
}

/**
 * The policy in force, checked once at start-up: the default or POLICY_FILE's, with the holidays of every year found in
 * the calendar folders (the shipped calendars/, then `calendarDir`: CALENDAR_DIR). A year given in POLICY_FILE wins over a file.
 */
export function loadPolicy(file?: string, calendarDir?: string): Policy {
  const calendarDirs = [SHIPPED_CALENDARS, ...(calendarDir ? [calendarDir] : [])];
  let base: Policy = DEFAULT_POLICY;
  if (file) {
    try {
      base = parsePolicy(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch (err) {
      throw new Error(`POLICY_FILE ${file} is not a valid policy: ${describe(err)}`);
    }
  }
  const years = new Map<number, CalendarYear>();
  for (const dir of calendarDirs) for (const y of loadCalendarDir(dir)) years.set(y.year, y);
  for (const y of base.calendar.value.years ?? []) years.set(y.year, y);
  const policy: Policy = structuredClone(base);
  policy.calendar.value = { weekendDays: base.calendar.value.weekendDays, years: [...years.values()].sort((a, b) => a.year - b.year) };
  return policy;
}
