import { z } from 'zod';
import { MATTER_TYPE_CODES, meetingCountsProblem, VILLAGE_BODIES_LIST } from '../domain/village';
import { Area } from './schemas';

/** Request schemas of the village decisions and the public notice board (they also generate the OpenAPI paths). */
const text = (max: number) => z.string().trim().min(1).max(max);
const count = (description: string) => z.number().int().min(0).max(1_000_000).openapi({ description });
const isoDateTime = z.iso.datetime({ offset: true }).openapi({ example: '2026-12-01T09:30:00+08:00' });

export const CreateVillageDecisionBody = z
  .object({
    type: z.enum(MATTER_TYPE_CODES).openapi({ description: 'matter type (村民委员会组织法 Art. 24 and local lists)' }),
    title: text(200).openapi({ example: '硬化村内东西主街' }),
    description: text(8000),
    amount: z.number().min(0).max(1e12).optional().openapi({ description: 'yuan; required for matters involving money' }),
    attachments: z.array(text(8000)).max(20).optional().openapi({ description: 'attachments as text (plans, budgets)' }),
    area: Area.optional().openapi({ description: "the village; defaults to the clerk's own" }),
  })
  .strict()
  .openapi('CreateVillageDecision');

export const MeetingBody = z
  .object({
    body: z.enum(VILLAGE_BODIES_LIST).openapi({ description: 'party_branch, two_committees, party_members, representatives or villagers' }),
    heldAt: isoDateTime,
    noticeGivenAt: isoDateTime.optional().openapi({
      description:
        "when the meeting was announced; required where the policy sets a notice period (villagers' assembly: 10 days, " +
        "村民委员会组织法 Art. 21; party members' assembly: 3 days, local rule). The day notice is given is not counted; " +
        'too short a notice is refused with 409 naming the rule',
      example: '2026-11-20T09:00:00+08:00',
    }),
    // At least one (domain/village.ts meetingCountsProblem refuses 0), stated so that the document agrees.
    entitled: z.number().int().min(1).max(1_000_000).openapi({ description: "members entitled to attend (villagers' assembly: villagers aged 18+)" }),
    present: count('members present'),
    for: count('votes for'),
    against: count('votes against'),
    abstain: count('abstentions'),
    households: count("villagers' assembly: the village's households").optional(),
    householdsRepresented: count("villagers' assembly: households represented").optional(),
    minutes: text(20000),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.noticeGivenAt && Date.parse(m.noticeGivenAt) > Date.parse(m.heldAt)) {
      ctx.addIssue({ code: 'custom', message: '通知时间晚于会议时间 (notice must be given before the meeting)', path: ['noticeGivenAt'] });
    }
    const problem = meetingCountsProblem(m);
    if (!problem) return;
    const field = /votes/.test(problem) ? 'for' : /households/i.test(problem) ? 'householdsRepresented' : /entitled must/.test(problem) ? 'entitled' : 'present';
    ctx.addIssue({ code: 'custom', message: problem, path: [field] });
  })
  .openapi('RecordMeeting');

export const RejectionDecisionBody = z
  .object({ choice: z.enum(['end', 'return']).openapi({ description: 'end the matter, or return it to the proposal step' }), reason: text(2000) })
  .strict()
  .openapi('DecideAfterRejection');
export const AnswerBody = z.object({ answer: text(4000) }).strict().openapi('AnswerObjection');
export const ProgressBody = z.object({ note: text(4000) }).strict().openapi('RecordProgress');
export const CompletionBody = z.object({ result: text(8000) }).strict().openapi('CompleteImplementation');

export const VillageListQuery = z
  .object({
    status: z.string().max(40).optional(),
    type: z.enum(MATTER_TYPE_CODES).optional(),
    area: Area.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export const ObjectionBody = z
  .object({
    text: z.string().trim().min(2, '请写明异议内容 (at least 2 characters)').max(2000).openapi({ description: 'the objection' }),
    name: z.string().trim().max(50).optional().openapi({ description: 'optional; never shown on the board' }),
    email: z.union([z.email().max(254), z.literal('')]).optional().openapi({ description: 'optional: the answer is mailed here' }),
    phone: z.union([z.string().max(20).regex(/^[0-9+\- ]{5,20}$/, 'must be a phone number'), z.literal('')]).optional(),
  })
  .strict()
  .openapi('FileObjection');

export const NoticeListQuery = z
  .object({
    area: Area.optional().openapi({ description: 'county, township or village' }),
    all: z.enum(['true', 'false']).optional().openapi({ description: 'true: also notices whose period has ended' }),
  })
  .strict();
