import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { InvalidTransition, NotPermitted } from '../domain/errors';
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
