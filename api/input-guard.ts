import type { RequestHandler } from 'express';
import { ApiError, badRequest } from './errors';

/**
 * Guards at the edge that every request passes, whatever its schema: text PostgreSQL cannot store, and bodies that are
 * not JSON. One mechanism for every field of every body (staff or public, JSON or the board's form) and every query
 * string, so that no input reaches a workflow whose register write would then fail for ever.
 */

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL would refuse this text (`text` refuses NUL, `jsonb` refuses NUL and lone surrogates), if it would. */
export function unstorableReason(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000), which cannot be stored';
  const m = LONE_SURROGATE.exec(s);
  if (m) return `contains a lone surrogate (U+${m[0].charCodeAt(0).toString(16).toUpperCase()}), which is not valid Unicode text`;
  return undefined;
}

/** The path (as in validation messages: `parties.0.name`) and reason of the first unstorable string, keys included. */
export function findUnstorableText(value: unknown, path: string[] = []): { field: string; reason: string } | undefined {
  const at = (p: string[]) => p.join('.');
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    return reason ? { field: at(path), reason } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const keyReason = unstorableReason(key);
      if (keyReason) return { field: at([...path, JSON.stringify(key)]), reason: `a field name ${keyReason}` };
      const found = findUnstorableText(v, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Throws 400 naming the field when `value` (a parsed body or query) holds text that cannot be stored. */
export function assertStorableText(value: unknown, where: 'body' | 'query'): void {
  const found = findUnstorableText(value);
  if (found) throw badRequest(`${found.field || where}: ${found.reason}`, [{ field: found.field || where, in: where, message: found.reason }]);
}

/** Every query string and parsed body under this mount point (the JSON API). */
export const refuseUnstorableText: RequestHandler = (req, _res, next) => {
  try {
    assertStorableText(req.query, 'query');
    if (req.body !== undefined) assertStorableText(req.body, 'body');
    next();
  } catch (err) {
    next(err);
  }
};

/**
 * Every path, public or staff: one that does not decode (a stray `%`, bytes that are not UTF-8) or decodes to text that
 * cannot be stored (`%00`) is refused with 400 before any route looks its ids up in the register.
 */
export const refuseUnstorablePath: RequestHandler = (req, _res, next) => {
  let decoded: string;
  try {
    decoded = decodeURIComponent(req.path);
  } catch {
    next(badRequest('path: is not valid percent-encoded UTF-8', [{ field: 'path', in: 'path', message: 'is not valid percent-encoded UTF-8' }]));
    return;
  }
  const reason = unstorableReason(decoded);
  next(reason ? badRequest(`path: ${reason}`, [{ field: 'path', in: 'path', message: reason }]) : undefined);
};

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * A JSON route sent a body of another type (or of no stated type) would read it as empty and answer with a misleading
 * list of missing fields: answer 415 instead. A request without a body at all (an action with no fields) passes.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.header('transfer-encoding') !== undefined || Number(req.header('content-length') ?? 0) > 0;
  if (WITH_BODY.has(req.method) && hasBody && !req.is('application/json')) {
    const sent = req.header('content-type');
    next(
      new ApiError(
        415,
        'unsupported_media_type',
        `the request body must be JSON sent with Content-Type: application/json (it was sent ${sent ? `as ${sent}` : 'without a Content-Type'})`,
      ),
    );
    return;
  }
  next();
};
