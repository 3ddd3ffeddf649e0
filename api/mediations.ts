import { WithStartWorkflowOperation } from '@temporalio/client';
import { z } from 'zod';
import { actorRef, type Actor } from '../domain/actors';
import { areaKind } from '../domain/areas';
import type { ActingStaff, MediationCase, OpenMediationInput, StaffAction } from '../domain/mediation';
import { findCategory, type Policy } from '../domain/policy';
import { toShanghaiIso } from '../domain/time';
import { sqlAreaWithin } from '../platform/area-sql';
import type { Db } from '../platform/db';
import { findUsersByIds, toActor } from '../platform/users';
import { mediationAction, mediationOpened, mediationState, mediationWorkflow } from '../workflows/mediation';
import { allow } from './access';
import { mayActIn, requireArea } from './auth';
import { attributesInput, recordIdFor, refuseClosed, sendAction, startRecord, visibleRecord, type Process, type ProcessDeps } from './cases';
import { badRequest, notFound } from './errors';
import { listRegister, liveOrRegistered } from './register';
import { INTAKE_KEY, json, parse, reply, route, STAFF_ERRORS, type Route } from './route';
import * as S from './schemas';

export { parse } from './route';

export type MediationDeps = ProcessDeps;

/** Cases are read and acted on inside the member's area. */
export const MEDIATION: Process<MediationCase> = {
  kind: 'mediation',
  prefix: 'MED',
  what: 'case',
  seed: '',
  closed: (id) => `案件已办结 (case ${id} is finished)`,
  mayRead: (actor, c) => mayActIn(actor, c.area),
};

/** A retried request with the same Idempotency-Key from the same member maps to the same case id (api/cases.ts). */
export function caseIdFor(actor: Pick<Actor, 'id'>, key: string | undefined): string {
  return recordIdFor(MEDIATION, actor, key);
}

export const staff = (a: Actor): ActingStaff => ({ ...actorRef(a), area: a.area, level: a.level, committee: a.committee ?? null });

/** Staff actions: the route, its summary, the body schema, and the workflow action it becomes (who may call it: api/access.ts). */
interface ActionRoute<T extends z.ZodType> {
  path: string;
  summary: string;
  /** what the 200 answer is called, when not "the case after the action" */
  answered?: string;
  schema: T;
  build(body: z.infer<T>, actor: ActingStaff, deps: MediationDeps): Promise<StaffAction> | StaffAction;
}
const action = <T extends z.ZodType>(r: ActionRoute<T>) => r as unknown as ActionRoute<z.ZodType>;

export const ACTION_ROUTES = [
  action({
    path: 'accept', summary: 'Accept a case (mediator of the level holding it)', answered: 'accepted',
    schema: S.AcceptBody, build: (b, actor) => ({ type: 'accept', actor, note: b.note }),
  }),
  action({
    path: 'assign',
    summary: 'Assign mediators of the unit holding the case',
    schema: S.AssignBody,
    async build(b, actor, { db }) {
      const users = await findUsersByIds(db, b.mediatorIds);
      const missing = b.mediatorIds.filter((id) => !users.some((u) => u.id === id));
      if (missing.length > 0) throw badRequest(`mediatorIds: no staff member ${missing.join(', ')}`);
      return { type: 'assign', actor, mediators: users.map((u) => staff(toActor(u))) };
    },
  }),
  action({
    path: 'sessions', summary: 'Record a mediation session',
    schema: S.SessionBody, build: (b, actor) => ({ type: 'recordSession', actor, heldAt: toShanghaiIso(Date.parse(b.heldAt)), summary: b.summary }),
  }),
  action({
    path: 'escalate', summary: 'Request escalation to the next level, with a reason',
    schema: S.EscalateBody, build: (b, actor) => ({ type: 'requestEscalation', actor, reason: b.reason }),
  }),
  action({
    path: 'agreement', summary: 'Record the agreement; closes the case', answered: 'closed with an agreement',
    schema: S.AgreementBody, build: (b, actor) => ({ type: 'recordAgreement', actor, agreement: b }),
  }),
  action({
    path: 'failure', summary: 'Record failure: climbs at village and township; at county ends with the route told',
    schema: S.FailureBody, build: (b, actor) => ({ type: 'recordFailure', actor, reason: b.reason, route: b.route }),
  }),
  action({
    path: 'withdrawal', summary: "Record a party's withdrawal (ends the case, Art. 23)",
    schema: S.PartyEndBody, build: (b, actor) => ({ type: 'recordWithdrawal', actor, party: b.party, reason: b.reason }),
  }),
  action({
    path: 'refusal', summary: "Record a party's refusal (ends the case, Art. 17)",
    schema: S.PartyEndBody, build: (b, actor) => ({ type: 'recordRefusal', actor, party: b.party, reason: b.reason }),
  }),
  action({
    path: 'urge', summary: 'Supervisor urge (督办); on an overdue case the mediators owe an explanation',
    schema: S.UrgeBody, build: (b, actor) => ({ type: 'urge', actor, message: b.message }),
  }),
  action({
    path: 'explanation', summary: 'Explain an overdue case, with a new target date',
    schema: S.ExplanationBody, build: (b, actor) => ({ type: 'explain', actor, explanation: b.explanation, targetDate: b.targetDate }),
  }),
  action({
    path: 'judicial-confirmation', summary: 'Judicial confirmation: applied (within 30 days), confirmed, refused',
    schema: S.JudicialBody, build: (b, actor) => ({ type: 'judicialConfirmation', actor, status: b.status }),
  }),
  action({
    path: 'follow-up', summary: 'Follow-up visit (回访): performed, or reopen / refer to court',
    schema: S.FollowUpBody, build: (b, actor) => ({ type: 'recordFollowUp', actor, performed: b.performed, notes: b.notes, next: b.next }),
  }),
];

/**
 * The policy a mediation case is started with: every section but the petition and village rules, which no mediation
 * rule reads (domain/mediation.ts, workflows/mediation.ts), so that each case's history does not carry them.
 */
export function mediationPolicy(policy: Policy): Policy {
  const { petition: _petition, village: _village, ...rest } = policy;
  return rest as Policy;
}

/**
 * Starts a case (or, for a retried id, finds it) and answers once it is in the register. Also used by the petition
 * API to transfer a petition to mediation (访调对接).
 */
export async function startMediationCase(
  deps: MediationDeps,
  input: Omit<OpenMediationInput, 'reportedAt' | 'policy'>,
): Promise<{ case: MediationCase; fresh: boolean }> {
  const now = Date.now();
  const { record, fresh } = await startRecord<MediationCase>(
    deps,
    MEDIATION,
    input.caseId,
    (o) => deps.client.workflow.executeUpdateWithStart(mediationOpened, {
      startWorkflowOperation: new WithStartWorkflowOperation(mediationWorkflow, { ...o, args: [{ ...input, reportedAt: now, policy: mediationPolicy(deps.policy), ...attributesInput(deps) }] }),
    }),
    (c) => c.openedAt === toShanghaiIso(now),
  );
  return { case: record, fresh };
}

/** The case as its area rules allow this member to see it: 404 alike when unknown or outside the member's area, so
 *  that a stranger learns nothing of which ids exist. */
export function visibleCase(db: Db, actor: Actor, id: string): Promise<MediationCase> {
  return visibleRecord(db, MEDIATION, actor, id);
}

/**
 * A dispute reported by a grid worker or mediator (the API's POST /mediations and the console's report form): the
 * same checks, and the same case id for a retried Idempotency-Key.
 */
export async function reportDispute(
  deps: MediationDeps,
  actor: Actor,
  key: string | undefined,
  input: unknown,
): Promise<{ case: MediationCase; fresh: boolean }> {
  allow(actor, 'POST /api/v1/mediations');
  return openDispute(deps, actor, key, parse(S.CreateMediationBody, input));
}

/** reportDispute with a validated body. */
async function openDispute(deps: MediationDeps, actor: Actor, key: string | undefined, body: z.infer<typeof S.CreateMediationBody>) {
  if (key !== undefined && (key.length < 1 || key.length > 200)) throw badRequest('Idempotency-Key: must be 1 to 200 characters');
  if (!findCategory(deps.policy, body.category)) {
    throw badRequest(`category: unknown category ${body.category}; one of ${deps.policy.mediation.categories.map((c) => c.code).join(', ')}`);
  }
  if (areaKind(body.area) !== 'village') throw badRequest('area: a dispute is reported in a village: county/township/village');
  requireArea(actor, body.area);
  return startMediationCase(deps, { caseId: caseIdFor(actor, key), ...body, reportedBy: actorRef(actor) });
}

/**
 * One staff action on a case (the console's forms; the API's routes below): role, body, area, then the workflow's
 * update, whose validator runs the domain check (checkMediationAction).
 */
export async function performMediationAction(deps: MediationDeps, actor: Actor, id: string, path: string, input: unknown): Promise<MediationCase> {
  const r = ACTION_ROUTES.find((x) => x.path === path);
  if (!r) throw notFound(`no action ${path}`);
  allow(actor, `POST /api/v1/mediations/{id}/${r.path}`);
  return actOnCase(deps, actor, id, r, parse(r.schema, input));
}

async function actOnCase(deps: MediationDeps, actor: Actor, id: string, r: ActionRoute<z.ZodType>, body: unknown): Promise<MediationCase> {
  const c = await visibleCase(deps.db, actor, id);
  refuseClosed(MEDIATION, c);
  const a = await r.build(body, staff(actor), deps);
  return sendAction<MediationCase>(deps, MEDIATION, c, (h) => h.executeUpdate(mediationAction, { args: [a] }));
}

const caseParams = z.object({ id: z.string().openapi({ example: 'MED-3F9A0C21D4E7' }) });
const noCase = json(S.ErrorSchema, 'no such case');

/** /api/v1/mediations: each route declared once, served and documented from here (api/route.ts). */
export const MEDIATION_ROUTES: Route[] = [
  route({
    method: 'post', path: '/api/v1/mediations', summary: 'Report a dispute (grid worker or mediator, inside its area)',
    headers: INTAKE_KEY, body: S.CreateMediationBody,
    responses: { 201: json(S.MediationCaseSchema, 'case opened'), 200: json(S.MediationCaseSchema, 'same Idempotency-Key: the case already opened'), ...STAFF_ERRORS },
    async handle({ deps, actor, key, body }) {
      const { case: c, fresh } = await openDispute(deps, actor, key, body);
      return reply(fresh ? 201 : 200, c, `/api/v1/mediations/${c.id}`);
    },
  }),
  /** The register, filtered, inside the member's area (supervisors' view of every case). */
  route({
    method: 'get', path: '/api/v1/mediations', summary: 'The register inside your area', query: S.ListQuery,
    responses: { 200: { description: 'cases' }, ...STAFF_ERRORS },
    async handle({ deps: { db }, actor, query: q }) {
      const area = q.area ?? (actor.area === '*' ? undefined : actor.area);
      if (area) requireArea(actor, area);
      const rows = await listRegister<MediationCase>(
        db,
        'mediation',
        { area, status: q.status, level: q.level, category: q.category, overdue: q.overdue === undefined ? undefined : q.overdue === 'true' },
        q,
        ['id', 'status', 'level', 'area', 'category', 'categoryName', 'summary', 'overdue', 'openedAt', 'deadlines', 'outcome'],
      );
      return {
        items: rows.map((c) => ({
          id: c.id, status: c.status, level: c.level, area: c.area, category: c.category, categoryName: c.categoryName,
          summary: c.summary, overdue: c.overdue, openedAt: c.openedAt, deadlines: c.deadlines, outcome: c.outcome?.kind ?? null,
        })),
        limit: q.limit,
        offset: q.offset,
      };
    },
  }),
  /** Statistics for supervisors: counts by level and status, overdue, outcomes, inside the member's area. */
  route({
    method: 'get', path: '/api/v1/mediations/stats', summary: 'Counts by level, status, outcome and overdue inside your area',
    query: S.ListQuery.pick({ area: true }),
    responses: { 200: { description: 'statistics' }, ...STAFF_ERRORS },
    async handle({ deps: { db }, actor, query: q }) {
      const area = q.area ?? (actor.area === '*' ? '' : actor.area);
      if (area) requireArea(actor, area);
      const r = await db.query<{ level: string; status: string; overdue: boolean; outcome: string | null; n: number }>(
        `SELECT level, status, overdue, snapshot->'outcome'->>'kind' AS outcome, count(*)::int AS n FROM cases
          WHERE kind = 'mediation' AND ($1 = '' OR ${sqlAreaWithin('area', '$1')})
          GROUP BY 1, 2, 3, 4`,
        [area],
      );
      const stats = { area: area || '*', total: 0, byLevel: {} as Record<string, number>, byStatus: {} as Record<string, number>, overdue: 0, outcomes: {} as Record<string, number> };
      for (const row of r.rows) {
        stats.total += row.n;
        if (row.status !== 'closed') stats.byLevel[row.level] = (stats.byLevel[row.level] ?? 0) + row.n;
        stats.byStatus[row.status] = (stats.byStatus[row.status] ?? 0) + row.n;
        if (row.overdue) stats.overdue += row.n;
        if (row.outcome) stats.outcomes[row.outcome] = (stats.outcomes[row.outcome] ?? 0) + row.n;
      }
      return stats;
    },
  }),
  route({
    method: 'get', path: '/api/v1/mediations/{id}', summary: 'Live state of a case with its timeline', params: caseParams,
    responses: { 200: json(S.MediationCaseSchema, 'the case'), 404: noCase, ...STAFF_ERRORS },
    async handle({ deps: { db, client }, actor, params, req }) {
      return liveOrRegistered(client, await visibleCase(db, actor, params.id), mediationState, req);
    },
  }),
  ...ACTION_ROUTES.map((a) =>
    route({
      method: 'post', path: `/api/v1/mediations/{id}/${a.path}`, summary: a.summary, params: caseParams, body: a.schema,
      responses: {
        200: json(S.MediationCaseSchema, a.answered ?? 'the case after the action'), 404: noCase,
        409: json(S.ErrorSchema, 'the case state does not allow it'), ...STAFF_ERRORS,
      },
      handle: ({ deps, actor, params, body }) => actOnCase(deps, actor, params.id, a, body),
    }),
  ),
];
