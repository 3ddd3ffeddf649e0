import { createHash, randomBytes } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Actor } from '../domain/actors';
import type { Policy } from '../domain/policy';
import type { SearchAttributeMode } from '../domain/search-attributes';
import type { Db } from '../platform/db';
import { conflict, fromTemporal, type ApiError } from './errors';
import { afterTransition, findInRegister, findVisible, type CaseKind } from './register';

/**
 * The three processes as the API reads and changes them, the same way for each: the id a request derives, the record
 * a member may see (404 alike for an unknown id and one outside the member's scope), and the refusals of an action
 * (a closed record 409, a workflow's refusal by its failure type: api/errors.ts fromTemporal).
 */
export interface Process<T> {
  kind: CaseKind;
  /** the id's prefix: MED-, PET-, VIL- and 12 hex digits */
  prefix: string;
  /** what the 404 calls it */
  what: string;
  /** what a key's hash is seeded with before the member's id (kept as each process first had it, so retries still find their record) */
  seed: string;
  /** the 409 for an action on a finished record */
  closed(id: string): string;
  /** the object-level rule of the access table's scope for this process */
  mayRead(actor: Actor, record: T): boolean;
}

/** What the API's processes start and act with (the mediation, petition and village deps are this). */
export interface ProcessDeps {
  client: Client;
  db: Db;
  policy: Policy;
  taskQueue: string;
  /** SEARCH_ATTRIBUTES: how a case the API starts publishes its search attributes; `full` when absent. */
  searchAttributes?: SearchAttributeMode;
}

/** The part of a new case's input that says how it publishes its search attributes: nothing for the default `full`, so
 *  that such an input is what it always was. */
export function attributesInput(deps: Pick<ProcessDeps, 'searchAttributes'>): { searchAttributes?: 'opening' } {
  return deps.searchAttributes === 'opening' ? { searchAttributes: 'opening' } : {};
}

/** A retried request with the same Idempotency-Key from the same member maps to the same id; without a key, a new one. */
export function recordIdFor(p: Pick<Process<unknown>, 'prefix' | 'seed'>, actor: Pick<Actor, 'id'>, key: string | undefined): string {
  const seed = key ? createHash('sha256').update(`${p.seed}${actor.id}\n${key}`).digest('hex') : randomBytes(6).toString('hex');
  return `${p.prefix}-${seed.slice(0, 12).toUpperCase()}`;
}

const shapes = new Map<string, RegExp>();
const shapeOf = (prefix: string) => shapes.get(prefix) ?? shapes.set(prefix, new RegExp(`^${prefix}-[0-9A-F]{12}$`)).get(prefix)!;

/** The record as the process's rule allows this member to see it; 404 alike when unknown, misshapen or outside. */
export function visibleRecord<T>(db: Db, p: Process<T>, actor: Actor, id: string): Promise<T> {
  return findVisible<T>(db, p.kind, id, shapeOf(p.prefix), p.what, (r) => p.mayRead(actor, r));
}

/** 409 for an action on a record whose process has finished. */
export function refuseClosed<T extends { id: string; finished: boolean }>(p: Process<T>, record: T): void {
  if (record.finished) throw conflict(p.closed(record.id));
}

/**
 * Sends an action to a record's workflow and answers with the record after it. A workflow that finished between the
 * read and the update answers as a finished record does (`closed`, 409 by default); any other refusal is mapped by its
 * failure type (fromTemporal).
 */
export async function sendAction<T extends { id: string; finished: boolean }>(
  deps: { client: Client; db: Db },
  p: Process<T>,
  record: T,
  send: (handle: WorkflowHandle) => Promise<T | { id: string }>,
  closed: (now: T) => ApiError = (now) => conflict(p.closed(now.id)),
): Promise<T> {
  try {
    return await afterTransition<T>(deps.db, p.kind, await send(deps.client.workflow.getHandle(record.id)));
  } catch (err) {
    const now = err instanceof WorkflowNotFoundError ? await findInRegister<T>(deps.db, p.kind, record.id) : undefined;
    if (now?.finished) throw closed(now);
    throw fromTemporal(err, record.id);
  }
}

/** The options of a record's WithStartWorkflowOperation that every process shares (the caller adds its workflow and args). */
export interface StartOptions {
  workflowId: string;
  taskQueue: string;
  workflowIdConflictPolicy: 'USE_EXISTING';
  workflowIdReusePolicy: 'REJECT_DUPLICATE';
}

/**
 * Starts a record's workflow with its first update (update-with-start, so a retried id finds the running one) and
 * answers once the record is in the register; `fresh` is false for a retry. A retried id whose workflow has already
 * ended answers with the record from the register.
 */
export async function startRecord<T>(
  deps: { client: Client; db: Db; taskQueue: string },
  p: Process<T>,
  id: string,
  start: (options: StartOptions) => Promise<T | { id: string }>,
  isFresh: (record: T) => boolean,
): Promise<{ record: T; fresh: boolean }> {
  try {
    const r = await start({
      workflowId: id,
      taskQueue: deps.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    const record = await afterTransition<T>(deps.db, p.kind, r);
    return { record, fresh: isFresh(record) };
  } catch (err) {
    const existing = err instanceof WorkflowExecutionAlreadyStartedError ? await findInRegister<T>(deps.db, p.kind, id) : undefined;
    if (!existing) throw err instanceof WorkflowExecutionAlreadyStartedError ? err : fromTemporal(err, id);
    return { record: existing, fresh: false };
  }
}
