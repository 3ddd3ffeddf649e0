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
import type { ActingStaff, MediationCase, OpenMediationInput, StaffAction } from '../domain/mediation';
import { findCategory, type Policy } from '../domain/policy';
import { toShanghaiIso } from '../domain/time';
import { sqlAreaWithin } from '../platform/area-sql';
import type { Db } from '../platform/db';
import { findUsersByIds, toActor } from '../platform/users';
import { mediationAction, mediationOpened, mediationState, mediationWorkflow, type MediationTransition } from '../workflows/mediation';
import { allow } from './access';
import { actorOf, mayActIn, requireArea } from './auth';
import { badRequest, conflict, fromTemporal, fromZod, notFound } from './errors';
import { findInRegister, findVisible, listRegister, liveOrRegistered, afterTransition } from './register';
import * as S from './schemas';

export interface MediationDeps {
  client: Client;
  db: Db;
  policy: Policy;
  taskQueue: string;
}

export function parse<T extends z.ZodType>(schema: T, input: unknown, where = 'body'): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw fromZod(r.error, where);
  return r.data;
}

const CASE_ID = /^MED-[0-9A-F]{12}$/;

/** A retried request with the same Idempotency-Key from the same member maps to the same case id. */
export function caseIdFor(actor: Actor, key: string | undefined, prefix = 'MED'): string {
  const seed = key ? createHash('sha256').update(`${actor.id}\n${key}`).digest('hex') : randomBytes(6).toString('hex');
  return `${prefix}-${seed.slice(0, 12).toUpperCase()}`;
}

export const staff = (a: Actor): ActingStaff => ({ ...actorRef(a), area: a.area, level: a.level, committee: a.committee ?? null });

/** Staff actions: the route, the body schema, and the workflow action it becomes (who may call it: api/access.ts). */
interface ActionRoute<T extends z.ZodType> {
  path: string;
  schema: T;
  build(body: z.infer<T>, actor: ActingStaff, deps: MediationDeps): Promise<StaffAction> | StaffAction;
}
const route = <T extends z.ZodType>(r: ActionRoute<T>) => r as unknown as ActionRoute<z.ZodType>;

export const ACTION_ROUTES = [
  route({ path: 'accept', schema: S.AcceptBody, build: (b, actor) => ({ type: 'accept', actor, note: b.note }) }),
  route({
    path: 'assign',
   
    schema: S.AssignBody,
    async build(b, actor, { db }) {
      const users = await findUsersByIds(db, b.mediatorIds);
      const missing = b.mediatorIds.filter((id) => !users.some((u) => u.id === id));
      if (missing.length > 0) throw badRequest(`mediatorIds: no staff member ${missing.join(', ')}`);
      return { type: 'assign', actor, mediators: users.map((u) => staff(toActor(u))) };
    },
  }),
  route({ path: 'sessions', schema: S.SessionBody, build: (b, actor) => ({ type: 'recordSession', actor, heldAt: toShanghaiIso(Date.parse(b.heldAt)), summary: b.summary }) }),
  route({ path: 'escalate', schema: S.EscalateBody, build: (b, actor) => ({ type: 'requestEscalation', actor, reason: b.reason }) }),
  route({ path: 'agreement', schema: S.AgreementBody, build: (b, actor) => ({ type: 'recordAgreement', actor, agreement: b }) }),
  route({ path: 'failure', schema: S.FailureBody, build: (b, actor) => ({ type: 'recordFailure', actor, reason: b.reason, route: b.route }) }),
  route({ path: 'withdrawal', schema: S.PartyEndBody, build: (b, actor) => ({ type: 'recordWithdrawal', actor, party: b.party, reason: b.reason }) }),
  route({ path: 'refusal', schema: S.PartyEndBody, build: (b, actor) => ({ type: 'recordRefusal', actor, party: b.party, reason: b.reason }) }),
  route({ path: 'urge', schema: S.UrgeBody, build: (b, actor) => ({ type: 'urge', actor, message: b.message }) }),
  route({ path: 'explanation', schema: S.ExplanationBody, build: (b, actor) => ({ type: 'explain', actor, explanation: b.explanation, targetDate: b.targetDate }) }),
  route({ path: 'judicial-confirmation', schema: S.JudicialBody, build: (b, actor) => ({ type: 'judicialConfirmation', actor, status: b.status }) }),
  route({ path: 'follow-up', schema: S.FollowUpBody, build: (b, actor) => ({ type: 'recordFollowUp', actor, performed: b.performed, notes: b.notes, next: b.next }) }),
];

/**
 * The policy a mediation case is started with: every section but the petition and village rules, which no mediation
 * rule reads (domain/mediation.ts, workflows/mediation.ts), so that each case's history does not carry them.
 */
export function mediationPolicy(policy: Policy): Policy {
  const { petition: _petition, village: _village, ...rest } = policy;
  return rest as Policy;
}

const caseAfter = (db: Db, r: MediationCase | MediationTransition) => afterTransition<MediationCase>(db, 'mediation', r);

/**
 * Starts a case (or, for a retried id, finds it) and answers once it is in the register. Also used by the petition
 * API to transfer a petition to mediation (访调对接).
 */
export async function startMediationCase(
  deps: MediationDeps,
  input: Omit<OpenMediationInput, 'reportedAt' | 'policy'>,
): Promise<{ case: MediationCase; fresh: boolean }> {
  const now = Date.now();
  try {
    const r = await deps.client.workflow.executeUpdateWithStart(mediationOpened, {
      startWorkflowOperation: new WithStartWorkflowOperation(mediationWorkflow, {
        workflowId: input.caseId,
        taskQueue: deps.taskQueue,
        args: [{ ...input, reportedAt: now, policy: mediationPolicy(deps.policy) }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    });
    const c = await caseAfter(deps.db, r);
    return { case: c, fresh: c.openedAt === toShanghaiIso(now) };
  } catch (err) {
    // Same id, but the case's workflow has already ended: answer with the case from the register.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw fromTemporal(err, input.caseId);
    const existing = await findInRegister<MediationCase>(deps.db, 'mediation', input.caseId);
    if (!existing) throw err;
    return { case: existing, fresh: false };
  }
}

/** The case as its area rules allow this member to see it: 404 alike when unknown or outside the member's area, so
 *  that a stranger learns nothing of which ids exist. */
export function visibleCase(db: Db, actor: Actor, id: string): Promise<MediationCase> {
  return findVisible<MediationCase>(db, 'mediation', id, CASE_ID, 'case', (c) => mayActIn(actor, c.area));
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
  if (key !== undefined && (key.length < 1 || key.length > 200)) throw badRequest('Idempotency-Key: must be 1 to 200 characters');
  const body = parse(S.CreateMediationBody, input);
  if (!findCategory(deps.policy, body.category)) {
    throw badRequest(`category: unknown category ${body.category}; one of ${deps.policy.mediation.categories.map((c) => c.code).join(', ')}`);
  }
  if (areaKind(body.area) !== 'village') throw badRequest('area: a dispute is reported in a village: county/township/village');
  requireArea(actor, body.area);
  return startMediationCase(deps, { caseId: caseIdFor(actor, key), ...body, reportedBy: actorRef(actor) });
}

/**
 * One staff action on a case (the API's POST /mediations/:id/<path> and the console's forms): role, body, area, then
 * the workflow's update, whose validator runs the domain check (checkMediationAction).
 */
export async function performMediationAction(deps: MediationDeps, actor: Actor, id: string, path: string, input: unknown): Promise<MediationCase> {
  const r = ACTION_ROUTES.find((x) => x.path === path);
  if (!r) throw notFound(`no action ${path}`);
  allow(actor, `POST /api/v1/mediations/{id}/${r.path}`);
  const body = parse(r.schema, input);
  const c = await visibleCase(deps.db, actor, id);
  const finishedMsg = `案件已办结 (case ${c.id} is finished)`;
  if (c.finished) throw conflict(finishedMsg);
  const action = await r.build(body, staff(actor), deps);
  try {
    return await caseAfter(deps.db, await deps.client.workflow.getHandle(c.id).executeUpdate(mediationAction, { args: [action] }));
  } catch (err) {
    // The workflow may have finished between the read and the update.
    if (err instanceof WorkflowNotFoundError && (await findInRegister<MediationCase>(deps.db, 'mediation', c.id))?.finished) throw conflict(finishedMsg);
    throw fromTemporal(err, c.id);
  }
}

export function mediationRoutes(deps: MediationDeps): Router {
  const { client, db, policy } = deps;
  const router = Router();

  router.post('/', async (req, res) => {
    const { case: c, fresh } = await reportDispute(deps, actorOf(req), req.header('idempotency-key'), req.body);
    res.status(fresh ? 201 : 200).location(`/api/v1/mediations/${c.id}`).json(c);
  });

  /** The register, filtered, inside the member's area (supervisors' view of every case). */
  router.get('/', async (req, res) => {
    const actor = actorOf(req);
    const q = parse(S.ListQuery, req.query, 'query');
    const area = q.area ?? (actor.area === '*' ? undefined : actor.area);
    if (area) requireArea(actor, area);
    const rows = await listRegister<MediationCase>(
      db,
      'mediation',
      { area, status: q.status, level: q.level, category: q.category, overdue: q.overdue === undefined ? undefined : q.overdue === 'true' },
      q,
      ['id', 'status', 'level', 'area', 'category', 'categoryName', 'summary', 'overdue', 'openedAt', 'deadlines', 'outcome'],
    );
    res.json({
      items: rows.map((c) => ({
        id: c.id, status: c.status, level: c.level, area: c.area, category: c.category, categoryName: c.categoryName,
        summary: c.summary, overdue: c.overdue, openedAt: c.openedAt, deadlines: c.deadlines, outcome: c.outcome?.kind ?? null,
      })),
      limit: q.limit,
      offset: q.offset,
    });
  });

  /** Statistics for supervisors: counts by level and status, overdue, outcomes, inside the member's area. */
  router.get('/stats', async (req, res) => {
    const actor = actorOf(req);
    const q = parse(S.ListQuery.pick({ area: true }), req.query, 'query');
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
    res.json(stats);
  });

  router.get('/:id', async (req, res) => {
    const actor = actorOf(req);
    const c = await visibleCase(db, actor, req.params.id);
    res.json(await liveOrRegistered(client, c, mediationState, req));
  });

  for (const r of ACTION_ROUTES) {
    router.post(`/:id/${r.path}`, async (req: Request, res) => {
      res.json(await performMediationAction(deps, actorOf(req), req.params.id as string, r.path, req.body));
    });
  }

  return router;
}
