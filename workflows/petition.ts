import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ActorRef } from '../domain/actors';
import {
  applyPetitionAction,
  checkPetitionAction,
  isLinkedOutcome,
  mediationInputFor,
  nextPetitionDeadline,
  nextPetitionSystemAction,
  registerPetition,
  type Direction,
  type Petition,
  type PetitionAction,
  type PetitionEvent,
  type PetitionNotice,
  type PetitionStaffAction,
  type RegisterPetitionInput,
} from '../domain/petition';
import { areaPrefixes, SA } from '../domain/search-attributes';
import type { OutboxNotice } from '../domain/ports';
import { casePolicy, markProvisional, runClock } from './clock';
import { continueAsNewWhen, patchDecisions, type RunnerInput } from './continuation';
import { mailOffUpdatePath, startMailroom } from './mailroom';
import { petitionMailData } from '../domain/notice-data';
import type { mediationWorkflow } from './mediation';
import { acts, recordOrUndo, refuse } from './shared';

/** Messages of the petition workflow. */
export const petitionState = defineQuery<Petition>('petitionState');
/** Returns once the petition is in the register, so the API can answer 201 with a readable petition. */
export const petitionRegistered = defineUpdate<Petition | PetitionTransition>('petitionRegistered');
export const petitionAction = defineUpdate<Petition | PetitionTransition, [PetitionStaffAction]>('petitionAction');

/** What an update of a compact petition answers: the transition, not the whole petition (read that from the register). */
export interface PetitionTransition {
  id: string;
  status: Petition['status'];
  version: number;
  event: PetitionEvent;
}
/** A direction of the weekly dispatch meeting (信访稳定集中办公会议). */
export const weeklyReview = defineSignal<[{ meetingId: string; direction: Direction; note: string; actor: ActorRef }]>('weeklyReview');
/** The outcome of the mediation case this petition was transferred to (访调对接). */
export const mediationOutcome = defineSignal<[{ mediationId: string; outcome: string }]>('mediationOutcome');

/**
 * Patch: a transfer to mediation holds the petition's clock, and the petition workflow itself starts the mediation
 * case (id derived from the petition) once it has accepted the transfer. Decided once, when the petition starts:
 * petitions started before keep the old meaning to the end, so their histories replay.
 */
export const TRANSFER_HOLDS_CLOCK = 'petition-transfer-holds-clock';
/** Patch: a running petition from before ignores an outcome from a mediation case that is not its link. */
export const IGNORES_UNLINKED_OUTCOME = 'petition-ignores-unlinked-outcome';

/** Patch: no warning about a deadline that has already passed (a timer that fired late moves on to the deadline). */
export const NO_STALE_WARNINGS = 'petition-no-stale-warnings';

/**
 * Patch: compact transitions (implies every patch above, and legal-periods, continue-as-new, mail-off-update-path; a
 * compact petition asks this one patch only). The register write's input is the petition without its timeline plus
 * the event (the register appends it), and updates answer with the transition (PetitionTransition), so that a
 * transition no longer copies the whole petition into history two or three times. As mediation-compact-transitions.
 */
export const COMPACT_TRANSITIONS = 'petition-compact-transitions';

const SYSTEM: ActorRef = { id: 'system', name: '系统', role: 'system' };

export async function petitionWorkflow(input: RegisterPetitionInput & RunnerInput<Petition>): Promise<Petition> {
  const decide = patchDecisions(input.continued);
  // A compact petition is decided first: it implies every earlier patch, so it asks for none of them (each patch
  // asked costs a marker and a search-attribute upsert in the history of every new petition).
  const compact = decide.patched(COMPACT_TRANSITIONS);
  const since = (name: string) => (compact ? decide.assume(name) : decide.patched(name));
  // A continued run carries the policy as the first run resolved it, and the petition as it was.
  const policy = input.continued ? input.policy : casePolicy(input.policy, since);
  // Petitions started before it keep their command sequence: a warning whose timer fired late could still go out.
  const noStaleWarnings = since(NO_STALE_WARNINGS);
  const registered = input.continued
    ? undefined
    : registerPetition({ ...input, policy }, { transferHoldsClock: since(TRANSFER_HOLDS_CLOCK) });
  let p = input.continued ? input.continued.state : markProvisional(registered!.petition, policy.calendar.value);
  let recorded = input.continued !== undefined;

  const publish = () => {
    const deadline = nextPetitionDeadline(p);
    upsertSearchAttributes([
      { key: SA.kind, value: 'petition' },
      { key: SA.status, value: p.status },
      { key: SA.area, value: areaPrefixes(p.area) },
      { key: SA.category, value: p.channel },
      { key: SA.nextDeadline, value: deadline ? new Date(deadline) : null },
      { key: SA.overdue, value: p.overdue },
    ]);
  };
  const mail = startMailroom(p.id);
  const continueNow = continueAsNewWhen(input, mail.idle, compact);
  const mailOff = () => compact || mailOffUpdatePath();
  const outboxOf = (notices: PetitionNotice[], event: PetitionEvent): OutboxNotice[] =>
    notices.map((n) => ({ key: `${p.id}:${event.seq}:${n.template}`, template: n.template, recipients: n.recipients }));
  /** The reply document is archived (a register write); notices go to the mailroom, or in line in earlier histories. */
  const send = async (notices: PetitionNotice[], event: PetitionEvent, outbox: OutboxNotice[] | undefined) => {
    const data = petitionMailData(p, event);
    if (event.action === 'replied') {
      await acts.archiveDocument({ id: p.reply!.documentId, caseId: p.id, kind: 'reply', template: 'petition/reply-document', data });
    }
    if (outbox) {
      mail.post(outbox.map((n) => n.key));
      return;
    }
    for (const n of notices) {
      await acts.notify({ key: `${p.id}:${event.seq}:${n.template}`, template: n.template, recipients: n.recipients, data });
    }
  };
  /** Writes the petition and its event (and the event's outbox rows) to the register. */
  const record = (event: PetitionEvent, outbox: OutboxNotice[] | undefined) => {
    if (!compact) return acts.recordPetition({ snapshot: p, event, outbox });
    const { timeline: _timeline, ...rest } = p;
    return acts.recordPetition({ snapshot: rest, event, outbox });
  };
  const answer = (event: PetitionEvent): Petition | PetitionTransition =>
    compact ? { id: p.id, status: p.status, version: p.version, event } : p;

  const act = async (action: PetitionAction, now = Date.now()): Promise<Petition | PetitionTransition> => {
    let result;
    try {
      result = applyPetitionAction(p, action, now, policy);
    } catch (err) {
      refuse(err);
    }
    const before = p;
    p = markProvisional(result.next, policy.calendar.value);
    publish();
    if (action.type === 'transferToMediation' && p.transferHoldsClock) await startMediation(action, now);
    // Data the register refuses for good (invalid text, a constraint) undoes this action only; the petition goes on.
    const outbox = mailOff() ? outboxOf(result.notices, result.event) : undefined;
    await recordOrUndo(
      () => record(result.event, outbox),
      () => {
        p = before;
        publish();
      },
    );
    await send(result.notices, result.event, outbox);
    return answer(result.event);
  };
  /**
   * 访调对接: the mediation case starts here, after the petition has taken the transfer, under the id the petition
   * determines. ABANDON: the case outlives the petition (its judicial confirmation and follow-up run on after the
   * petition has closed as resolved by mediation).
   */
  const startMediation = async (a: Extract<PetitionStaffAction, { type: 'transferToMediation' }>, now: number) => {
    const mediation = mediationInputFor(p, a.referral!, a.actor, now, policy);
    try {
      await startChild<typeof mediationWorkflow>('mediationWorkflow', {
        workflowId: mediation.caseId,
        args: [mediation],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      // The id is the petition's own: a case already under it is this petition's case.
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
  };
  /** Signals cannot be refused: one the petition no longer accepts (it has closed) is left out of the record. */
  const actQuietly = async (action: PetitionAction) => {
    try {
      checkPetitionAction(p, action, Date.now(), policy);
    } catch {
      return;
    }
    await act(action);
  };

  setHandler(petitionState, () => p);
  setHandler(petitionRegistered, async () => {
    await condition(() => recorded);
    return answer(p.timeline[0]);
  });
  setHandler(petitionAction, (a) => act(a), {
    validator: (a) => {
      try {
        checkPetitionAction(p, a, Date.now(), policy);
      } catch (err) {
        refuse(err);
      }
    },
  });
  setHandler(weeklyReview, (s) => actQuietly({ type: 'weeklyReview', ...s }));
  setHandler(mediationOutcome, async (s) => {
    // Only the case the petition is linked to speaks for it (a stray case must not overwrite the link).
    if (!isLinkedOutcome(p, s.mediationId) && (p.transferHoldsClock || patched(IGNORES_UNLINKED_OUTCOME))) return;
    await actQuietly({ type: 'mediationOutcome', actor: SYSTEM, ...s });
  });

  publish();
  if (registered) {
    const openingOutbox = mailOff() ? outboxOf(registered.notices, p.timeline[0]) : undefined;
    await record(p.timeline[0], openingOutbox);
    recorded = true;
    await send(registered.notices, p.timeline[0], openingOutbox);
  }

  const next = () => nextPetitionSystemAction(p, policy, noStaleWarnings ? Date.now() : undefined);
  const ended = await runClock({ finished: () => p.finished, version: () => p.version, next, act, continueAsNew: continueNow });
  if (ended === 'continue') {
    return continueAsNew<typeof petitionWorkflow>({ ...input, policy, continued: { state: p, patches: decide.made } });
  }
  await condition(mail.idle);
  return p;
}
