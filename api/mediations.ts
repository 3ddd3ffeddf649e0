import { createHash, randomBytes } from 'node:crypto';
import { Router } from 'express';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { actorRef, type Actor } from '../domain/actors';
import { areaKind } from '../domain/areas';
import type { ActingStaff, MediationCase } from '../domain/mediation';
import { findCategory, type Policy } from '../domain/policy';
import { toShanghaiIso } from '../domain/time';
import type { Db } from '../platform/db';
import { acceptCase, mediationOpened, mediationState, mediationWorkflow, recordAgreement } from '../workflows/mediation';
import { actorOf, mayActIn, requireArea, requireRole } from './auth';
import { badRequest, conflict, forbidden, fromTemporal, fromZod, notFound } from './errors';
import { AcceptBody, AgreementBody, CreateMediationBody } from './schemas';
import type { z } from 'zod';

export interface MediationDeps {
  client: Client;
  db: Db;
  policy: Policy;
  taskQueue: string;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw fromZod(r.error, 'body');
  return r.data;
}

const CASE_ID = /^MED-[0-9A-F]{12}$/;

/** A retried request with the same Idempotency-Key from the same member maps to the same case id. */
function caseIdFor(actor: Actor, key: string | undefined): string {
  const seed = key ? createHash('sha256').update(`${actor.id}\n${key}`).digest('hex') : randomBytes(6).toString('hex');
  return `MED-${seed.slice(0, 12).toUpperCase()}`;
}

const staff = (a: Actor): ActingStaff => ({ ...actorRef(a), area: a.area, level: a.level, committee: a.committee ?? null });

export function mediationRoutes({ client, db, policy, taskQueue }: MediationDeps): Router {
  const router = Router();

  async function registered(id: string): Promise<MediationCase | undefined> {
    const r = await db.query<{ snapshot: MediationCase }>(`SELECT snapshot FROM cases WHERE id = $1 AND kind = 'mediation'`, [id]);
    return r.rows[0]?.snapshot;
  }

  /** The case as its area rules allow this member to see it (404 unknown, 403 outside the member's area). */
  async function visibleCase(actor: Actor, id: string): Promise<MediationCase> {
    if (!CASE_ID.test(id)) throw notFound(`case ${id} does not exist`);
    const c = await registered(id);
    if (!c) throw notFound(`case ${id} does not exist`);
    if (!mayActIn(actor, c.area)) throw forbidden(`case ${id} lies outside your area ${actor.area}`);
    return c;
  }

  router.post('/', async (req, res) => {
    const actor = actorOf(req);
    requireRole(actor, ['grid_worker', 'mediator'], 'reporting a dispute');
    const key = req.header('idempotency-key');
    if (key !== undefined && (key.length < 1 || key.length > 200)) throw badRequest('Idempotency-Key: must be 1 to 200 characters');
    const body = parse(CreateMediationBody, req.body);
    if (!findCategory(policy, body.category)) {
      throw badRequest(`category: unknown category ${body.category}; one of ${policy.mediation.categories.map((c) => c.code).join(', ')}`);
    }
    if (areaKind(body.area) !== 'village') throw badRequest('area: a dispute is reported in a village: county/township/village');
    requireArea(actor, body.area);
    const caseId = caseIdFor(actor, key);
    const now = Date.now();
    const input = { caseId, ...body, reportedBy: actorRef(actor), reportedAt: now, policy };
    try {
      const c = await client.workflow.executeUpdateWithStart(mediationOpened, {
        startWorkflowOperation: new WithStartWorkflowOperation(mediationWorkflow, {
          workflowId: caseId,
          taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      });
      const fresh = c.openedAt === toShanghaiIso(now);
      res.status(fresh ? 201 : 200).location(`/api/v1/mediations/${caseId}`).json(c);
    } catch (err) {
      // Same key, but the case has already closed: answer with the closed case.
      const existing = err instanceof WorkflowExecutionAlreadyStartedError && (await registered(caseId));
      if (!existing) throw err;
      res.status(200).location(`/api/v1/mediations/${caseId}`).json(existing);
    }
  });

  router.get('/:id', async (req, res) => {
    const actor = actorOf(req);
    const c = await visibleCase(actor, req.params.id);
    if (c.status === 'closed') {
      res.json(c);
      return;
    }
    try {
      res.json(await client.workflow.getHandle(c.id).query(mediationState));
    } catch (err) {
      req.log?.warn({ err, caseId: c.id }, 'live state unavailable; answering from the register');
      res.json(c);
    }
  });

  async function act(req: import('express').Request, run: (actor: Actor, id: string) => Promise<MediationCase>) {
    const actor = actorOf(req);
    requireRole(actor, ['mediator'], 'this action');
    const c = await visibleCase(actor, req.params.id as string);
    if (c.status === 'closed') throw conflict(`案件已结案 (case ${c.id} is closed)`);
    try {
      return await run(actor, c.id);
    } catch (err) {
      // The workflow may have closed between the read and the update.
      if (err instanceof WorkflowNotFoundError && (await registered(c.id))?.status === 'closed') {
        throw conflict(`案件已结案 (case ${c.id} is closed)`);
      }
      throw fromTemporal(err, c.id);
    }
  }

  router.post('/:id/accept', async (req, res) => {
    const body = parse(AcceptBody, req.body);
    res.json(
      await act(req, (actor, id) =>
        client.workflow.getHandle(id).executeUpdate(acceptCase, { args: [{ actor: staff(actor), note: body.note }] }),
      ),
    );
  });

  router.post('/:id/agreement', async (req, res) => {
    const body = parse(AgreementBody, req.body);
    res.json(
      await act(req, (actor, id) =>
        client.workflow.getHandle(id).executeUpdate(recordAgreement, { args: [{ actor: staff(actor), agreement: body }] }),
      ),
    );
  });

  return router;
}
