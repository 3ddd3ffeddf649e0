/**
 * The retry schedule of a notice's delivery, the one place of its numbers: used by the outbox relay (worker/relay.ts)
 * for rows stored with their attempts and next attempt time, and by the mailroom's delivery activity in runs from
 * before the relay (workflows/shared.ts). Not a statutory period: a mail server down for a while (greylisting, a
 * restart, a full queue) gets about two hours (2 s doubling to 10 minutes, 20 attempts) before the notice is marked
 * failed for an operator to see; a refusal for good (5xx, invalid address) is not retried at all.
 */
const INITIAL_MS = 2_000;
const MAXIMUM_MS = 10 * 60_000;

/** As Temporal's retry policy takes it (durations in milliseconds), and as the relay counts it (mailRetryDelayMs). */
export const MAIL_RETRY = { initialInterval: INITIAL_MS, backoffCoefficient: 2, maximumInterval: MAXIMUM_MS, maximumAttempts: 20 } as const;

/** The wait before the next attempt after `attempts` attempts failed (Temporal's exponential retry, without jitter). */
export function mailRetryDelayMs(attempts: number): number {
  return Math.min(MAIL_RETRY.initialInterval * MAIL_RETRY.backoffCoefficient ** Math.max(attempts - 1, 0), MAIL_RETRY.maximumInterval);
}
