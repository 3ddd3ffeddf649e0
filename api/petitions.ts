import { Router, type Request } from 'express';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { z } from 'zod';
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
import { petitionAction, petitionRegistered, petitionState, petitionWorkflow, type PetitionTransition } from '../workflows/petition';
import { allow } from './access';
import { actorOf, mayActIn, requireArea } from './auth';
import { badRequest, conflict, fromTemporal, notFound } from './errors';
import { caseIdFor, parse, startMediationCase } from './mediations';
import { mediationOpened } from '../workflows/mediation';
import * as S from './petition-schemas';
import { findInRegister, findVisible, listRegister, liveOrRegistered, type RegisterFilter, afterTransition } from './register';

export interface PetitionDeps {
  client: Client;
  db: Db;
  policy: Policy;
  taskQueue: string;
}

const PETITION_ID = /^PET-[0-9A-F]{12}$/;

interface PetitionRoute<T extends z.ZodType> {
  path: string;
  schema: T;
  build(body: z.infer<T>, actor: Actor, p: Petition, deps: PetitionDeps): Promise<PetitionStaffAction> | PetitionStaffAction;
}
const route = <T extends z.ZodType>(r: PetitionRoute<T>) => r as unknown as PetitionRoute<z.ZodType>;

/**
 * Petitions hold the petitioner's contact details and the reply: they are read by petition officers inside their
 * area and by the leader responsible for them (包案领导), whatever its area; nobody else (README, API table).
 */
export function requireReader(actor: Actor, _what?: string): void {
  allow(actor, 'GET /api/v1/petitions');
}
export const mayReadPetition = (actor: Actor, p: Petition): boolean =>
  actor.role === 'leader' ? p.leader?.id === actor.id : mayActIn(actor, p.area);

/** 403 for a role that reads no petitions; 404 for one the member may not read, as for an unknown id. */
export async function visiblePetition(db: Db, actor: Actor, id: string): Promise<Petition> {
  requireReader(actor, 'petitions');
  return findVisible<Petition>(db, 'petition', id, PETITION_ID, 'petition', (p) => mayReadPetition(actor, p));
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

const petitionAfter = (db: Db, r: Petition | PetitionTransition) => afterTransition<Petition>(db, 'petition', r);

/** Staff steps on a petition: the route and the workflow action its body becomes. */
export const ACTION_ROUTES = [
  route({ path: 'assign', schema: S.AssignBody, build: (b, a) => ({ type: 'assign', actor: actorRef(a), unit: { name: b.unit, headName: b.unitHead } }) }),
  route({ path: 'accept', schema: S.AcceptBody, build: (b, a) => ({ type: 'accept', actor: actorRef(a), notice: b.notice }) }),
  route({ path: 'objection', schema: S.ObjectBody, build: (b, a) => ({ type: 'object', actor: actorRef(a), reasons: b.reasons }) }),
  route({
    path: 'leader',
    schema: S.LeaderBody,
    async build(b, a, _p, { db }) {
      const [leader] = await findUsersByIds(db, [b.leaderId]);
      if (!leader || leader.role !== 'leader') throw badRequest(`leaderId: ${b.leaderId} is not a leader`);
      return { type: 'assignLeader', actor: actorRef(a), leader: { id: leader.id, name: leader.name, role: leader.role } };
    },
  }),
  route({ path: 'extension', schema: S.ExtendBody, build: (b, a) => ({ type: 'extend', actor: actorRef(a), ...b }) }),
  route({ path: 'reply', schema: S.ReplyBody, build: (b, a) => ({ type: 'reply', actor: actorRef(a), ...b }) }),
  route({ path: 'review-request', schema: S.ReasonBody, build: (b, a) => ({ type: 'requestReview', actor: actorRef(a), reason: b.reason }) }),
  route({ path: 'review-answer', schema: S.OpinionBody, build: (b, a) => ({ type: 'answerReview', actor: actorRef(a), opinion: b.opinion }) }),
  route({ path: 're-review-request', schema: S.ReasonBody, build: (b, a) => ({ type: 'requestReReview', actor: actorRef(a), reason: b.reason }) }),
  route({ path: 'hearing-start', schema: S.EmptyBody, build: (_b, a) => ({ type: 'startHearing', actor: actorRef(a) }) }),
  route({ path: 'hearing-end', schema: S.EmptyBody, build: (_b, a) => ({ type: 'endHearing', actor: actorRef(a) }) }),
  route({ path: 're-review-answer', schema: S.OpinionBody, build: (b, a) => ({ type: 'answerReReview', actor: actorRef(a), opinion: b.opinion }) }),
  route({
    path: 'transfer-to-mediation',
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
 * One staff step on a petition (the API's POST /petitions/:id/<path> and the console's forms): role, body, who may
 * read the petition, then the workflow's update, whose validator runs the domain check (checkPetitionAction).
 */
export async function performPetitionAction(deps: PetitionDeps, actor: Actor, id: string, path: string, input: unknown): Promise<Petition> {
  const { client, db, policy } = deps;
  const r = ACTION_ROUTES.find((x) => x.path === path);
  if (!r) throw notFound(`no action ${path}`);
  allow(actor, `POST /api/v1/petitions/{id}/${r.path}`);
  const body = parse(r.schema, input);
  const p = await visiblePetition(db, actor, id);
  const closed = (q: Petition, a: PetitionStaffAction) => {
    try {
      checkPetitionAction(q, a, Date.now(), policy);
    } catch (err) {
      return conflict((err as Error).message);
    }
    return conflict(`信访事项已办结 (petition ${q.id} is closed)`);
  };
  if (p.finished && r.path !== 'transfer-to-mediation') throw closed(p, await r.build(body, actor, p, deps));
  if (p.finished) throw conflict(`信访事项已办结 (petition ${p.id} is closed)`);
  const action = await r.build(body, actor, p, deps);
  try {
    const after = await petitionAfter(db, await client.workflow.getHandle(p.id).executeUpdate(petitionAction, { args: [action] }));
    // The petition started its mediation case: answer once that case is in the register too.
    if (action.type === 'transferToMediation' && after.transferHoldsClock) {
      await client.workflow.getHandle(action.mediationId).executeUpdate(mediationOpened);
    }
    return after;
  } catch (err) {
    const now = err instanceof WorkflowNotFoundError ? await findInRegister<Petition>(db, 'petition', p.id) : undefined;
    if (now?.finished) throw closed(now, action);
    throw fromTemporal(err, p.id);
  }
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
  const { client, db, policy, taskQueue } = deps;
  allow(actor, 'POST /api/v1/petitions');
  const body = parse(S.RegisterPetitionBody, input);
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
  const petitionId = caseIdFor(actor, key, 'PET');
  const now = Date.now();
  const start = { petitionId, ...body, registeredBy: actorRef(actor), registeredAt: now, policy: petitionPolicy(policy) };
  try {
    const r = await client.workflow.executeUpdateWithStart(petitionRegistered, {
      startWorkflowOperation: new WithStartWorkflowOperation(petitionWorkflow, {
        workflowId: petitionId,
        taskQueue,
        args: [start],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    });
    const p = await petitionAfter(db, r);
    return { petition: p, created: p.registeredAt === toShanghaiIso(now) };
  } catch (err) {
    const existing = err instanceof WorkflowExecutionAlreadyStartedError && (await findInRegister<Petition>(db, 'petition', petitionId));
    if (!existing) throw err;
    return { petition: existing, created: false };
  }
}

export function petitionRoutes(deps: PetitionDeps): Router {
  const { client, db, policy, taskQueue } = deps;
  const router = Router();

  /** Every county with petitions has its weekly dispatch meeting: the first petition of a county schedules it. */
  const ensureMeeting = countyScheduleEnsurer(client, taskQueue, policy);

  const visible = (actor: Actor, id: string) => visiblePetition(db, actor, id);

  router.post('/', async (req, res) => {
    const { petition: p, created } = await registerPetition(deps, actorOf(req), req.header('idempotency-key'), req.body, ensureMeeting);
    res.status(created ? 201 : 200).location(`/api/v1/petitions/${p.id}`).json(p);
  });

  router.get('/', async (req, res) => {
    const actor = actorOf(req);
    requireReader(actor, 'petitions');
    const q = parse(S.PetitionListQuery, req.query, 'query');
    const rows = await listRegister<Petition>(
      db,
      'petition',
      { ...petitionListScope(actor, q.area), status: q.status, overdue: q.overdue === undefined ? undefined : q.overdue === 'true' },
      q,
      ['id', 'subject', 'petitioner', 'area', 'status', 'overdue', 'leader', 'unit', 'deadlines', 'registeredAt'],
    );
    res.json({
      items: rows.map((p) => ({
        id: p.id, subject: p.subject, petitioner: p.petitioner.name, area: p.area, status: p.status, overdue: p.overdue,
        leader: p.leader, unit: p.unit, deadlines: p.deadlines, registeredAt: p.registeredAt,
      })),
      limit: q.limit,
      offset: q.offset,
    });
  });

  router.get('/:id', async (req, res) => {
    const p = await visible(actorOf(req), req.params.id);
    res.json(await liveOrRegistered(client, p, petitionState, req));
  });

  router.get('/:id/documents', async (req, res) => {
    const p = await visible(actorOf(req), req.params.id);
    const r = await db.query<{ id: string; kind: string; title: string; body: string; created_at: Date }>(
      'SELECT id, kind, title, body, created_at FROM documents WHERE case_id = $1 ORDER BY created_at',
      [p.id],
    );
    res.json({ items: r.rows.map((d) => ({ id: d.id, kind: d.kind, title: d.title, body: d.body, createdAt: toShanghaiIso(d.created_at) })) });
  });

  for (const r of ACTION_ROUTES) {
    router.post(`/:id/${r.path}`, async (req: Request, res) => {
      res.json(await performPetitionAction(deps, actorOf(req), req.params.id as string, r.path, req.body));
    });
  }
  return router;
}
