/**
 * The retry schedule of a notice's delivery, the one place of its numbers: used by the outbox relay (worker/relay.ts)
 * for rows stored with their attempts and next attempt time, and by the mailroom's delivery activity in runs from
 * before the relay (workflows/shared.ts). Not a statutory period: a mail server down for a while (greylisting, a
 * restart, a full queue) gets about two hours (2 s doubling to 10 minutes, 20 attempts) before the notice is marked
 * failed for an operator to see; a refusal for good (5xx, invalid address) is not retried at all.
 */
export const MAIL_RETRY = { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 20 } as const;

const INITIAL_MS = 2_000;
const MAXIMUM_MS = 10 * 60_000;

/** The wait before the next attempt after `attempts` attempts failed (Temporal's exponential retry, without jitter). */
export function mailRetryDelayMs(attempts: number): number {
  return Math.min(INITIAL_MS * MAIL_RETRY.backoffCoefficient ** Math.max(attempts - 1, 0), MAXIMUM_MS);
}
