import { allHandlersFinished, patched, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeMode } from '../domain/search-attributes';

/**
 * Bounded histories. A long-lived case continues as new (a fresh run under the same workflow id, carrying the case)
 * when Temporal suggests it or its history passes `historyLimit` events, once every handler has finished and its
 * mailroom is idle (so no delivery is abandoned mid-flight). The pattern of temporalio/samples-typescript's
 * safe-message-handlers, in one place for every process.
 */
export const CONTINUE_AS_NEW = 'continue-as-new';

/** Events after which a run continues as new, unless its input says otherwise (a test sets a tiny one). */
export const DEFAULT_HISTORY_LIMIT = 2_000;

/** What a continued run starts from: the case as it was, and the patch decisions of the run that started it. */
export interface Continued<S> {
  state: S;
  patches: Record<string, boolean>;
}

/** The part of every process's input that the runner reads. */
export interface RunnerInput<S> {
  continued?: Continued<S>;
  historyLimit?: number;
  /** How the case publishes its search attributes (domain/search-attributes.ts); `full` when absent. */
  searchAttributes?: SearchAttributeMode;
}

/**
 * Patch decisions that survive continue-as-new: in the first run each is `patched(name)`; a continued run takes the
 * first run's decision (a case started before a patch keeps its old meaning to the end), and new patches are asked.
 */
export function patchDecisions(continued: Continued<unknown> | undefined): {
  patched(name: string): boolean;
  /** A patch that a later one implies: taken as made without asking (no marker), unless a first run decided it. */
  assume(name: string): boolean;
  made: Record<string, boolean>;
} {
  const made: Record<string, boolean> = { ...(continued?.patches ?? {}) };
  return {
    patched(name) {
      const decided = continued && name in continued.patches ? continued.patches[name] : patched(name);
      made[name] = decided;
      return decided;
    },
    assume(name) {
      const decided = continued && name in continued.patches ? continued.patches[name] : true;
      made[name] = decided;
      return decided;
    },
    made,
  };
}

/**
 * The predicate the clock checks: true when this run should continue as new now. Runs started before the patch never
 * do (their recorded histories replay as they were: the decision is taken once, at the start of the run).
 */
export function continueAsNewWhen(input: RunnerInput<unknown>, idle: () => boolean, implied = false): () => boolean {
  const enabled = implied || input.continued !== undefined || patched(CONTINUE_AS_NEW);
  const limit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  return () => {
    if (!enabled) return false;
    const info = workflowInfo();
    return (info.continueAsNewSuggested || info.historyLength > limit) && idle() && allHandlersFinished();
  };
}
