import { WithStartWorkflowOperation } from '@temporalio/client';
import { z } from 'zod';
import { actorRef, type Actor } from '../domain/actors';
import { areaKind } from '../domain/areas';
import type { Policy } from '../domain/policy';
import { toShanghaiIso } from '../domain/time';
import { findMatterType, type VillageMatter, type VillageStaff, type VillageStaffAction } from '../domain/village';
import type { Db } from '../platform/db';
import { villageAction, villageDecisionWorkflow, villageOpened, villageState } from '../workflows/village-decision';
import { allow } from './access';
import { mayActIn, requireArea } from './auth';
import { attributesInput, recordIdFor, refuseClosed, sendAction, startRecord, visibleRecord, type Process, type ProcessDeps } from './cases';
import { badRequest, forbidden, notFound } from './errors';
import { listRegister, liveOrRegistered } from './register';
import { INTAKE_KEY, json, parse, reply, route, STAFF_ERRORS, type Route } from './route';
import { ErrorSchema } from './schemas';
import * as S from './village-schemas';

/**
 * /api/v1/village-decisions: village matters under 四议两公开. The clerks of a village (village_clerk) open and carry
 * their own village's matters; supervisors (and leaders) read the matters inside their area.
 */
export type VillageDeps = ProcessDeps;

/** Matters are read inside the member's area; a key's hash is seeded with `village` as it always was. */
export const VILLAGE: Process<VillageMatter> = {
  kind: 'village_decision',
  prefix: 'VIL',
  what: 'matter',
  seed: 'village\n',
  closed: (id) => `事项已办结 (matter ${id} is closed)`,
  mayRead: (actor, m) => mayActIn(actor, m.area),
};

const staff = (a: Actor): VillageStaff => ({ ...actorRef(a), area: a.area });

interface ActionRoute<T extends z.ZodType> {
  /** below /api/v1/village-decisions/{id}/, with OpenAPI's `{param}` */
  path: string;
  summary: string;
  schema: T;
  build(body: z.infer<T>, actor: VillageStaff, params: Record<string, string>): VillageStaffAction;
}
const action = <T extends z.ZodType>(r: ActionRoute<T>) => r as unknown as ActionRoute<z.ZodType>;

/** The clerk's actions: the route, its summary, the body schema, and the workflow action it becomes. */
export const VILLAGE_ACTION_ROUTES = [
  action({
    path: 'meetings',
    summary: "Record the meeting of the current step with when it was announced (noticeGivenAt); quorum, majority and the notice period (villagers' assembly 10 days, party members' assembly 3 days) come from the policy",
    schema: S.MeetingBody,
    build: (b, actor) => ({ type: 'recordMeeting', actor, meeting: { ...b, heldAt: toShanghaiIso(Date.parse(b.heldAt)) } }),
  }),
  action({
    path: 'rejection-decision',
    summary: 'After a rejected vote: end the matter or return it to the proposal step',
    schema: S.RejectionDecisionBody,
    build: (b, actor) => ({ type: 'decideAfterRejection', actor, choice: b.choice, reason: b.reason }),
  }),
  action({
    path: 'objections/{objectionId}/answer',
    summary: 'Answer an objection (each one before implementation starts)',
    schema: S.AnswerBody,
    build: (b, actor, params) => ({ type: 'answerObjection', actor, objectionId: String(params.objectionId), answer: b.answer }),
  }),
  action({
    path: 'progress', summary: 'Record implementation progress',
    schema: S.ProgressBody, build: (b, actor) => ({ type: 'recordProgress', actor, note: b.note }),
  }),
  action({
    path: 'completion', summary: 'Implementation done: publishes the results notice',
    schema: S.CompletionBody, build: (b, actor) => ({ type: 'completeImplementation', actor, result: b.result }),
  }),
];

/**
 * The policy a matter is started with: every section but the petition and mediation rules, which no village rule
 * reads (domain/village.ts, workflows/village-decision.ts), so that each matter's history does not carry them.
 */
export function villagePolicy(policy: Policy): Policy {
  const { petition: _petition, mediation: _mediation, ...rest } = policy;
  return rest as Policy;
}

/** The matter as the area rules allow this member to see it (403 role; 404 alike when unknown or outside the member's
 *  area, so that a stranger learns nothing of which ids exist). */
export async function visibleMatter(db: Db, actor: Actor, id: string): Promise<VillageMatter> {
  allow(actor, 'GET /api/v1/village-decisions/{id}');
  return visibleRecord(db, VILLAGE, actor, id);
}

/** Opens a matter for a village clerk (the API's POST and the console's form); `fresh` is false for a retried key. */
export async function openVillageDecision(
  deps: VillageDeps,
  actor: Actor,
  key: string | undefined,
  input: unknown,
): Promise<{ matter: VillageMatter; fresh: boolean }> {
  allow(actor, 'POST /api/v1/village-decisions');
  return openMatter(deps, actor, key, parse(S.CreateVillageDecisionBody, input));
}

async function openMatter(
  deps: VillageDeps,
  actor: Actor,
  key: string | undefined,
  body: z.infer<typeof S.CreateVillageDecisionBody>,
): Promise<{ matter: VillageMatter; fresh: boolean }> {
  const { client, policy } = deps;
  if (key !== undefined && (key.length < 1 || key.length > 200)) throw badRequest('Idempotency-Key: must be 1 to 200 characters');
  const area = body.area ?? actor.area;
  if (areaKind(area) !== 'village') throw badRequest('area: a village matter belongs to a village: county/township/village');
  requireArea(actor, area);
  if (area !== actor.area) throw forbidden(`a village clerk opens matters of its own village ${actor.area} only`);
  if (findMatterType(body.type)?.money && body.amount === undefined) throw badRequest(`amount: a matter of type ${body.type} involves money`);
  const matterId = recordIdFor(VILLAGE, actor, key);
  const now = Date.now();
  const args = {
    matterId, type: body.type, title: body.title, description: body.description, amount: body.amount ?? null,
    attachments: body.attachments ?? [], area, openedBy: staff(actor), openedAt: now, policy: villagePolicy(policy),
    ...attributesInput(deps),
  };
  const { record, fresh } = await startRecord<VillageMatter>(
    deps,
    VILLAGE,
    matterId,
    (o) => client.workflow.executeUpdateWithStart(villageOpened, {
      startWorkflowOperation: new WithStartWorkflowOperation(villageDecisionWorkflow, { ...o, args: [args] }),
    }),
    (m) => m.openedAt === toShanghaiIso(now),
  );
  return { matter: record, fresh };
}

/** One of the clerk's actions (VILLAGE_ACTION_ROUTES by path), for the console; the API's routes are below. */
export async function performVillageAction(
  deps: VillageDeps,
  actor: Actor,
  id: string,
  path: string,
  input: unknown,
  params: Record<string, string> = {},
): Promise<VillageMatter> {
  const r = VILLAGE_ACTION_ROUTES.find((x) => x.path === path);
  if (!r) throw notFound(`no action ${path}`);
  allow(actor, `POST /api/v1/village-decisions/{id}/${r.path}`);
  return actOnMatter(deps, actor, id, r, parse(r.schema, input), params);
}

async function actOnMatter(
  deps: VillageDeps,
  actor: Actor,
  id: string,
  r: ActionRoute<z.ZodType>,
  body: unknown,
  params: Record<string, string>,
): Promise<VillageMatter> {
  const m = await visibleMatter(deps.db, actor, id);
  refuseClosed(VILLAGE, m);
  const a = r.build(body, staff(actor), params);
  return sendAction<VillageMatter>(deps, VILLAGE, m, (h) => h.executeUpdate(villageAction, { args: [a] }));
}

const matterParams = z.object({ id: z.string().openapi({ example: 'VIL-3F9A0C21D4E7' }) });
const matterAnswer = { description: 'the matter: status, meetings with their votes, notices, objections, deadlines, timeline' };
const stateErrors = {
  404: json(ErrorSchema, 'no such matter'),
  409: json(ErrorSchema, 'the step does not allow it (out of order, too short a notice before the meeting, notice period, objection unanswered)'),
};

/** /api/v1/village-decisions: each route declared once, served and documented from here (api/route.ts). */
export const VILLAGE_ROUTES: Route[] = [
  route({
    method: 'post', path: '/api/v1/village-decisions', summary: 'Open a matter under 四议两公开 (village clerk, in its own village)',
    headers: INTAKE_KEY, body: S.CreateVillageDecisionBody,
    responses: { 201: matterAnswer, 200: { description: 'same Idempotency-Key: the matter already opened' }, ...STAFF_ERRORS },
    async handle({ deps, actor, key, body }) {
      const { matter: m, fresh } = await openMatter(deps, actor, key, body);
      return reply(fresh ? 201 : 200, m, `/api/v1/village-decisions/${m.id}`);
    },
  }),
  /** The register of village matters inside the member's area. */
  route({
    method: 'get', path: '/api/v1/village-decisions', summary: "Village matters inside the member's area (clerks, supervisors)", query: S.VillageListQuery,
    responses: { 200: { description: 'matters' }, ...STAFF_ERRORS },
    async handle({ deps: { db }, actor, query: q }) {
      const area = q.area ?? (actor.area === '*' ? undefined : actor.area);
      if (area) requireArea(actor, area);
      const rows = await listRegister<VillageMatter>(db, 'village_decision', { area, status: q.status, category: q.type }, q, [
        'id', 'status', 'area', 'type', 'typeName', 'title', 'amount', 'overdue', 'openedAt', 'deadlines', 'outcome', 'objections',
      ]);
      return {
        items: rows.map((m) => ({
          id: m.id, status: m.status, area: m.area, type: m.type, typeName: m.typeName, title: m.title, amount: m.amount,
          overdue: m.overdue, openedAt: m.openedAt, deadlines: m.deadlines, outcome: m.outcome,
          unansweredObjections: m.objections.filter((o) => !o.answer).length,
        })),
        limit: q.limit,
        offset: q.offset,
      };
    },
  }),
  route({
    method: 'get', path: '/api/v1/village-decisions/{id}', summary: 'A matter, live', params: matterParams,
    responses: { 200: matterAnswer, ...stateErrors, ...STAFF_ERRORS },
    async handle({ deps: { client, db }, actor, params, req }) {
      return liveOrRegistered(client, await visibleMatter(db, actor, params.id), villageState, req);
    },
  }),
  ...VILLAGE_ACTION_ROUTES.map((a) =>
    route({
      method: 'post', path: `/api/v1/village-decisions/{id}/${a.path}`, summary: a.summary, body: a.schema,
      params: a.path.includes('{objectionId}') ? matterParams.extend({ objectionId: z.string() }) : matterParams,
      responses: { 200: matterAnswer, ...stateErrors, ...STAFF_ERRORS },
      handle: ({ deps, actor, params, body }) => actOnMatter(deps, actor, params.id, a, body, params),
    }),
  ),
];
