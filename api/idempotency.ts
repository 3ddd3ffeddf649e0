import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Db } from '../platform/db';
import { operationFor } from './access';
import { ApiError, badRequest } from './errors';

/**
 * `Idempotency-Key` on every staff action (POST, PATCH, PUT, DELETE under /api/v1): a client that timed out retries
 * with the same key and gets the first answer (status and body) without the action being done again.
 *
 * Per member and key (table idempotency_keys, db/migrations/0013): the first request inserts a pending row and, once
 * answered 2xx, keeps the answer for 24 hours. A retry with the same key, method, path and body gets that answer
 * (header `Idempotent-Replayed: true`); the same key with another request answers 422 `idempotency_key_reused`; while
 * the first is still in flight, 409 `idempotency_in_progress`. A refused or failed request (not 2xx) changed nothing,
 * so its key is released and may be used again. Opening a case, petition or matter (the intake endpoints) derives
 * the new record's id from the key instead, so a retry finds the same record (api/mediations.ts caseIdFor). Answers
 * that carry a secret shown once (a new member's token, a rotated token) are never stored: the key is not used there.
 */
export const IDEMPOTENCY = {
  /** how long an answer is kept */
  ttlHours: 24,
  /** a pending row older than this is taken to be from a process that died while answering */
  staleSeconds: 120,
  maxKeyLength: 200,
} as const;

const KEYED_INTAKE = new Set(['POST /api/v1/mediations', 'POST /api/v1/petitions', 'POST /api/v1/village-decisions']);
/** Answers that carry a secret shown once (a new member's token and invitation, a rotated token) are never stored. */
const SECRET_ANSWERS = new Set(['POST /api/v1/users', 'POST /api/v1/users/{id}/tokens']);
const ACTIONS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
/** Headers of a kept answer worth giving back on a replay. */
const KEPT_HEADERS = ['content-type', 'location'];

/** JSON with object keys sorted, so that the same body written in another order is the same request. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const requestHash = (req: Request) =>
  createHash('sha256').update(`${req.method}\n${req.originalUrl}\n${canonicalJson(req.body ?? null)}`).digest('hex');

interface KeptRow {
  request_hash: string;
  status: number | null;
  response: { headers: Record<string, string>; body: string } | null;
}

/** After authentication: keys belong to the member who sent them. */
export function idempotency(db: Db): RequestHandler {
  return async (req, res, next) => {
    try {
      const key = req.header('idempotency-key');
      if (key === undefined || !ACTIONS.has(req.method) || !req.actor) return next();
      const op = operationFor(req.method, `${req.baseUrl}${req.path}`);
      if (op && (KEYED_INTAKE.has(op) || SECRET_ANSWERS.has(op))) return next();
      if (key.length < 1 || key.length > IDEMPOTENCY.maxKeyLength) {
        throw badRequest(`Idempotency-Key: must be 1 to ${IDEMPOTENCY.maxKeyLength} characters`);
      }
      const actorId = req.actor.id;
      const hash = requestHash(req);
      // One round trip claims the key: a new row, or one whose answer has expired or whose first request died while
      // answering (pending for longer than staleSeconds) taken over as new; a live row is left as it is (replay).
      const claimed = await db.query({
        name: 'pingan_idempotency_claim',
        text: `INSERT INTO idempotency_keys AS k (actor_id, key, method, path, request_hash, expires_at)
               VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6))
               ON CONFLICT (actor_id, key) DO UPDATE SET
                 method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
                 status = NULL, response = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
               WHERE k.expires_at < now() OR (k.status IS NULL AND k.created_at < now() - make_interval(secs => $7))`,
        values: [actorId, key, req.method, req.originalUrl, hash, IDEMPOTENCY.ttlHours, IDEMPOTENCY.staleSeconds],
      });
      if (claimed.rowCount === 0) return replay(db, res, actorId, key, hash);
      keepAnswer(db, req, res, actorId, key);
      next();
    } catch (err) {
      next(err);
    }
  };
}

async function replay(db: Db, res: Response, actorId: string, key: string, hash: string): Promise<void> {
  const r = await db.query<KeptRow>('SELECT request_hash, status, response FROM idempotency_keys WHERE actor_id = $1 AND key = $2', [actorId, key]);
  const row = r.rows[0];
  if (row && row.request_hash !== hash) {
    throw new ApiError(422, 'idempotency_key_reused', 'Idempotency-Key: this key was used for another request; use a new key for a new request');
  }
  if (!row || row.status === null || !row.response) {
    throw new ApiError(409, 'idempotency_in_progress', 'Idempotency-Key: the first request with this key is still being answered; retry in a moment');
  }
  for (const [h, v] of Object.entries(row.response.headers)) res.setHeader(h, v);
  res.setHeader('Idempotent-Replayed', 'true');
  res.status(row.status);
  if (row.status === 204) res.end();
  else res.send(Buffer.from(row.response.body, 'utf8'));
}

/** Keeps a 2xx answer before it leaves (so that a client that got it and retries finds it); releases the key otherwise. */
function keepAnswer(db: Db, req: Request, res: Response, actorId: string, key: string): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  let kept = false;
  res.end = ((...args: unknown[]) => {
    if (kept) return end(...args);
    kept = true;
    const [chunk] = args;
    const status = res.statusCode;
    const body = chunk === undefined || typeof chunk === 'function' ? '' : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = res.getHeader(h);
      if (v !== undefined) headers[h] = String(v);
    }
    const save =
      status >= 200 && status < 300
        ? db.query('UPDATE idempotency_keys SET status = $3, response = $4 WHERE actor_id = $1 AND key = $2', [actorId, key, status, { headers, body }])
        : db.query('DELETE FROM idempotency_keys WHERE actor_id = $1 AND key = $2 AND status IS NULL', [actorId, key]);
    save
      .catch((err: unknown) => req.log?.error({ err }, 'idempotency: could not keep the answer'))
      .finally(() => end(...args));
    return res;
  }) as Response['end'];
}
