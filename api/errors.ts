import type { ErrorRequestHandler, RequestHandler } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ZodError } from 'zod';
import { isDatabaseUnavailable } from '../platform/db';
import { isTemporalUnreachable, ServiceUnavailableError } from '../platform/temporal';

/** Every error leaves as { "error": { "code", "message" } } with a 4xx/5xx status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** 503: a part of the system is out of reach for now; `Retry-After` says when to try again. */
export class UnavailableError extends ApiError {
  constructor(
    code: 'database_unavailable' | 'temporal_unavailable' | 'worker_unavailable',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(503, code, message);
  }
}

/** An outage of PostgreSQL, Temporal or the workers, as the 503 the client gets; undefined for any other error. */
export function asUnavailable(err: unknown): UnavailableError | undefined {
  if (err instanceof UnavailableError) return err;
  if (err instanceof ServiceUnavailableError) return new UnavailableError(err.code, err.message, err.code === 'worker_unavailable' ? 10 : 5);
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new UnavailableError(
      'worker_unavailable',
      'the action was not answered in time (the worker is unavailable or overloaded). It may still be applied when a worker ' +
        'takes it: look at the case before acting again, or retry with the same Idempotency-Key, which is safe',
      10,
    );
  }
  if (isTemporalUnreachable(err)) return new UnavailableError('temporal_unavailable', 'Temporal does not answer; try again shortly', 5);
  if (isDatabaseUnavailable(err)) {
    return new UnavailableError('database_unavailable', 'the database does not answer; try again shortly (a retry with the same Idempotency-Key is safe)', 5);
  }
  return undefined;
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, 'invalid_input', message, details);
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const conflict = (message: string) => new ApiError(409, 'invalid_state', message);

export function fromZod(err: ZodError, where: string): ApiError {
  const issues = err.issues.map((i) => ({ field: i.path.join('.') || where, message: i.message }));
  const first = issues[0];
  return badRequest(`${first.field}: ${first.message}`, issues);
}

/** Maps a refusal from a workflow (update validator or handler) to the HTTP answer. */
export function fromTemporal(err: unknown, caseId: string): unknown {
  if (err instanceof WorkflowNotFoundError) return notFound(`case ${caseId} does not exist`);
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const { type, message } = err.cause;
    if (type === 'InvalidTransition') return conflict(message);
    if (type === 'Forbidden') return forbidden(message);
    if (type === 'Unrecordable') return new ApiError(422, 'unrecordable', message);
  }
  return err;
}

const CLIENT_ERROR_CODES: Record<string, string> = {
  'charset.unsupported': 'unsupported_charset',
  'encoding.unsupported': 'unsupported_encoding',
  'request.aborted': 'aborted',
  'request.size.invalid': 'invalid_input',
  'stream.encoding.set': 'invalid_input',
};

export const notFoundHandler: RequestHandler = (req, _res, next) => next(notFound(`no route ${req.method} ${req.path}`));

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  // A workflow's refusal that a route did not map itself (an opening the register refused, say) is still a refusal.
  if (err instanceof WorkflowUpdateFailedError) {
    const mapped = fromTemporal(err, '');
    if (mapped instanceof ApiError) err = mapped;
  }
  err = asUnavailable(err) ?? err;
  if (err instanceof UnavailableError) {
    req.log?.warn({ code: err.code, err: err.message }, 'service unavailable');
    res.setHeader('Retry-After', String(err.retryAfterSeconds));
  }
  if (err instanceof ApiError) {
    res.status(err.status).json({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    return;
  }
  if (err?.type === 'entity.parse.failed') {
    res.status(400).json({ error: { code: 'invalid_json', message: 'request body is not valid JSON' } });
    return;
  }
  if (err?.type === 'entity.too.large') {
    res.status(413).json({ error: { code: 'too_large', message: 'request body is too large' } });
    return;
  }
  // What the body parser or the router refuses (an unsupported charset or Content-Encoding 415, a body that does not
  // inflate or a path that does not decode 400) is the client's error, whatever the library's wording.
  const status = Number(err?.status ?? err?.statusCode);
  if (status >= 400 && status < 500) {
    const code = CLIENT_ERROR_CODES[err?.type as string] ?? (status === 415 ? 'unsupported_media_type' : 'invalid_input');
    const message = err?.expose && typeof err.message === 'string' ? err.message : 'the request cannot be read';
    res.status(status).json({ error: { code, message } });
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  res.status(500).json({ error: { code: 'internal', message: 'internal error; see the server log' } });
};

declare module 'express-serve-static-core' {
  interface Request {
    log?: import('pino').Logger;
    actor?: import('../domain/actors').Actor;
  }
}
