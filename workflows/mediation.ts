import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineUpdate,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  applyMediationAction,
  checkMediationAction,
  nextDeadline,
  isStaleReminder,
  nextSystemAction,
  openMediation,
  type ActingStaff,
  type Agreement,
  type MediationAction,
  type MediationCase,
  type Notice,
  type OpenMediationInput,
  type StaffAction,
  type TimelineEvent,
} from '../domain/mediation';
import { areaPrefixes, SA } from '../domain/search-attributes';
import type { OutboxNotice } from '../domain/ports';
import { casePolicy, markProvisional, runClock } from './clock';
import { continueAsNewWhen, patchDecisions, type RunnerInput } from './continuation';
import { mailOffUpdatePath, startMailroom } from './mailroom';
import { mediationMailData } from '../domain/notice-data';
import { mediationOutcome } from './petition';
import { acts, recordOpening, recordOrUndo, refuse } from './shared';

/** Messages of the mediation workflow (module level, next to the workflow). */
export const mediationState = defineQuery<MediationCase>('mediationState');
/** Returns once the case is in the register (PostgreSQL), so the API can answer 201 with a readable case. */
export const mediationOpened = defineUpdate<MediationCase | MediationTransition>('mediationOpened');
/** Every staff action (accept, assign, session, escalation, agreement, failure, withdrawal, refusal, urge, …). */
export const mediationAction = defineUpdate<MediationCase | MediationTransition, [StaffAction]>('mediationAction');

/** What an update of a compact case answers: the transition, not the whole case (read that from the register). */
export interface MediationTransition {
  id: string;
  status: MediationCase['status'];
  level: MediationCase['level'];
  version: number;
  event: TimelineEvent;
}
/** The first slice's two updates; kept so that cases started before mediationAction existed still replay. */
export const acceptCase = defineUpdate<MediationCase | MediationTransition, [{ actor: ActingStaff; note?: string }]>('acceptCase');
export const recordAgreement = defineUpdate<MediationCase | MediationTransition, [{ actor: ActingStaff; agreement: Agreement }]>('recordAgreement');

/** Patch: the full process (timers, escalation, aftercare, notices per transition) after the first slice. */
export const PROCESS_V2 = 'mediation-process-v2';
/** Patch: a case transferred from a petition signals the petition its outcome. */
export const INFORMS_PETITION = 'mediation-informs-petition';
/** Patch: no reminder about a deadline that has already passed (an overdue county case accepted late). */
export const NO_STALE_REMINDERS = 'mediation-no-stale-reminders';
/**
 * Patch: compact transitions (implies every patch above, and legal-periods, continue-as-new, mail-off-update-path). The register write's input is the case without its timeline
 * plus the event (the register appends it), and updates answer with the transition (MediationTransition), so that a
 * transition no longer copies the whole case into history two or three times.
 */
export const COMPACT_TRANSITIONS = 'mediation-compact-transitions';



export async function mediationWorkflow(input: OpenMediationInput & RunnerInput<MediationCase>): Promise<MediationCase> {
  const decide = patchDecisions(input.continued);
  // A compact case is decided first: it implies every earlier patch, so it asks for none of them (each patch asked
  // costs a marker and a search-attribute upsert in the history of every new case).
  const compact = decide.patched(COMPACT_TRANSITIONS);
  const since = (name: string) => (compact ? decide.assume(name) : decide.patched(name));
  const v2 = since(PROCESS_V2);
  const noStaleReminders = since(NO_STALE_REMINDERS);
  // A continued run carries the policy as the first run resolved it, and the case as it was.
  const policy = input.continued ? input.policy : casePolicy(input.policy, since);
  const opened = input.continued ? undefined : openMediation({ ...input, policy });
  let c = input.continued ? input.continued.state : markProvisional(opened!.case, policy.calendar.value);
  let recorded = input.continued !== undefined;
  let refusedAtOpening: ApplicationFailure | undefined;

  const publish = () => {
    const deadline = nextDeadline(c);
    upsertSearchAttributes([
      { key: SA.kind, value: 'mediation' },
      { key: SA.status, value: c.status },
      { key: SA.level, value: c.level },
      { key: SA.area, value: areaPrefixes(c.area) },
      { key: SA.category, value: c.category },
      { key: SA.nextDeadline, value: deadline ? new Date(deadline) : null },
      { key: SA.overdue, value: c.overdue },
    ]);
  };

  const mail = startMailroom(c.id);
  const continueNow = continueAsNewWhen(input, mail.idle, compact);
  const outboxOf = (notices: Notice[], event: TimelineEvent): OutboxNotice[] =>
    notices.map((n) => ({ key: `${c.id}:${event.seq}:${n.template}`, template: n.template, recipients: n.recipients }));
  /** Notices of cases from before the mail left the update path: rendered and sent in line. */
  const send = async (notices: Notice[], event: TimelineEvent) => {
    const data = mediationMailData(c, event);
    for (const n of notices) {
      await acts.notify({ key: `${c.id}:${event.seq}:${n.template}`, template: n.template, recipients: n.recipients, data });
    }
  };

  /** Writes the case and its event (and the event's outbox rows) to the register. */
  const record = (event: TimelineEvent, outbox: OutboxNotice[] | undefined) => {
    if (!compact) return acts.recordMediation({ snapshot: c, event, outbox });
    const { timeline: _timeline, ...rest } = c;
    // A scheduled activity, not a local one: a local activity's marker beside an update's completion replayed out of
    // order (mediation-escalation.test.ts, "Update machine does not handle this event").
    return acts.recordMediation({ snapshot: rest, event, outbox });
  };
  const answer = (event: TimelineEvent): MediationCase | MediationTransition =>
    compact ? { id: c.id, status: c.status, level: c.level, version: c.version, event } : c;

  const act = async (action: MediationAction, now = Date.now()): Promise<MediationCase | MediationTransition> => {
    let result;
    try {
      result = applyMediationAction(c, action, now, policy);
    } catch (err) {
      refuse(err);
    }
    const before = c;
    c = markProvisional(result.next, policy.calendar.value);
    publish();
    const outbox = v2 && (compact || mailOffUpdatePath()) ? outboxOf(result.notices, result.event) : undefined;
    await recordOrUndo(
      () => record(result.event, outbox),
      () => {
        c = before;
        publish();
      },
    );
    if (outbox) mail.post(outbox.map((n) => n.key));
    else if (v2) await send(result.notices, result.event);
    // 访调对接: a case transferred from a petition tells the petition its outcome.
    const petitionId = c.channel === 'petition' && c.referral?.reference.startsWith('PET-') ? c.referral.reference : null;
    if (petitionId && c.outcome && c.outcome !== before.outcome && (compact || patched(INFORMS_PETITION))) {
      await getExternalWorkflowHandle(petitionId)
        .signal(mediationOutcome, { mediationId: c.id, outcome: c.outcome.kind })
        .catch(() => undefined); // the petition may have closed meanwhile
    }
    return answer(result.event);
  };
  const validate = (action: MediationAction) => {
    try {
      checkMediationAction(c, action, Date.now(), policy);
    } catch (err) {
      refuse(err);
    }
  };

  setHandler(mediationState, () => c);
  setHandler(mediationOpened, async () => {
    await condition(() => recorded || refusedAtOpening !== undefined);
    if (refusedAtOpening) throw refusedAtOpening;
    return answer(c.timeline[0]);
  });
  setHandler(mediationAction, (action) => act(action), { validator: validate });
  setHandler(acceptCase, ({ actor, note }) => act({ type: 'accept', actor, note }), {
    validator: ({ actor, note }) => validate({ type: 'accept', actor, note }),
  });
  setHandler(recordAgreement, ({ actor, agreement }) => act({ type: 'recordAgreement', actor, agreement }), {
    validator: ({ actor, agreement }) => validate({ type: 'recordAgreement', actor, agreement }),
  });

  publish();
  if (opened) {
    const openingOutbox = compact || mailOffUpdatePath() ? outboxOf(opened.notices, c.timeline[0]) : undefined;
    // Refused for good by the register, the opening request is refused and the process ends (not wedged).
    await recordOpening(
      () => record(c.timeline[0], openingOutbox),
      (refusal) => (refusedAtOpening = refusal),
    );
    recorded = true;
    if (openingOutbox) mail.post(openingOutbox.map((n) => n.key));
    else await send(opened.notices, c.timeline[0]);
  }

  if (!v2) {
    await condition(() => c.status === 'closed' && allHandlersFinished());
    return c;
  }

  const ended = await runClock({
    finished: () => c.finished,
    version: () => c.version,
    next: () => nextSystemAction(c, noStaleReminders ? Date.now() : undefined),
    // A reminder whose deadline passed while its timer waited is dropped; the clock then finds the deadline's own action.
    act: async (action, now) => (noStaleReminders && isStaleReminder(c, action, now) ? c : act(action, now)),
    continueAsNew: continueNow,
  });
  if (ended === 'continue') {
    return continueAsNew<typeof mediationWorkflow>({ ...input, policy, continued: { state: c, patches: decide.made } });
  }
  await condition(mail.idle);
  return c;
}
