import { z } from 'zod';
import type { VillagePolicy } from './village-policy';

/** The `village` section of a POLICY_FILE (domain/village-policy.ts). Checked at start-up, never in workflows. */
const duration = z.object({ value: z.number().positive(), unit: z.enum(['seconds', 'minutes', 'hours', 'calendarDays', 'workingDays']) });
const sourced = <T extends z.ZodTypeAny>(value: T) => z.object({ value, source: z.string().min(1) });
const share = z
  .object({ num: z.number().int().positive(), den: z.number().int().positive(), strict: z.boolean() })
  .refine((s) => s.num <= s.den, 'num must not exceed den');
const rule = z.object({
  name: z.string().min(1),
  attendance: share,
  householdAttendance: share.optional(),
  approval: share,
  approvalBase: z.enum(['present', 'entitled']),
});

const noticeRule = z.object({ period: duration, rule: z.string().min(1) });

export const VillagePolicySchema = z.object({
  noticePeriod: sourced(duration),
  stepLimit: sourced(duration),
  procedureLimit: sourced(duration),
  bodies: z.object({
    party_branch: sourced(rule),
    two_committees: sourced(rule),
    party_members: sourced(rule),
    representatives: sourced(rule),
    villagers: sourced(rule),
  }),
  /** Bodies without an entry need no notice; `{}` means no notice rule at all. */
  meetingNotice: z
    .object({
      party_branch: sourced(noticeRule),
      two_committees: sourced(noticeRule),
      party_members: sourced(noticeRule),
      representatives: sourced(noticeRule),
      villagers: sourced(noticeRule),
    })
    .partial()
    .strict(),
  objections: sourced(z.object({ perNotice: z.number().int().positive(), textLength: z.number().int().positive().max(2000) }).strict()).optional(),
}) satisfies z.ZodType<VillagePolicy>;
