import { WithStartWorkflowOperation } from '@temporalio/client';
import { z } from 'zod';
import { actorRef, type Actor } from '../domain/actors';
import { areaSegments } from '../domain/areas';
import { findCategory, type Policy } from '../domain/policy';
import {
  checkPetitionAction,
  mediationIdForPetition,
  mediationInputFor,
  type Petition,
  type PetitionStaffAction,
} from '../domain/petition';
import { toShanghaiIso } from '../domain/time';
import type { Db } from '../platform/db';
import { countyScheduleEnsurer } from '../platform/schedules';
import { findUsersByIds } from '../platform/users';
import { petitionAction, petitionRegistered, petitionState, petitionWorkflow } from '../workflows/petition';
import { mediationOpened } from '../workflows/mediation';
import { allow } from './access';
import { mayActIn, requireArea } from './auth';
import { attributesInput, recordIdFor, refuseClosed, sendAction, startRecord, visibleRecord, type Process, type ProcessDeps } from './cases';
import { badRequest, conflict, notFound } from './errors';
import { startMediationCase } from './mediations';
import * as S from './petition-schemas';
import { listRegister, liveOrRegistered, type RegisterFilter } from './register';
import { json, parse, reply, route, STAFF_ERRORS, type Route } from './route';
import { ErrorSchema } from './schemas';

export type PetitionDeps = ProcessDeps;

interface PetitionRoute<T extends z.ZodType> {
  path: string;
  summary: string;
  schema: T;
  build(body: z.infer<T>, actor: Actor, p: Petition, deps: PetitionDeps): Promise<PetitionStaffAction> | PetitionStaffAction;
}
const action = <T extends z.ZodType>(r: PetitionRoute<T>) => r as unknown as PetitionRoute<z.ZodType>;

/**
 * Petitions hold the petitioner's contact details and the reply: they are read by petition officers inside their
 * area and by the leader responsible for them (包案领导), whatever its area; nobody else (README, API table).
 */
export function requireReader(actor: Actor, _what?: string): void {
  allow(actor, 'GET /api/v1/petitions');
}
export const mayReadPetition = (actor: Actor, p: Petition): boolean =>
  actor.role === 'leader' ? p.leader?.id === actor.id : mayActIn(actor, p.area);

/** Petitions are read by officers inside their area and by their own leader. */
export const PETITION: Process<Petition> = {
  kind: 'petition',
  prefix: 'PET',
  what: 'petition',
  seed: '',
  closed: (id) => `信访事项已办结 (petition ${id} is closed)`,
  mayRead: mayReadPetition,
};

/** 403 for a role that reads no petitions; 404 for one the member may not read, as for an unknown id. */
export async function visiblePetition(db: Db, actor: Actor, id: string): Promise<Petition> {
  requireReader(actor, 'petitions');
  return visibleRecord(db, PETITION, actor, id);
}

/** Which part of the register a member's list covers: a leader its own petitions, an officer its area (or a part of it). */
export function petitionListScope(actor: Actor, area?: string): RegisterFilter {
  const within = area ?? (actor.area === '*' ? '' : actor.area);
  if (within) requireArea(actor, within);
  return { area: within || undefined, leaderId: actor.role === 'leader' ? actor.id : undefined };
}

/**
 * The policy a petition is started with: every section but the village rules, which no petition rule reads
 * (domain/petition.ts; the mediation rules stay, for a transfer to mediation), so that each petition's history does
 * not carry them.
 */
export function petitionPolicy(policy: Policy): Policy {
  const { village: _village, ...rest } = policy;
  return rest;
}

/** Staff steps on a petition: the route and the workflow action its body becomes. */
export const ACTION_ROUTES = [
  action({ path: 'assign', summary: 'Forward or assign to a unit (within 15 days)', schema: S.AssignBody, build: (b, a) => ({ type: 'assign', actor: actorRef(a), unit: { name: b.unit, headName: b.unitHead } }) }),
  action({ path: 'accept', summary: "The unit's written acceptance notice (within 15 days)", schema: S.AcceptBody, build: (b, a) => ({ type: 'accept', actor: actorRef(a), notice: b.notice }) }),
  action({ path: 'objection', summary: 'The unit is not competent (within 5 working days): back for re-assignment', schema: S.ObjectBody, build: (b, a) => ({ type: 'object', actor: actorRef(a), reasons: b.reasons }) }),
  action({
    path: 'leader', summary: 'Name or change the responsible leader (包案领导)',
    schema: S.LeaderBody,
    async build(b, a, _p, { db }) {
      const [leader] = await findUsersByIds(db, [b.leaderId]);
      if (!leader || leader.role !== 'leader') throw badRequest(`leaderId: ${b.leaderId} is not a leader`);
      return { type: 'assignLeader', actor: actorRef(a), leader: { id: leader.id, name: leader.name, role: leader.role } };
    },
  }),
  action({ path: 'extension', summary: 'One extension of at most 30 days, approved by the unit head', schema: S.ExtendBody, build: (b, a) => ({ type: 'extend', actor: actorRef(a), ...b }) }),
  action({ path: 'reply', summary: 'The written reply (答复意见书): archived and mailed', schema: S.ReplyBody, build: (b, a) => ({ type: 'reply', actor: actorRef(a), ...b }) }),
  action({ path: 'review-request', summary: 'Review (复查) requested within 30 days of the reply', schema: S.ReasonBody, build: (b, a) => ({ type: 'requestReview', actor: actorRef(a), reason: b.reason }) }),
  action({ path: 'review-answer', summary: 'The review answer (within 30 days)', schema: S.OpinionBody, build: (b, a) => ({ type: 'answerReview', actor: actorRef(a), opinion: b.opinion }) }),
  action({ path: 're-review-request', summary: 'Re-review (复核) requested within 30 days of the review answer', schema: S.ReasonBody, build: (b, a) => ({ type: 'requestReReview', actor: actorRef(a), reason: b.reason }) }),
  action({ path: 'hearing-start', summary: 'A hearing starts: the re-review clock pauses', schema: S.EmptyBody, build: (_b, a) => ({ type: 'startHearing', actor: actorRef(a) }) }),
  action({ path: 'hearing-end', summary: 'The hearing ends: the clock resumes', schema: S.EmptyBody, build: (_b, a) => ({ type: 'endHearing', actor: actorRef(a) }) }),
  action({ path: 're-review-answer', summary: 'The re-review answer: the petition closes for good', schema: S.OpinionBody, build: (b, a) => ({ type: 'answerReReview', actor: actorRef(a), opinion: b.opinion }) }),
  action({
    path: 'transfer-to-mediation', summary: 'Transfer a civil dispute to mediation (访调对接)',
    schema: S.TransferBody,
    async build(b, a, p, deps) {
      const { policy } = deps;
      if (!findCategory(policy, b.category)) throw badRequest(`category: unknown category ${b.category}`);
      if (b.area.split('/').length !== 3) throw badRequest('area: the village where the dispute arose: county/township/village');
      requireArea(a, b.area);
      if (p.linkedMediation) throw conflict(`已转入调解 ${p.linkedMediation.id} (already transferred)`);
      // One case per petition, whoever transfers it and however often the request is retried.
      const mediationId = mediationIdForPetition(p.id);
      const action: PetitionStaffAction = { type: 'transferToMediation', actor: actorRef(a), mediationId, referral: b };
      if (p.transferHoldsClock) return action; // the petition workflow starts the case once it has taken the transfer
      // A petition registered before that rule: check the transfer first, then start the case, then link it.
      try {
        checkPetitionAction(p, action, Date.now(), policy);
      } catch (err) {
        throw conflict((err as Error).message);
      }
      await startMediationCase(deps, mediationInputFor(p, b, a, Date.now(), policy));
      return { type: 'transferToMediation', actor: actorRef(a), mediationId };
    },
  }),
];

/**
 * One staff step on a petition (the console's forms; the API's routes below): role, body, who may read the petition,
 * then the workflow's update, whose validator runs the domain check (checkPetitionAction).
 */
export async function performPetitionAction(deps: PetitionDeps, actor: Actor, id: string, path: string, input: unknown): Promise<Petition> {
  const r = ACTION_ROUTES.find((x) => x.path === path);
  if (!r) throw notFound(`no action ${path}`);
  allow(actor, `POST /api/v1/petitions/{id}/${r.path}`);
  return actOnPetition(deps, actor, id, r, parse(r.schema, input));
}

async function actOnPetition(deps: PetitionDeps, actor: Actor, id: string, r: PetitionRoute<z.ZodType>, body: unknown): Promise<Petition> {
  const { client, db, policy } = deps;
  const p = await visiblePetition(db, actor, id);
  /** A closed petition's refusal names the step's own reason when the domain gives one (a time limit, say). */
  const closed = (q: Petition, a: PetitionStaffAction) => {
    try {
      checkPetitionAction(q, a, Date.now(), policy);
    } catch (err) {
      return conflict((err as Error).message);
    }
    return conflict(PETITION.closed(q.id));
  };
  if (p.finished && r.path !== 'transfer-to-mediation') throw closed(p, await r.build(body, actor, p, deps));
  refuseClosed(PETITION, p);
  const action = await r.build(body, actor, p, deps);
  return sendAction<Petition>(
    deps,
    PETITION,
    p,
    async (h) => {
      const after = await h.executeUpdate(petitionAction, { args: [action] });
      // The petition started its mediation case: answer once that case is in the register too.
      if (action.type === 'transferToMediation' && p.transferHoldsClock) {
        await client.workflow.getHandle(action.mediationId).executeUpdate(mediationOpened);
      }
      return after;
    },
    (now) => closed(now, action),
  );
}

/**
 * Registers a petition (the API's POST /petitions and the console's form): role, body, area, the re-review bar, the
 * county's meeting schedule, then update-with-start; a repeated key finds the petition it registered.
 */
export async function registerPetition(
  deps: PetitionDeps,
  actor: Actor,
  key: string | undefined,
  input: unknown,
  ensureMeeting: (county: string) => Promise<void>,
): Promise<{ petition: Petition; created: boolean }> {
  allow(actor, 'POST /api/v1/petitions');
  return openPetition(deps, actor, key, parse(S.RegisterPetitionBody, input), ensureMeeting);
}

async function openPetition(
  deps: PetitionDeps,
  actor: Actor,
  key: string | undefined,
  body: z.infer<typeof S.RegisterPetitionBody>,
  ensureMeeting: (county: string) => Promise<void>,
): Promise<{ petition: Petition; created: boolean }> {
  const { client, db, policy } = deps;
  requireArea(actor, body.area);
  // The same matter on the same facts, after re-review (复核), is not accepted again.
  const done = await db.query<{ id: string }>(
    `SELECT id FROM cases WHERE kind = 'petition' AND (snapshot->>'reReviewCompleted')::boolean
        AND snapshot->'petitioner'->>'name' = $1 AND snapshot->>'subject' = $2 LIMIT 1`,
    [body.petitioner.name, body.subject],
  );
  if (done.rows[0]) {
    throw conflict(
      `同一事项已经复核终结（${done.rows[0].id}），以同一事实和理由提出的信访不再受理 ` +
        `(the same matter completed re-review in ${done.rows[0].id}; it is not accepted again)`,
    );
  }
  await ensureMeeting(areaSegments(body.area)[0]);
  const petitionId = recordIdFor(PETITION, actor, key);
  const now = Date.now();
  const start = { petitionId, ...body, registeredBy: actorRef(actor), registeredAt: now, policy: petitionPolicy(policy), ...attributesInput(deps) };
  const { record, fresh } = await startRecord<Petition>(
    deps,
    PETITION,
    petitionId,
    (o) => client.workflow.executeUpdateWithStart(petitionRegistered, {
      startWorkflowOperation: new WithStartWorkflowOperation(petitionWorkflow, { ...o, args: [start] }),
    }),
    (p) => p.registeredAt === toShanghaiIso(now),
  );
  return { petition: record, created: fresh };
}

/** Every county with petitions has its weekly dispatch meeting: the first petition of a county schedules it (one per app). */
const ensurers = new WeakMap<object, (county: string) => Promise<void>>();
function ensureMeetingOf(deps: PetitionDeps): (county: string) => Promise<void> {
  let e = ensurers.get(deps);
  if (!e) ensurers.set(deps, (e = countyScheduleEnsurer(deps.client, deps.taskQueue, deps.policy)));
  return e;
}

const petitionParams = z.object({ id: z.string().openapi({ example: 'PET-3F9A0C21D4E7' }) });
const petitionAnswer = { description: 'the petition (state, deadlines, timeline)', content: { 'application/json': { schema: z.object({}).passthrough() } } };
const noPetition = json(ErrorSchema, 'no such petition');

/** /api/v1/petitions: each route declared once, served and documented from here (api/route.ts). */
export const PETITION_ROUTES: Route[] = [
  route({
    method: 'post', path: '/api/v1/petitions', summary: 'Register a petition (petition officer, inside its area)', body: S.RegisterPetitionBody,
    responses: { 201: petitionAnswer, 409: json(ErrorSchema, 'the same matter completed re-review'), ...STAFF_ERRORS },
    async handle({ deps, actor, key, body }) {
      const { petition: p, created } = await openPetition(deps, actor, key, body, ensureMeetingOf(deps));
      return reply(created ? 201 : 200, p, `/api/v1/petitions/${p.id}`);
    },
  }),
  route({
    method: 'get', path: '/api/v1/petitions', summary: 'Petitions inside your area; a leader sees those it is responsible for', query: S.PetitionListQuery,
    responses: { 200: { description: 'petitions' }, ...STAFF_ERRORS },
    async handle({ deps: { db }, actor, query: q }) {
      const rows = await listRegister<Petition>(
        db,
        'petition',
        { ...petitionListScope(actor, q.area), status: q.status, overdue: q.overdue === undefined ? undefined : q.overdue === 'true' },
        q,
        ['id', 'subject', 'petitioner', 'area', 'status', 'overdue', 'leader', 'unit', 'deadlines', 'registeredAt'],
      );
      return {
        items: rows.map((p) => ({
          id: p.id, subject: p.subject, petitioner: p.petitioner.name, area: p.area, status: p.status, overdue: p.overdue,
          leader: p.leader, unit: p.unit, deadlines: p.deadlines, registeredAt: p.registeredAt,
        })),
        limit: q.limit,
        offset: q.offset,
      };
    },
  }),
  route({
    method: 'get', path: '/api/v1/petitions/{id}', summary: 'A petition with its deadlines and timeline', params: petitionParams,
    responses: { 200: petitionAnswer, 404: noPetition, ...STAFF_ERRORS },
    async handle({ deps: { client, db }, actor, params, req }) {
      return liveOrRegistered(client, await visiblePetition(db, actor, params.id), petitionState, req);
    },
  }),
  route({
    method: 'get', path: '/api/v1/petitions/{id}/documents', summary: 'Archived documents (答复意见书)', params: petitionParams,
    responses: { 200: { description: 'documents' }, ...STAFF_ERRORS },
    async handle({ deps: { db }, actor, params }) {
      const p = await visiblePetition(db, actor, params.id);
      const r = await db.query<{ id: string; kind: string; title: string; body: string; created_at: Date }>(
        'SELECT id, kind, title, body, created_at FROM documents WHERE case_id = $1 ORDER BY created_at',
        [p.id],
      );
      return { items: r.rows.map((d) => ({ id: d.id, kind: d.kind, title: d.title, body: d.body, createdAt: toShanghaiIso(d.created_at) })) };
    },
  }),
  ...ACTION_ROUTES.map((a) =>
    route({
      method: 'post', path: `/api/v1/petitions/{id}/${a.path}`, summary: a.summary, params: petitionParams, body: a.schema,
      responses: { 200: petitionAnswer, 404: noPetition, 409: json(ErrorSchema, 'the state or a time limit does not allow it'), ...STAFF_ERRORS },
      handle: ({ deps, actor, params, body }) => actOnPetition(deps, actor, params.id, a, body),
    }),
  ),
];
