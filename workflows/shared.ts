import { ActivityFailure, allHandlersFinished, ApplicationFailure, condition, proxyActivities } from '@temporalio/workflow';
import { InvalidTransition, NotPermitted, REGISTER_REFUSED } from '../domain/errors';
import { MAIL_RETRY } from '../domain/mail-retry';
import type { ProcessActivities } from '../domain/ports';

export { MAIL_RETRY };

/**
 * Register writes (the case, its audit event, its outbox rows, documents, agendas): fast, and they must succeed, so
 * they retry until the database answers, at most a minute apart; data the register refuses for good fails at once
 * (activities/failures.ts). Giving up would lose a transition that the process has already taken.
 */
export const acts = proxyActivities<ProcessActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Mail delivery in runs from before the outbox relay (lean runs leave it to worker/relay.ts): slow, and it may fail
 * for good. Each attempt is bounded (SMTP timeouts in platform/mailer.ts keep a send well inside the two minutes), a
 * refusal for good is not retried at all, and the rest follow MAIL_RETRY (domain/mail-retry.ts), after which the
 * notice is marked failed.
 */
export const mailActs = proxyActivities<Pick<ProcessActivities, 'deliverNotice'>>({
  startToCloseTimeout: '2 minutes',
  retry: MAIL_RETRY,
});

/** Turns a domain refusal into the failure the client sees (the API answers 409 or 403 with its message). */
export function refuse(err: unknown): never {
  if (err instanceof InvalidTransition) {
    throw ApplicationFailure.create({ type: 'InvalidTransition', message: err.message, nonRetryable: true });
  }
  if (err instanceof NotPermitted) {
    throw ApplicationFailure.create({ type: 'Forbidden', message: err.message, nonRetryable: true });
  }
  throw err;
}

/** The failure type the API answers 422 with: the register refused an action's data, and the action was not taken. */
export const UNRECORDABLE = 'Unrecordable';

/** The refusal for an activity that failed because the register refused its data for good; undefined for others. */
export function unrecordable(err: unknown): ApplicationFailure | undefined {
  // A scheduled activity's failure arrives as an ActivityFailure with the refusal as its cause; a local activity's
  // as the refusal itself.
  const refused = err instanceof ActivityFailure ? err.cause : err;
  if (!(refused instanceof ApplicationFailure) || refused.type !== REGISTER_REFUSED) return undefined;
  return ApplicationFailure.create({
    type: UNRECORDABLE,
    message: `不能记录此操作，未作任何更改 (the register refused this action's data; nothing was changed): ${refused.message}`,
    nonRetryable: true,
  });
}

/**
 * Records a transition; when the register refuses its data for good, undoes the transition in the workflow's state
 * and refuses the action, so that the process goes on as before instead of carrying data no later write can store.
 */
export async function recordOrUndo(record: () => Promise<void>, undo: () => void): Promise<void> {
  try {
    await record();
  } catch (err) {
    const refusal = unrecordable(err);
    if (!refusal) throw err;
    undo();
    throw refusal;
  }
}

/**
 * Records a new case. When the register refuses it for good, `refused` gets the refusal (the opening request answers
 * with it), and the process ends with it once every handler has finished, instead of being left wedged.
 */
export async function recordOpening(record: () => Promise<void>, refused: (refusal: ApplicationFailure) => void): Promise<void> {
  try {
    await record();
  } catch (err) {
    const refusal = unrecordable(err);
    if (!refusal) throw err;
    refused(refusal);
    await condition(allHandlersFinished);
    throw refusal;
  }
}
