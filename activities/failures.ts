import { ApplicationFailure } from '@temporalio/common';
import { REGISTER_REFUSED } from '../domain/errors';

/**
 * PostgreSQL errors that no retry can cure: SQLSTATE class 22 (data exception: a NUL in text, a lone surrogate in
 * jsonb, a value out of range) and class 23 (integrity constraint). Any other error (a lost connection, a timeout, a
 * serialization failure) is transient and keeps Temporal's retries.
 */
export function permanentDbError(err: unknown): { code: string; message: string } | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const { code, severity, message } = err as { code?: unknown; severity?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof severity !== 'string' || !/^2[23][0-9A-Z]{3}$/.test(code)) return undefined;
  return { code, message: String(message) };
}

/** Wraps each activity so that a permanent database error fails it at once, non-retryable, instead of for ever. */
export function failPermanentDbErrorsAtOnce<T extends object>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        const permanent = permanentDbError(err);
        if (!permanent) throw err;
        throw ApplicationFailure.create({
          type: REGISTER_REFUSED,
          message: `the register refused the data (SQLSTATE ${permanent.code}: ${permanent.message})`,
          nonRetryable: true,
          cause: err instanceof Error ? err : undefined,
        });
      }
    };
  }
  return wrapped as T;
}
