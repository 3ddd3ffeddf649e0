import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { isValidArea } from '../domain/areas';
import { ROLES } from '../domain/actors';

extendZodWithOpenApi(z);

/** Request and response schemas: they validate requests and generate /api/v1/openapi.json. */
export const Area = z
  .string()
  .max(3 * 40 + 2) // three parts of at most 40 characters (domain/areas.ts), stated so the document gives a length
  .refine(isValidArea, 'must be a path county/township/village of 1 to 3 parts, e.g. 肃宁县/梁家村镇/东村')
  .refine((a) => a !== '*', '* (every area) belongs to the built-in administrator alone')
  .openapi({ example: '肃宁县/梁家村镇/东村' });

const level = z.enum(['village', 'township', 'county']);

export const CreateUserBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[^\u0000-\u001f\u007f\u0085\u2028\u2029]*$/, 'must not contain line breaks or control characters'),
    email: z.email().max(254),
    role: z.enum(ROLES),
    area: Area,
    level: level.optional().openapi({ description: 'for mediators: the level they mediate at' }),
    committee: z.string().min(1).max(60).optional().openapi({ description: 'for county mediators: committee code' }),
  })
  .strict()
  .openapi('CreateUser');

export const User = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    role: z.enum(ROLES),
    area: z.string(),
    level: level.nullable(),
    committee: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('User');

export const CreatedUser = z
  .object({
    user: User,
    token: z.string().openapi({ description: 'shown once' }),
    invitation: z
      .object({ url: z.string(), expiresAt: z.string() })
      .openapi({ description: 'the one-time console link with which the member sets its password (shown once, expiring)' }),
  })
  .openapi('CreatedUser');

export const Party = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: z.enum(['applicant', 'respondent', 'other']),
    phone: z.string().max(20).regex(/^[0-9+\- ]{5,20}$/, 'must be a phone number').optional(),
    email: z.email().max(254).optional(),
  })
  .strict()
  .openapi('Party');

/**
 * The shortest dispute summary a case may open with: two characters already say something in Chinese (鸡鸭进院,
 * 占道); the rule only keeps out a blank or a single stray character. It is the API's rule, not a statutory number.
 */
export const MIN_SUMMARY_LENGTH = 2;

export const CreateMediationBody = z
  .object({
    category: z.string().min(1).max(40).openapi({ example: 'neighbourhood' }),
    summary: z
      .string()
      .trim()
      .min(MIN_SUMMARY_LENGTH)
      .max(4000)
      .openapi({ description: `the dispute in a few words (at least ${MIN_SUMMARY_LENGTH} characters)`, example: '鸡鸭进院' }),
    parties: z.array(Party).min(1).max(50),
    area: Area,
    channel: z.enum(['grid', 'walk_in', 'hotline', 'police', 'court', 'petition']),
    seriousness: z.enum(['simple', 'ordinary', 'major']).optional().openapi({ description: '分级诊疗: with the category, decides the opening level' }),
    referral: z
      .object({ source: z.string().min(1).max(100), reference: z.string().min(1).max(100) })
      .strict()
      .optional()
      .openapi({ description: 'the referring record (police, court or petition office)' }),
  })
  .strict()
  .openapi('CreateMediation');

export const AcceptBody = z.object({ note: z.string().max(2000).optional() }).strict().openapi('AcceptMediation');

export const AgreementBody = z
  .object({
    form: z.enum(['written', 'oral']).openapi({ description: '书面 or 口头 (人民调解法 Art. 28)' }),
    terms: z.string().trim().min(1).max(8000),
    parties: z.array(z.string().min(1).max(100)).min(1).max(50).openapi({ description: 'names of the parties who agreed' }),
    facts: z.string().trim().max(4000).optional().openapi({ description: '纠纷的主要事实、争议事项 beyond the case summary (Art. 29)' }),
    performance: z.string().trim().min(1).max(2000).optional().openapi({ description: '履行方式、时限 (Art. 29)' }),
  })
  .strict()
  .openapi('RecordAgreement');

const text = (max: number) => z.string().trim().min(1).max(max);
const isoDateTime = z.iso.datetime({ offset: true }).openapi({ example: '2026-12-01T09:30:00+08:00' });

export const AssignBody = z.object({ mediatorIds: z.array(z.string().min(1).max(100)).min(1).max(10) }).strict().openapi('AssignMediators');
export const SessionBody = z.object({ heldAt: isoDateTime, summary: text(8000) }).strict().openapi('RecordSession');
export const EscalateBody = z.object({ reason: text(2000) }).strict().openapi('RequestEscalation');
export const FailureBody = z
  .object({
    reason: text(4000),
    route: z.enum(['court', 'arbitration', 'administrative']).optional().openapi({ description: 'required at county (人民调解法 Art. 26)' }),
  })
  .strict()
  .openapi('RecordFailure');
export const PartyEndBody = z.object({ party: text(100), reason: text(2000) }).strict().openapi('PartyWithdrawalOrRefusal');
export const UrgeBody = z.object({ message: text(2000) }).strict().openapi('Urge');
export const ExplanationBody = z.object({ explanation: text(4000), targetDate: isoDateTime }).strict().openapi('Explanation');
export const JudicialBody = z.object({ status: z.enum(['applied', 'confirmed', 'refused']) }).strict().openapi('JudicialConfirmation');
export const FollowUpBody = z
  .object({
    performed: z.boolean(),
    notes: text(4000),
    next: z.enum(['reopen', 'court']).optional().openapi({ description: 'when not performed: mediate again, or refer to court' }),
  })
  .strict()
  .openapi('FollowUpVisit');

export const ListQuery = z
  .object({
    status: z.enum(['awaiting_acceptance', 'in_mediation', 'closed']).optional(),
    level: level.optional(),
    category: z.string().max(40).optional(),
    area: Area.optional(),
    overdue: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const actorRef = z.object({ id: z.string(), name: z.string(), role: z.string() });
const point = z.object({ status: z.string(), level: z.string() });
export const MediationCaseSchema = z
  .object({
    id: z.string(),
    kind: z.literal('mediation'),
    status: z.enum(['awaiting_acceptance', 'in_mediation', 'closed']),
    level: level,
    committee: z.string().nullable(),
    overdue: z.boolean(),
    finished: z.boolean(),
    responsibleArea: z.string(),
    category: z.string(),
    categoryName: z.string(),
    summary: z.string(),
    parties: z.array(Party),
    area: z.string(),
    channel: z.string(),
    openedAt: z.string(),
    openedBy: actorRef,
    assignees: z.array(actorRef),
    deadlines: z.record(z.string(), z.string()),
    outcome: z.unknown().nullable(),
    timeline: z.array(
      z.object({ seq: z.number(), at: z.string(), actor: actorRef, action: z.string(), from: point.nullable(), to: point, details: z.unknown().optional() }),
    ),
    policyVersion: z.string(),
    version: z.number(),
  })
  .openapi('MediationCase');

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .openapi('Error');

export const Health = z
  .object({
    status: z.enum(['ok', 'degraded']),
    // The details are for members with a token; anonymous callers get the status alone.
    temporal: z.string().optional(),
    database: z.string().optional(),
    calendar: z.object({ years: z.array(z.number().int()), missing: z.array(z.number().int()), message: z.string().nullable() }).optional(),
    version: z.string().optional(),
  })
  .openapi('Health');
