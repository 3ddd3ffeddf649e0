import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  type QueryDefinition,
} from '@temporalio/workflow';
// Types only (erased from the bundle): the workflow package does not re-export these two.
import type { SearchAttributeUpdatePair, UpdateDefinition } from '@temporalio/common';
import type { Policy } from '../domain/policy';
import type { OutboxNotice, Recipients } from '../domain/ports';
import { areaPrefixes, OPENING_ATTRIBUTES, SA } from '../domain/search-attributes';
import { casePolicy, markProvisional, runClock } from './clock';
import { continueAsNewWhen, patchDecisions, type RunnerInput } from './continuation';
import { mailOffUpdatePath, startMailroom } from './mailroom';
import { acts, recordOpening, recordOrUndo, refuse } from './shared';

/**
 * The one runner of every case-like process (mediation, petition, village decision). A process is a specification
 * (its domain functions, search attributes, record activity, messages, patches and a few hooks); the runner does the
 * rest the same way for each: patch decisions, the opening record, every transition (apply, provisional mark,
 * publish, record or undo, notices), the clock, continue-as-new and the end. Every step keeps the command sequence of
 * the three workflows it replaced, so their recorded histories replay (test/replay.test.ts).
 */

/** What the runner reads of a case. */
export interface CaseLike<E> {
  id: string;
  version: number;
  finished: boolean;
  deadlines: object;
  provisional?: string[];
  timeline: E[];
}
export interface EventLike {
  seq: number;
  action: string;
}
export interface NoticeLike {
  template: string;
  recipients: Recipients;
}
export interface Transition<S, E> {
  next: S;
  event: E;
  notices: NoticeLike[];
}

/** A running case as the specification's hooks see it. */
export interface Run<S, A, T = unknown> {
  /** The case as it is now. */
  readonly state: S;
  readonly policy: Policy;
  /** Whether this case makes compact transitions (its compact patch, which implies every other). */
  readonly compact: boolean;
  /** Whether this case runs lean (the LEAN patch, which implies compact and every other patch). */
  readonly lean: boolean;
  /** The decision of a patch named in the specification's `patches` (taken once, at the start). */
  decided(name: string): boolean;
  /** Applies an action as a staff update does: recorded, its notices posted; refused as the domain refuses it. */
  act(action: A, now?: number): Promise<S | T>;
  /** The update's validator: refuses an action the domain (and the specification's `validate`) refuses. */
  validate(action: A): void;
  /** Applies an action that came by signal: a signal cannot be refused, so one the case no longer accepts (it has
   *  closed, say) is left out of the record. */
  actQuietly(action: A): Promise<void>;
}

/**
 * One process. `I` its input, `S` the case, `A` every action (staff and system), `X` the actions its update takes,
 * `E` a timeline event, `T` what an update of a compact case answers.
 */
export interface ProcessSpec<I, S extends CaseLike<E>, A, X extends A, E extends EventLike, T> {
  messages: {
    state: QueryDefinition<S>;
    /** Answers once the case is in the register (the API's 201), or with the register's refusal. */
    opened: UpdateDefinition<S | T>;
    action: UpdateDefinition<S | T, [X]>;
  };
  /** The patch of compact transitions: asked first; it implies every patch below, which are then taken without a marker. */
  compact: string;
  /** The process's other patches in the order they are asked: before the policy's legal-periods patch, and after it. */
  patches?: { beforePolicy?: string[]; afterPolicy?: string[] };
  /** Opens the case (not called in a continued run); `since` decides a patch the opening reads. */
  open(input: I, policy: Policy, since: (name: string) => boolean): { state: S; notices: NoticeLike[] };
  apply(s: S, action: A, now: number, policy: Policy): Transition<S, E>;
  check(s: S, action: A, now: number, policy: Policy): void;
  /** A further check of an update's action after the domain's (a refusal the client sees). */
  validate?(run: Run<S, A, T>, action: A): void;
  /** The next time-driven action, or null. */
  next(run: Run<S, A, T>): { at: number; action: A } | null;
  /** True for a time-driven action that is no longer due when its timer fires (it is dropped, the clock moves on). */
  stale?(run: Run<S, A, T>, action: A, now: number): boolean;
  searchAttributes(s: S): SearchAttributeUpdatePair[];
  /** The register write of a transition (the case, or without its timeline when compact, with its event and outbox). */
  record(input: { snapshot: S | Omit<S, 'timeline'>; event: E; outbox: OutboxNotice[] | undefined }): Promise<void>;
  /** What a notice's template is given, for notices sent in line (histories from before the outbox) and documents. */
  mailData(s: S, event: E): Record<string, unknown>;
  /** The key of a notice (once per key, whatever the retries); `${id}:${seq}:${template}` unless given. */
  noticeKey?(s: S, event: E, notice: NoticeLike): string;
  /** What an update of a compact case answers. */
  transition(s: S, event: E): T;
  /** A document archived with a transition, before its notices (the petition's reply), or null. */
  document?(s: S, event: E): { id: string; kind: string; template: string } | null;
  /** Work after the state changed and before it is recorded (the petition starts its mediation case). */
  beforeRecord?(run: Run<S, A, T>, action: A, now: number): Promise<void> | undefined;
  /** Work after a transition is recorded and its notices posted (a mediation tells its petition the outcome). */
  afterTransition?(run: Run<S, A, T>, before: S): Promise<void> | undefined;
  /** Further message handlers (signals, older updates); set before the first await like the runner's own. */
  handlers?(run: Run<S, A, T>): void;
  /** Cases from before the process had a clock (mediation's first slice): when `is`, transitions send no notices and
   *  the process ends, without timers, once `closed` holds. */
  firstSlice?: { is(run: Run<S, A, T>): boolean; closed(s: S): boolean };
}

/** The search attributes every case publishes (mediation adds its level after the status), in their recorded order. */
export function caseAttributes(
  kind: string,
  c: { status: string; area: string; overdue: boolean },
  category: string,
  nextDeadline: string | null,
  level?: string,
): SearchAttributeUpdatePair[] {
  return [
    { key: SA.kind, value: kind },
    { key: SA.status, value: c.status },
    ...(level === undefined ? [] : [{ key: SA.level, value: level }]),
    { key: SA.area, value: areaPrefixes(c.area) },
    { key: SA.category, value: category },
    { key: SA.nextDeadline, value: nextDeadline ? new Date(nextDeadline) : null },
    { key: SA.overdue, value: c.overdue },
  ];
}

/**
 * Patch: lean transitions, asked first by every case-like process; it implies the process's compact patch and so every
 * earlier one. What it changes in the command sequence is listed where each change is made (`lean` in this file and
 * in workflows/clock.ts).
 */
export const LEAN = 'lean-transitions';

/**
 * Patch: search attributes at the opening only, asked first by a case whose input says `searchAttributes: 'opening'`
 * (SEARCH_ATTRIBUTES); it implies LEAN and so every earlier patch. Such a case upserts its unchanging attributes once,
 * when it opens, and none at its transitions (or when one is undone). A case whose first run did not record the marker
 * (started by an older worker, or with `full`) publishes every attribute at every transition, as before.
 */
export const ATTRIBUTES_AT_OPENING = 'search-attributes-at-opening';

const defaultKey = (id: string, seq: number, template: string) => `${id}:${seq}:${template}`;

/** Runs one case of a process from its opening (or its continued state) to its end. */
export async function runProcess<I extends { policy: Policy }, S extends CaseLike<E>, A, X extends A, E extends EventLike, T>(
  spec: ProcessSpec<I, S, A, X, E, T>,
  input: I & RunnerInput<S>,
): Promise<S> {
  const decide = patchDecisions(input.continued);
  // The newest patch is decided first and implies every earlier one, so a new case asks for one patch only (each patch
  // asked costs a marker and a search-attribute upsert in the history of every new case): LEAN, then the compact one.
  const atOpening = input.searchAttributes === 'opening' && decide.patched(ATTRIBUTES_AT_OPENING);
  const lean = atOpening ? decide.assume(LEAN) : decide.patched(LEAN);
  const compact = lean ? decide.assume(spec.compact) : decide.patched(spec.compact);
  const since = (name: string) => (compact ? decide.assume(name) : decide.patched(name));
  const decisions = new Map<string, boolean>();
  for (const name of spec.patches?.beforePolicy ?? []) decisions.set(name, since(name));
  // A continued run carries the policy as the first run resolved it, and the case as it was.
  const policy = input.continued ? input.policy : casePolicy(input.policy, since);
  for (const name of spec.patches?.afterPolicy ?? []) decisions.set(name, since(name));
  let opened: { state: S; notices: NoticeLike[] } | undefined;
  if (!input.continued) {
    try {
      opened = spec.open(input, policy, since);
    } catch (err) {
      refuse(err);
    }
  }
  let s = input.continued ? input.continued.state : markProvisional(opened!.state, policy.calendar.value);
  let recorded = input.continued !== undefined;
  let refusedAtOpening: ApplicationFailure | undefined;

  const attributes = () => spec.searchAttributes(s);
  const publish = () => upsertSearchAttributes(atOpening ? attributes().filter((a) => OPENING_ATTRIBUTES.includes(a.key.name)) : attributes());
  /** At a transition (or its undoing): every attribute again, unless the case publishes at its opening only. */
  const republish = () => {
    if (!atOpening) publish();
  };
  const mail = startMailroom(s.id);
  const continueNow = continueAsNewWhen(input, mail.idle, compact);
  const mailOff = () => compact || mailOffUpdatePath();
  const keyOf = (event: E, n: NoticeLike) => (spec.noticeKey ? spec.noticeKey(s, event, n) : defaultKey(s.id, event.seq, n.template));
  // Lean: the notices are left to the worker's outbox relay (worker/relay.ts), which the record's NOTIFY wakes; the
  // run schedules no delivery activity (6 history events a transition with notices) and its mailroom stays idle.
  const outboxOf = (notices: NoticeLike[], event: E): OutboxNotice[] =>
    notices.map((n) => ({ key: keyOf(event, n), template: n.template, recipients: n.recipients, ...(lean ? { relay: true } : {}) }));

  /** Writes the case and its event (and the event's outbox rows) to the register. */
  const record = (event: E, outbox: OutboxNotice[] | undefined) => {
    if (!compact) return spec.record({ snapshot: s, event, outbox });
    const { timeline: _timeline, ...rest } = s;
    // A scheduled activity, not a local one: a local activity's marker beside an update's completion replayed out of
    // order (mediation-escalation.test.ts, "Update machine does not handle this event").
    return spec.record({ snapshot: rest, event, outbox });
  };
  /** After the record: the transition's document is archived, and its notices go to the mailroom (lean runs: to the
   *  relay, by the record itself; cases from before the mail left the update path render and send them in line). */
  const effects = async (notices: NoticeLike[], event: E, outbox: OutboxNotice[] | undefined, mails: boolean) => {
    const document = spec.document?.(s, event);
    const data = document || (!outbox && mails) ? spec.mailData(s, event) : {};
    if (document) await acts.archiveDocument({ id: document.id, caseId: s.id, kind: document.kind, template: document.template, data });
    if (outbox) {
      if (!lean) mail.post(outbox.map((n) => n.key));
    } else if (mails) {
      for (const n of notices) await acts.notify({ key: keyOf(event, n), template: n.template, recipients: n.recipients, data });
    }
  };
  const answer = (event: E): S | T => (compact ? spec.transition(s, event) : s);

  const act = async (action: A, now = Date.now()): Promise<S | T> => {
    let result: Transition<S, E>;
    try {
      result = spec.apply(s, action, now, policy);
    } catch (err) {
      refuse(err);
    }
    const before = s;
    s = markProvisional(result.next, policy.calendar.value);
    republish();
    const preparing = spec.beforeRecord?.(run, action, now);
    if (preparing) await preparing;
    const mails = !firstSlice();
    // Data the register refuses for good (invalid text, a constraint) undoes this action only; the case goes on.
    const outbox = mails && mailOff() ? outboxOf(result.notices, result.event) : undefined;
    await recordOrUndo(
      () => record(result.event, outbox),
      () => {
        s = before;
        republish();
      },
    );
    await effects(result.notices, result.event, outbox, mails);
    const after = spec.afterTransition?.(run, before);
    if (after) await after;
    return answer(result.event);
  };
  const validate = (action: A) => {
    try {
      spec.check(s, action, Date.now(), policy);
    } catch (err) {
      refuse(err);
    }
    spec.validate?.(run, action);
  };
  const actQuietly = async (action: A) => {
    try {
      spec.check(s, action, Date.now(), policy);
    } catch {
      return;
    }
    await act(action);
  };
  const run: Run<S, A, T> = {
    get state() {
      return s;
    },
    policy,
    compact,
    lean,
    decided: (name) => decisions.get(name) ?? false,
    act,
    validate,
    actQuietly,
  };
  const firstSlice = () => spec.firstSlice?.is(run) ?? false;

  setHandler(spec.messages.state, () => s);
  setHandler(spec.messages.opened, async () => {
    await condition(() => recorded || refusedAtOpening !== undefined);
    if (refusedAtOpening) throw refusedAtOpening;
    return answer(s.timeline[0]);
  });
  setHandler(spec.messages.action, (action) => act(action), { validator: validate });
  spec.handlers?.(run);

  publish();
  if (opened) {
    const openingOutbox = mailOff() ? outboxOf(opened.notices, s.timeline[0]) : undefined;
    // Refused for good by the register, the opening request is refused and the process ends (not wedged).
    await recordOpening(
      () => record(s.timeline[0], openingOutbox),
      (refusal) => (refusedAtOpening = refusal),
    );
    recorded = true;
    await effects(opened.notices, s.timeline[0], openingOutbox, true);
  }

  if (firstSlice()) {
    await condition(() => spec.firstSlice!.closed(s) && allHandlersFinished());
    return s;
  }
  const ended = await runClock({
    finished: () => s.finished,
    version: () => s.version,
    next: () => spec.next(run),
    act: spec.stale ? async (action, now) => (spec.stale!(run, action, now) ? s : act(action, now)) : act,
    continueAsNew: continueNow,
    // Lean: a staff action that moves the next due time later starts and cancels no timer.
    lazy: lean,
  });
  if (ended === 'continue') {
    return continueAsNew<(i: I & RunnerInput<S>) => Promise<S>>({ ...input, policy, continued: { state: s, patches: decide.made } });
  }
  await condition(mail.idle);
  return s;
}
