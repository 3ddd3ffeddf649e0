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
import { petitionMailData } from './notice-data';
import type { mediationWorkflow } from './mediation';
import { acts, recordOrUndo, refuse } from './shared';

/** Messages of the petition workflow. */
export const petitionState = defineQuery<Petition>('petitionState');
/** Returns once the petition is in the register, so the API can answer 201 with a readable petition. */
export const petitionRegistered = defineUpdate<Petition>('petitionRegistered');
export const petitionAction = defineUpdate<Petition, [PetitionStaffAction]>('petitionAction');
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

const SYSTEM: ActorRef = { id: 'system', name: '系统', role: 'system' };

export async function petitionWorkflow(input: RegisterPetitionInput & RunnerInput<Petition>): Promise<Petition> {
  const decide = patchDecisions(input.continued);
  // A continued run carries the policy as the first run resolved it, and the petition as it was.
  const policy = input.continued ? input.policy : casePolicy(input.policy, decide.patched);
  // Petitions started before it keep their command sequence: a warning whose timer fired late could still go out.
  const noStaleWarnings = decide.patched(NO_STALE_WARNINGS);
  const registered = input.continued
    ? undefined
    : registerPetition({ ...input, policy }, { transferHoldsClock: decide.patched(TRANSFER_HOLDS_CLOCK) });
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
  const continueNow = continueAsNewWhen(input, mail.idle);
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
  const act = async (action: PetitionAction, now = Date.now()): Promise<Petition> => {
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
    const outbox = mailOffUpdatePath() ? outboxOf(result.notices, result.event) : undefined;
    await recordOrUndo(
      () => acts.recordPetition({ snapshot: p, event: result.event, outbox }),
      () => {
        p = before;
        publish();
      },
    );
    await send(result.notices, result.event, outbox);
    return p;
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
    return p;
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
    const openingOutbox = mailOffUpdatePath() ? outboxOf(registered.notices, p.timeline[0]) : undefined;
    await acts.recordPetition({ snapshot: p, event: p.timeline[0], outbox: openingOutbox });
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
