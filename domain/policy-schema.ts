import { z } from 'zod';
import type { CalendarYear, WorkCalendar } from './calendar';
import type { Policy } from './policy';
import { shanghaiDate, startOfShanghaiDate } from './time';
import { VillagePolicySchema } from './village-policy-schema';

/** The shape a POLICY_FILE must have (the same as DEFAULT_POLICY). Checked at start-up, never in workflows. */
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const duration = z.object({
  value: z.number().positive(),
  unit: z.enum(['seconds', 'minutes', 'hours', 'calendarDays', 'workingDays', 'months']),
});
const sourced = <T extends z.ZodTypeAny>(value: T) => z.object({ value, source: z.string().min(1) });
const level = z.enum(['village', 'township', 'county']);
const weekendDays = z.array(z.number().int().min(0).max(6));

/** One year of holidays and 调休 days (calendars/YYYY.json): every date inside the year, each listed once. */
export const CalendarYearSchema = z
  .object({
    year: z.number().int().min(2000).max(2200),
    source: z.string().min(1),
    holidays: z.array(date),
    workedWeekendDays: z.array(date),
  })
  .strict()
  .superRefine((y, ctx) => {
    const all = [...y.holidays, ...y.workedWeekendDays];
    all.forEach((d, i) => {
      if (Number(d.slice(0, 4)) !== y.year) ctx.addIssue({ code: 'custom', message: `${d} is not in ${y.year}` });
      if (shanghaiDate(startOfShanghaiDate(d)) !== d) ctx.addIssue({ code: 'custom', message: `${d} is not a date` });
      if (all.indexOf(d) !== i) ctx.addIssue({ code: 'custom', message: `${d} is listed twice` });
    });
  });

const petition = z.object({
  assignLimit: sourced(duration),
  acceptanceNoticeLimit: sourced(duration),
  objectionLimit: sourced(duration),
  handlingLimit: sourced(duration),
  maxExtension: sourced(duration),
  reviewWindow: sourced(duration),
  reviewAnswerLimit: sourced(duration),
  reReviewWindow: sourced(duration),
  reReviewAnswerLimit: sourced(duration),
  warnShare: sourced(z.number().gt(0).lt(1)),
  leadingGroup: sourced(z.array(z.object({ title: z.string().min(1), name: z.string().min(1), email: z.email() })).min(1)),
  meeting: sourced(
    z.object({
      dayOfWeek: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5), z.literal(6), z.literal(7)]),
      hour: z.number().int().min(0).max(23),
      minute: z.number().int().min(0).max(59),
      chair: z.object({ name: z.string().min(1), email: z.email() }),
      minutesWithin: duration,
    }),
  ),
});

export const PolicySchema = z.object({
  version: z.string().min(1),
  timeZone: z.literal('Asia/Shanghai'),
  calendar: sourced(
    z.union([
      z.object({ weekendDays, years: z.array(CalendarYearSchema) }).strict(),
      // The flat form of policies written before calendars were kept per year; turned into years by parsePolicy.
      z.object({ weekendDays, holidays: z.array(date), workedWeekendDays: z.array(date) }).strict(),
    ]),
  ),
  calendarLead: sourced(z.number().int().min(0).max(366)),
  mediation: z.object({
    acceptanceLimit: sourced(duration),
    levelLimits: z.object({ village: sourced(duration), township: sourced(duration), county: sourced(duration) }),
    reminderShare: sourced(z.number().gt(0).lt(1)),
    triageBySeriousness: sourced(z.object({ simple: level, ordinary: level, major: level })),
    judicialConfirmationWindow: sourced(duration),
    followUpDelay: sourced(duration),
    committees: z.record(z.string(), z.string()),
    categories: z
      .array(
        z.object({
          code: z.string().min(1),
          name: z.string().min(1),
          committee: z.string().min(1),
          triageLevel: level.optional(),
          limitFromAcceptance: z.boolean().optional(),
          levelLimits: z.object({ village: sourced(duration), township: sourced(duration), county: sourced(duration) }).partial().optional(),
        }),
      )
      .min(1),
    channels: z.array(z.string()).min(1),
  }),
  petition,
  village: VillagePolicySchema,
}) satisfies z.ZodType<Policy>;

export function parsePolicy(json: unknown): Policy {
  const policy = PolicySchema.parse(json) as Policy;
  const cal = policy.calendar.value;
  if (!cal.years) policy.calendar.value = { weekendDays: cal.weekendDays, years: yearsOfFlatCalendar(cal, policy.calendar.source) };
  for (const c of policy.mediation.categories) {
    if (!policy.mediation.committees[c.committee]) {
      throw new Error(`category ${c.code} names committee ${c.committee}, which is not in mediation.committees`);
    }
  }
  return policy;
}

/** A flat calendar (holidays and worked days of any years in two lists) as one entry per year. */
function yearsOfFlatCalendar(cal: WorkCalendar, source: string): CalendarYear[] {
  const years = new Map<number, CalendarYear>();
  const entry = (d: string) => {
    const year = Number(d.slice(0, 4));
    if (!years.has(year)) years.set(year, { year, source, holidays: [], workedWeekendDays: [] });
    return years.get(year)!;
  };
  for (const d of cal.holidays ?? []) entry(d).holidays.push(d);
  for (const d of cal.workedWeekendDays ?? []) entry(d).workedWeekendDays.push(d);
  return [...years.values()].sort((a, b) => a.year - b.year);
}
