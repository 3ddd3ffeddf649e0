import type { Logger } from './logger';

export interface RetryOptions {
  /** First wait; it doubles after each failure up to maxMs (with ±20 % jitter, so that many processes spread out). */
  initialMs?: number;
  maxMs?: number;
  /** Stops waiting (and rethrows the last error) once aborted: a signal during start-up ends the process cleanly. */
  signal?: AbortSignal;
  /** Errors for which another attempt makes no sense (a bad configuration) are thrown at once. */
  retryable?: (err: unknown) => boolean;
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

/**
 * Calls fn until it succeeds, waiting longer after each failure and logging why, so that a process started while
 * Temporal or PostgreSQL is unreachable keeps trying instead of exiting.
 */
export async function retryWithBackoff<T>(what: string, fn: () => Promise<T>, logger: Logger, o: RetryOptions = {}): Promise<T> {
  const max = o.maxMs ?? 30_000;
  let delay = o.initialMs ?? 1_000;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await fn();
      if (attempt > 1) logger.info({ what, attempts: attempt }, `${what} reached`);
      return result;
    } catch (err) {
      if (o.signal?.aborted || (o.retryable && !o.retryable(err))) throw err;
      const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
      logger.warn({ what, attempt, retryInMs: wait, reason: reason(err) }, `${what} is unreachable; trying again in ${Math.round(wait / 100) / 10} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        function done() {
          clearTimeout(timer);
          o.signal?.removeEventListener('abort', done);
          resolve();
        }
        o.signal?.addEventListener('abort', done, { once: true });
      });
      if (o.signal?.aborted) throw err;
      delay = Math.min(delay * 2, max);
    }
  }
}
