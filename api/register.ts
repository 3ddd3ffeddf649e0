import type { Client, QueryDefinition } from '@temporalio/client';
import type { Request } from 'express';
import { sqlCaseInArea } from '../platform/area-sql';
import type { Db } from '../platform/db';
import { notFound } from './errors';

/** Reading the case register (the `cases` table) the same way for every process. */
export type CaseKind = 'mediation' | 'petition' | 'village_decision';

export async function findInRegister<T>(db: Db, kind: CaseKind, id: string): Promise<T | undefined> {
  // A named statement: parsed and planned once per connection (every staff action reads its case once or twice).
  const r = await db.query<{ snapshot: T }>({ name: 'pingan_find_case', text: 'SELECT snapshot FROM cases WHERE id = $1 AND kind = $2', values: [id, kind] });
  return r.rows[0]?.snapshot;
}

/**
 * The record after an update: records from before compact transitions answer with themselves; the others with the
 * small transition, once the record is in the register (it is written before the update answers), so it is read there.
 */
export async function afterTransition<T>(db: Db, kind: CaseKind, r: T | { id: string }): Promise<T> {
  if (typeof r === 'object' && r !== null && 'timeline' in r) return r as T;
  const id = (r as { id: string }).id;
  const record = await findInRegister<T>(db, kind, id);
  if (!record) throw new Error(`${kind} ${id} answered its update but is not in the register`);
  return record;
}

/**
 * The record a member may read, looked up the same way by every process: an id of the wrong shape, an unknown id and
 * a record the member may not read (another area, another leader's petition) all answer the same 404, so that a
 * stranger cannot learn which ids exist.
 */
export async function findVisible<T>(
  db: Db,
  kind: CaseKind,
  id: string,
  shape: RegExp,
  what: string,
  mayRead: (record: T) => boolean,
): Promise<T> {
  const record = shape.test(id) ? await findInRegister<T>(db, kind, id) : undefined;
  if (!record || !mayRead(record)) throw notFound(`${what} ${id} does not exist`);
  return record;
}

export interface RegisterFilter {
  /** Inside this area (the area itself and everything below it). */
  area?: string;
  /** Only the cases this leader is responsible for (instead of the area). */
  leaderId?: string;
  status?: string;
  level?: string;
  category?: string;
  overdue?: boolean;
}

/**
 * Snapshots of one kind, newest first, filtered. With `fields`, only those top-level keys of each snapshot leave
 * PostgreSQL (a list of summaries need not carry every timeline and document). The area, leader and column filters
 * are written for the indexes of db/migrations/0017, which walk a kind's cases in an area newest first.
 */
export async function listRegister<T>(
  db: Db,
  kind: CaseKind,
  f: RegisterFilter,
  page: { limit: number; offset: number },
  fields?: readonly (keyof T & string)[],
): Promise<T[]> {
  const where: string[] = ['kind = $1'];
  const args: unknown[] = [kind];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replaceAll('?', `$${args.length}`));
  };
  if (f.leaderId) add(kind === 'petition' ? 'leader_id = ?' : `snapshot->'leader'->>'id' = ?`, f.leaderId);
  else if (f.area) add(sqlCaseInArea(f.area, '?'), f.area);
  if (f.status) add('status = ?', f.status);
  if (f.level) add('level = ?', f.level);
  if (f.category) add('category = ?', f.category);
  if (f.overdue !== undefined) add('overdue = ?', f.overdue);
  // Absent keys stay absent, as in the whole snapshot.
  if (fields?.length) args.push(fields);
  const selected = fields?.length
    ? `(SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(snapshot) WHERE key = ANY($${args.length}::text[]))`
    : 'snapshot';
  args.push(page.limit, page.offset);
  const r = await db.query<{ snapshot: T }>(
    `SELECT ${selected} AS snapshot FROM cases WHERE ${where.join(' AND ')} ORDER BY opened_at DESC LIMIT $${args.length - 1} OFFSET $${args.length}`,
    args,
  );
  return r.rows.map((row) => row.snapshot);
}

/**
 * The live state from the workflow while it runs; the register's snapshot once the process has finished (its history
 * may be gone after Temporal's retention) or when the workflow cannot answer.
 */
export async function liveOrRegistered<T extends { id: string; finished: boolean }>(
  client: Client,
  snapshot: T,
  query: QueryDefinition<T>,
  req: Request,
): Promise<T> {
  if (snapshot.finished) return snapshot;
  try {
    return await client.workflow.getHandle(snapshot.id).query(query);
  } catch (err) {
    req.log?.warn({ err, id: snapshot.id }, 'live state unavailable; answering from the register');
    return snapshot;
  }
}
