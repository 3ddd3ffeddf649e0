import { createHash, randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { z } from 'zod';
import { actorRef, type Actor } from '../domain/actors';
import { areaKind } from '../domain/areas';
import type { Policy } from '../domain/policy';
import { toShanghaiIso } from '../domain/time';
import { findMatterType, type VillageMatter, type VillageStaff, type VillageStaffAction } from '../domain/village';
import type { Db } from '../platform/db';
import { villageAction, villageDecisionWorkflow, villageOpened, villageState, type VillageTransition } from '../workflows/village-decision';
import { allow } from './access';
import { actorOf, mayActIn, requireArea } from './auth';
import { badRequest, conflict, forbidden, fromTemporal, notFound } from './errors';
import { parse } from './mediations';
import * as S from './village-schemas';
import { findInRegister, findVisible, listRegister, liveOrRegistered, afterTransition } from './register';

/**
 * /api/v1/village-decisions: village matters under 四议两公开. The clerks of a village (village_clerk) open and carry
 * their own village's matters; supervisors (and leaders) read the matters inside their area.
 */
export interface VillageDeps {
  client: Client;
  db: Db;
  policy: Policy;
  taskQueue: string;
}

export const MATTER_ID = /^VIL-[0-9A-F]{12}$/;

/** A retried request with the same Idempotency-Key from the same member maps to the same matter id. */
function matterIdFor(actor: Actor, key: string | undefined): string {
  const seed = key ? createHash('sha256').update(`village\n${actor.id}\n${key}`).digest('hex') : randomBytes(6).toString('hex');
  return `VIL-${seed.slice(0, 12).toUpperCase()}`;
}

const staff = (a: Actor): VillageStaff => ({ ...actorRef(a), area: a.area });

interface ActionRoute<T extends z.ZodType> {
  path: string;
  schema: T;
  build(body: z.infer<T>, actor: VillageStaff, params: Record<string, string>): VillageStaffAction;
}
const route = <T extends z.ZodType>(r: ActionRoute<T>) => r as unknown as ActionRoute<z.ZodType>;

/** The clerk's actions: the route, the body schema, and the workflow action it becomes. */
export const VILLAGE_ACTION_ROUTES = [
  route({
    path: 'meetings',
    schema: S.MeetingBody,
    build: (b, actor) => ({ type: 'recordMeeting', actor, meeting: { ...b, heldAt: toShanghaiIso(Date.parse(b.heldAt)) } }),
  }),
  route({
    path: 'rejection-decision',
    schema: S.RejectionDecisionBody,
    build: (b, actor) => ({ type: 'decideAfterRejection', actor, choice: b.choice, reason: b.reason }),
  }),
  route({
    path: 'objections/:objectionId/answer',
    schema: S.AnswerBody,
    build: (b, actor, params) => ({ type: 'answerObjection', actor, objectionId: String(params.objectionId), answer: b.answer }),
  }),
  route({ path: 'progress', schema: S.ProgressBody, build: (b, actor) => ({ type: 'recordProgress', actor, note: b.note }) }),
  route({ path: 'completion', schema: S.CompletionBody, build: (b, actor) => ({ type: 'completeImplementation', actor, result: b.result }) }),
];

const registeredMatter = (db: Db, id: string) => findInRegister<VillageMatter>(db, 'village_decision', id);

const matterAfter = (db: Db, r: VillageMatter | VillageTransition) => afterTransition<VillageMatter>(db, 'village_decision', r);

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
  return findVisible<VillageMatter>(db, 'village_decision', id, MATTER_ID, 'matter', (m) => mayActIn(actor, m.area));
}

/** Opens a matter for a village clerk (the API's POST and the console's form); `fresh` is false for a retried key. */
export async function openVillageDecision(
  deps: VillageDeps,
  actor: Actor,
  key: string | undefined,
  input: unknown,
): Promise<{ matter: VillageMatter; fresh: boolean }> {
  const { client, db, policy, taskQueue } = deps;
  allow(actor, 'POST /api/v1/village-decisions');
  if (key !== undefined && (key.length < 1 || key.length > 200)) throw badRequest('Idempotency-Key: must be 1 to 200 characters');
  const body = parse(S.CreateVillageDecisionBody, input);
  const area = body.area ?? actor.area;
  if (areaKind(area) !== 'village') throw badRequest('area: a village matter belongs to a village: county/township/village');
  requireArea(actor, area);
  if (area !== actor.area) throw forbidden(`a village clerk opens matters of its own village ${actor.area} only`);
  if (findMatterType(body.type)?.money && body.amount === undefined) throw badRequest(`amount: a matter of type ${body.type} involves money`);
  const matterId = matterIdFor(actor, key);
  const now = Date.now();
  const args = {
    matterId, type: body.type, title: body.title, description: body.description, amount: body.amount ?? null,
    attachments: body.attachments ?? [], area, openedBy: staff(actor), openedAt: now, policy: villagePolicy(policy),
  };
  try {
    const r = await client.workflow.executeUpdateWithStart(villageOpened, {
      startWorkflowOperation: new WithStartWorkflowOperation(villageDecisionWorkflow, {
        workflowId: matterId,
        taskQueue,
        args: [args],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    });
    const m = await matterAfter(db, r);
    return { matter: m, fresh: m.openedAt === toShanghaiIso(now) };
  } catch (err) {
    const existing = err instanceof WorkflowExecutionAlreadyStartedError && (await registeredMatter(db, matterId));
    if (!existing) throw err;
    return { matter: existing, fresh: false };
  }
}

/** One of the clerk's actions (VILLAGE_ACTION_ROUTES by path), for the API and the console alike. */
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
  allow(actor, `POST /api/v1/village-decisions/{id}/${r.path.replace(':objectionId', '{objectionId}')}`);
  const body = parse(r.schema, input);
  const m = await visibleMatter(deps.db, actor, id);
  const closedMsg = `事项已办结 (matter ${m.id} is closed)`;
  if (m.finished) throw conflict(closedMsg);
  const action = r.build(body, staff(actor), params);
  try {
    return await matterAfter(deps.db, await deps.client.workflow.getHandle(m.id).executeUpdate(villageAction, { args: [action] }));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError && (await registeredMatter(deps.db, m.id))?.finished) throw conflict(closedMsg);
    throw fromTemporal(err, m.id);
  }
}

export function villageRoutes(deps: VillageDeps): Router {
  const { client, db } = deps;
  const router = Router();

  router.post('/', async (req, res) => {
    const { matter: m, fresh } = await openVillageDecision(deps, actorOf(req), req.header('idempotency-key'), req.body);
    res.status(fresh ? 201 : 200).location(`/api/v1/village-decisions/${m.id}`).json(m);
  });

  /** The register of village matters inside the member's area. */
  router.get('/', async (req, res) => {
    const actor = actorOf(req);
    const q = parse(S.VillageListQuery, req.query, 'query');
    const area = q.area ?? (actor.area === '*' ? undefined : actor.area);
    if (area) requireArea(actor, area);
    const rows = await listRegister<VillageMatter>(db, 'village_decision', { area, status: q.status, category: q.type }, q, [
      'id', 'status', 'area', 'type', 'typeName', 'title', 'amount', 'overdue', 'openedAt', 'deadlines', 'outcome', 'objections',
    ]);
    res.json({
      items: rows.map((m) => ({
        id: m.id, status: m.status, area: m.area, type: m.type, typeName: m.typeName, title: m.title, amount: m.amount,
        overdue: m.overdue, openedAt: m.openedAt, deadlines: m.deadlines, outcome: m.outcome,
        unansweredObjections: m.objections.filter((o) => !o.answer).length,
      })),
      limit: q.limit,
      offset: q.offset,
    });
  });

  router.get('/:id', async (req, res) => {
    const m = await visibleMatter(db, actorOf(req), req.params.id);
    res.json(await liveOrRegistered(client, m, villageState, req));
  });

  for (const r of VILLAGE_ACTION_ROUTES) {
    router.post(`/:id/${r.path}`, async (req: Request, res) => {
      res.json(await performVillageAction(deps, actorOf(req), req.params.id as string, r.path, req.body, req.params as Record<string, string>));
    });
  }

  return router;
}
