import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { InvalidTransition, NotPermitted, REGISTER_REFUSED } from '../domain/errors';
import type { ProcessActivities } from '../domain/ports';

/** The activities every process calls, with one retry policy. */
export const acts = proxyActivities<ProcessActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
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
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure) || err.cause.type !== REGISTER_REFUSED) {
    return undefined;
  }
  return ApplicationFailure.create({
    type: UNRECORDABLE,
    message: `不能记录此操作，未作任何更改 (the register refused this action's data; nothing was changed): ${err.cause.message}`,
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
