import { defineQuery, defineUpdate, ParentClosePolicy, patched, setHandler, startChild } from '@temporalio/workflow';
import type { ActorRef } from '../domain/actors';
import { petitionMailData } from '../domain/notice-data';
import {
  applyPetitionAction,
  checkPetitionAction,
  isLinkedOutcome,
  mediationInputFor,
  nextPetitionDeadline,
  nextPetitionSystemAction,
  registerPetition,
  type Petition,
  type PetitionAction,
  type PetitionEvent,
  type PetitionStaffAction,
  type RegisterPetitionInput,
} from '../domain/petition';
import type { RunnerInput } from './continuation';
import type { mediationWorkflow } from './mediation';
import { mediationOutcome, weeklyReview } from './messages';
import { caseAttributes, runProcess, type ProcessSpec, type Run } from './runner';
import { acts } from './shared';

/** Messages of the petition workflow; the signals it takes from other processes are in messages.ts. */
export { mediationOutcome, weeklyReview };
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

/** Patch: a transfer to mediation holds the petition's clock, and the petition itself starts the mediation case (id
 *  derived from the petition) once it has taken the transfer. Petitions started before keep the old meaning to the end. */
export const TRANSFER_HOLDS_CLOCK = 'petition-transfer-holds-clock';
/** Patch: a running petition from before ignores an outcome from a mediation case that is not its link. */
export const IGNORES_UNLINKED_OUTCOME = 'petition-ignores-unlinked-outcome';
/** Patch: no warning about a deadline that has already passed (a timer that fired late moves on to the deadline). */
export const NO_STALE_WARNINGS = 'petition-no-stale-warnings';
/** Patch: compact transitions (implies every patch above, and legal-periods, continue-as-new, mail-off-update-path;
 *  a compact petition asks this one patch only). As mediation-compact-transitions. */
export const COMPACT_TRANSITIONS = 'petition-compact-transitions';

const SYSTEM: ActorRef = { id: 'system', name: '系统', role: 'system' };
type PetitionRun = Run<Petition, PetitionAction, PetitionTransition>;

/**
 * 访调对接: the mediation case starts after the petition has taken the transfer, under the id the petition determines.
 * ABANDON: the case outlives the petition (its judicial confirmation and follow-up run on after the petition closed).
 */
async function startMediation(run: PetitionRun, a: Extract<PetitionStaffAction, { type: 'transferToMediation' }>, now: number) {
  const mediation = mediationInputFor(run.state, a.referral!, a.actor, now, run.policy);
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
}

/** A petition under 5+N (信访工作条例): the procedure is in domain/petition.ts, the running in runner.ts. */
const petition: ProcessSpec<RegisterPetitionInput, Petition, PetitionAction, PetitionStaffAction, PetitionEvent, PetitionTransition> = {
  messages: { state: petitionState, opened: petitionRegistered, action: petitionAction },
  compact: COMPACT_TRANSITIONS,
  // Petitions started before it keep their command sequence: a warning whose timer fired late could still go out.
  patches: { afterPolicy: [NO_STALE_WARNINGS] },
  open: (input, policy, since) => {
    const { petition: p, notices } = registerPetition({ ...input, policy }, { transferHoldsClock: since(TRANSFER_HOLDS_CLOCK) });
    return { state: p, notices };
  },
  apply: applyPetitionAction,
  check: checkPetitionAction,
  next: (run) => nextPetitionSystemAction(run.state, run.policy, run.decided(NO_STALE_WARNINGS) ? Date.now() : undefined),
  searchAttributes: (p) => caseAttributes('petition', p, p.channel, nextPetitionDeadline(p)),
  record: (input) => acts.recordPetition(input),
  mailData: petitionMailData,
  transition: (p, event) => ({ id: p.id, status: p.status, version: p.version, event }),
  // The reply document is archived (a register write) before the reply's notices.
  document: (p, event) => (event.action === 'replied' ? { id: p.reply!.documentId, kind: 'reply', template: 'petition/reply-document' } : null),
  beforeRecord: (run, action, now) =>
    action.type === 'transferToMediation' && run.state.transferHoldsClock ? startMediation(run, action, now) : undefined,
  handlers: (run) => {
    setHandler(weeklyReview, (s) => run.actQuietly({ type: 'weeklyReview', ...s }));
    setHandler(mediationOutcome, async (s) => {
      // Only the case the petition is linked to speaks for it (a stray case must not overwrite the link).
      if (!isLinkedOutcome(run.state, s.mediationId) && (run.state.transferHoldsClock || patched(IGNORES_UNLINKED_OUTCOME))) return;
      await run.actQuietly({ type: 'mediationOutcome', actor: SYSTEM, ...s });
    });
  },
};

export async function petitionWorkflow(input: RegisterPetitionInput & RunnerInput<Petition>): Promise<Petition> {
  return runProcess(petition, input);
}
