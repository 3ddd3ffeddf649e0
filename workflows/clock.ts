import { allHandlersFinished, CancellationScope, condition, isCancellation, log, patched, sleep } from '@temporalio/workflow';
import { provisionalDeadlines, type WorkCalendar } from '../domain/calendar';
import { withPeriodRule, type Policy } from '../domain/policy';

/**
 * The clock every process shares: wait for the next time-driven action (a reminder, an escalation, a window closing),
 * unless a staff action changes the state first; then act at the time it was due. Ends when the process is finished
 * and every message handler has completed ('finished'), or, when `continueAsNew` says so, with 'continue': the
 * caller then continues as new with its state (workflows/continuation.ts).
 */
export async function runClock<A>(o: {
  finished: () => boolean;
  version: () => number;
  next: () => { at: number; action: A } | null;
  act: (action: A, now: number) => Promise<unknown>;
  continueAsNew?: () => boolean;
  /** Lean runs (the LEAN patch): one timer kept across staff actions (`runLazyClock`); others keep this loop. */
  lazy?: boolean;
}): Promise<'finished' | 'continue'> {
  if (o.lazy) return runLazyClock(o);
  const continueNow = o.continueAsNew ?? (() => false);
  while (!o.finished()) {
    if (continueNow()) return 'continue';
    const version = o.version();
    const due = o.next();
    const wake = () => o.version() !== version || continueNow();
    if (!due) {
      await condition(wake);
      continue;
    }
    const wait = due.at - Date.now();
    if (wait > 0 && (await condition(wake, wait))) continue;
    await o.act(due.action, Math.max(Date.now(), due.at));
  }
  await condition(allHandlersFinished);
  return 'finished';
}

/** A durable timer started for `at`, cancelled only when an earlier time needs one. */
interface PendingTimer {
  at: number;
  fired(): boolean;
  cancel(): void;
}

function startTimer(at: number, now: number): PendingTimer {
  let fired = false;
  const scope = new CancellationScope();
  scope.run(() => sleep(at - now)).then(
    () => (fired = true),
    // Cancelled by `cancel` (or with the workflow, which the clock's own condition then reports).
    (err) => {
      if (!isCancellation(err)) throw err;
    },
  );
  return {
    at,
    fired: () => fired,
    cancel: () => {
      if (!fired) scope.cancel();
    },
  };
}

/**
 * The clock of lean runs: acts at the same times as the loop of `runClock`, with fewer timer commands. A staff action
 * that moves the next due time later (an accept: the acceptance deadline gives way to the later level deadline) keeps
 * the pending timer; when that timer fires before anything is due, a timer for the rest starts and nothing is acted or
 * recorded. A timer is cancelled, and a new one started, only when the next due time moves earlier than it, or when
 * nothing is due any more while the case goes on: a TIMER_CANCELED is one event, where a stale timer left to fire
 * while the case is open costs four (TIMER_FIRED and a workflow task of three). A timer still pending when the run
 * ends (finished, or continued as new) costs nothing and is left.
 */
async function runLazyClock<A>(o: {
  finished: () => boolean;
  version: () => number;
  next: () => { at: number; action: A } | null;
  act: (action: A, now: number) => Promise<unknown>;
  continueAsNew?: () => boolean;
}): Promise<'finished' | 'continue'> {
  const continueNow = o.continueAsNew ?? (() => false);
  let timer: PendingTimer | null = null;
  while (!o.finished()) {
    if (continueNow()) return 'continue';
    const version = o.version();
    const due = o.next();
    const now = Date.now();
    if (due && due.at <= now) {
      await o.act(due.action, now);
      continue;
    }
    if (timer && (timer.fired() || !due || due.at < timer.at)) {
      timer.cancel();
      timer = null;
    }
    if (due && !timer) timer = startTimer(due.at, now);
    const pending = timer;
    await condition(() => o.version() !== version || continueNow() || (pending?.fired() ?? false));
  }
  await condition(allHandlersFinished);
  return 'finished';
}

/** Patch: periods counted as the law counts them (domain/calendar.ts `periodEnd`). Cases started before it keep
 *  counting calendar days as 24-hour spans, so that their recorded histories replay. */
export const LEGAL_PERIODS = 'legal-periods';

/** The policy a case counts its periods with; call once, before the first await. */
export function casePolicy(policy: Policy, isPatched: (name: string) => boolean = patched): Policy {
  return withPeriodRule(policy, isPatched(LEGAL_PERIODS));
}

/**
 * The case with `provisional` naming its deadlines counted in a year whose holidays the calendar lacks (weekends
 * only), each newly provisional deadline logged once. Changes no command: replay-safe.
 */
export function markProvisional<T extends { id: string; deadlines: object; provisional?: string[] }>(x: T, cal: WorkCalendar): T {
  const keys = provisionalDeadlines(x.deadlines as Record<string, string | undefined>, cal);
  for (const key of keys.filter((k) => !x.provisional?.includes(k))) {
    log.warn('deadline counted without the holidays of its year (weekends only): provisional until the calendar is added', {
      caseId: x.id,
      deadline: key,
      at: (x.deadlines as Record<string, string>)[key],
    });
  }
  if (keys.length === 0 && !x.provisional) return x;
  const { provisional: _previous, ...rest } = x;
  return (keys.length > 0 ? { ...rest, provisional: keys } : rest) as T;
}
