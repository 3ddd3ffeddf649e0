import { z } from 'zod';
import { AREA_SEGMENT } from '../domain/areas';
import { Area } from './schemas';

/** Request schemas of the petition and meeting API (they validate and generate the OpenAPI document). */
const text = (max: number) => z.string().trim().min(1).max(max);

export const RegisterPetitionBody = z
  .object({
    petitioner: z
      .object({
        name: text(100),
        phone: z.string().max(20).regex(/^[0-9+\- ]{5,20}$/, 'must be a phone number').optional(),
        email: z.email().max(254).optional(),
        address: text(300).optional(),
      })
      .strict(),
    subject: text(200),
    content: text(20000),
    channel: z.enum(['letter', 'visit', 'online']),
    area: Area,
  })
  .strict()
  .openapi('RegisterPetition');

export const AssignBody = z.object({ unit: text(100), unitHead: text(100) }).strict().openapi('AssignPetition');
export const AcceptBody = z.object({ notice: text(4000) }).strict().openapi('AcceptPetition');
export const ObjectBody = z.object({ reasons: text(4000) }).strict().openapi('ObjectToPetition');
export const LeaderBody = z.object({ leaderId: text(64) }).strict().openapi('AssignLeader');
export const ExtendBody = z
  .object({ days: z.number().int().min(1), reason: text(2000), approvedBy: text(100) })
  .strict()
  .openapi('ExtendPetition');
export const ReplyBody = z
  .object({ decision: z.enum(['supported', 'partially_supported', 'not_supported']), opinion: text(20000) })
  .strict()
  .openapi('ReplyToPetition');
export const ReasonBody = z.object({ reason: text(4000) }).strict().openapi('PetitionRequest');
export const OpinionBody = z.object({ opinion: text(20000) }).strict().openapi('PetitionOpinion');
export const EmptyBody = z.object({}).strict();
export const TransferBody = z
  .object({
    category: z.string().min(1).max(40),
    area: Area.openapi({ description: 'the village where the dispute arose' }),
    summary: text(4000).optional(),
    respondents: z.array(z.object({ name: text(100), phone: z.string().max(20).optional(), email: z.email().max(254).optional() }).strict()).min(1).max(20),
  })
  .strict()
  .openapi('TransferToMediation');

export const PetitionListQuery = z
  .object({
    status: z.enum(['registered', 'assigned', 'accepted', 'replied', 'under_review', 'reviewed', 'under_re_review', 'in_mediation', 'closed']).optional(),
    area: Area.optional(),
    overdue: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export const MinutesBody = z
  .object({
    chair: text(100),
    attendees: z.array(text(100)).min(1).max(100),
    directions: z
      .array(
        z
          .object({
            petitionId: z.string().max(16).regex(/^PET-[0-9A-F]{12}$/, 'must be a petition id'),
            direction: z.enum(['continue', 'reassign', 'escalate', 'extend', 'close_with_reply']),
            note: text(1000),
          })
          .strict(),
      )
      // 200 directions of 1,000 characters keep the largest minutes near the other bodies (api/body-limits.ts).
      .max(200),
  })
  .strict()
  .openapi('MeetingMinutes');

/** A county: the first part of an area path; meetings are per county. */
const County = z.string().max(40).regex(AREA_SEGMENT, 'must be a county, the first part of an area (肃宁县)').openapi({ example: '肃宁县' });
export const MeetingQuery = z.object({ county: County.optional() }).strict();
export const CallMeetingBody = z.object({ county: County.optional() }).strict().openapi('CallMeeting');
