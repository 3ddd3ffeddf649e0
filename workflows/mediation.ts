import { defineQuery, defineUpdate, getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';
import {
  applyMediationAction,
  checkMediationAction,
  isStaleReminder,
  nextDeadline,
  nextSystemAction,
  openMediation,
  type ActingStaff,
  type Agreement,
  type MediationAction,
  type MediationCase,
  type OpenMediationInput,
  type StaffAction,
  type SystemAction,
  type TimelineEvent,
} from '../domain/mediation';
import { mediationMailData } from '../domain/notice-data';
import type { RunnerInput } from './continuation';
import { mediationOutcome } from './messages';
import { caseAttributes, runProcess, type ProcessSpec } from './runner';
import { acts } from './shared';

/** Messages of the mediation workflow (module level, next to the workflow). */
export const mediationState = defineQuery<MediationCase>('mediationState');
/** Returns once the case is in the register (PostgreSQL), so the API can answer 201 with a readable case. */
export const mediationOpened = defineUpdate<MediationCase | MediationTransition>('mediationOpened');
/** Every staff action (accept, assign, session, escalation, agreement, failure, withdrawal, refusal, urge, …). */
export const mediationAction = defineUpdate<MediationCase | MediationTransition, [StaffAction]>('mediationAction');
/** The first slice's two updates; kept so that cases started before mediationAction existed still replay. */
export const acceptCase = defineUpdate<MediationCase | MediationTransition, [{ actor: ActingStaff; note?: string }]>('acceptCase');
export const recordAgreement = defineUpdate<MediationCase | MediationTransition, [{ actor: ActingStaff; agreement: Agreement }]>('recordAgreement');

/** What an update of a compact case answers: the transition, not the whole case (read that from the register). */
export interface MediationTransition {
  id: string;
  status: MediationCase['status'];
  level: MediationCase['level'];
  version: number;
  event: TimelineEvent;
}

/** Patch: the full process (timers, escalation, aftercare, notices per transition) after the first slice. */
export const PROCESS_V2 = 'mediation-process-v2';
/** Patch: a case transferred from a petition signals the petition its outcome. */
export const INFORMS_PETITION = 'mediation-informs-petition';
/** Patch: no reminder about a deadline that has already passed (an overdue county case accepted late). */
export const NO_STALE_REMINDERS = 'mediation-no-stale-reminders';
/**
 * Patch: compact transitions (implies every patch above, and legal-periods, continue-as-new, mail-off-update-path).
 * The register write's input is the case without its timeline plus the event (the register appends it), and updates
 * answer with the transition (MediationTransition), so that a transition no longer copies the whole case into
 * history two or three times.
 */
export const COMPACT_TRANSITIONS = 'mediation-compact-transitions';

/** Mediation, village → township → county (人民调解法): the procedure is in domain/mediation.ts, the running in runner.ts. */
const mediation: ProcessSpec<OpenMediationInput, MediationCase, MediationAction, StaffAction, TimelineEvent, MediationTransition> = {
  messages: { state: mediationState, opened: mediationOpened, action: mediationAction },
  compact: COMPACT_TRANSITIONS,
  patches: { beforePolicy: [PROCESS_V2, NO_STALE_REMINDERS] },
  open: (input, policy) => {
    const { case: c, notices } = openMediation({ ...input, policy });
    return { state: c, notices };
  },
  apply: applyMediationAction,
  check: checkMediationAction,
  next: (run) => nextSystemAction(run.state, run.decided(NO_STALE_REMINDERS) ? Date.now() : undefined),
  // A reminder whose deadline passed while its timer waited is dropped; the clock then finds the deadline's own action.
  stale: (run, action, now) => run.decided(NO_STALE_REMINDERS) && isStaleReminder(run.state, action as SystemAction, now),
  searchAttributes: (c) => caseAttributes('mediation', c, c.category, nextDeadline(c), c.level),
  record: (input) => acts.recordMediation(input),
  mailData: mediationMailData,
  transition: (c, event) => ({ id: c.id, status: c.status, level: c.level, version: c.version, event }),
  // 访调对接: a case transferred from a petition tells the petition its outcome (the petition may have closed meanwhile).
  afterTransition: (run, before) => {
    const c = run.state;
    const petitionId = c.channel === 'petition' && c.referral?.reference.startsWith('PET-') ? c.referral.reference : null;
    if (!petitionId || !c.outcome || c.outcome === before.outcome || !(run.compact || patched(INFORMS_PETITION))) return undefined;
    return getExternalWorkflowHandle(petitionId)
      .signal(mediationOutcome, { mediationId: c.id, outcome: c.outcome.kind })
      .catch(() => undefined);
  },
  handlers: (run) => {
    setHandler(acceptCase, ({ actor, note }) => run.act({ type: 'accept', actor, note }), {
      validator: ({ actor, note }) => run.validate({ type: 'accept', actor, note }),
    });
    setHandler(recordAgreement, ({ actor, agreement }) => run.act({ type: 'recordAgreement', actor, agreement }), {
      validator: ({ actor, agreement }) => run.validate({ type: 'recordAgreement', actor, agreement }),
    });
  },
  // The first slice: no clock, no notices after the opening's; the case ends when it is closed.
  firstSlice: { is: (run) => !run.decided(PROCESS_V2), closed: (c) => c.status === 'closed' },
};

export async function mediationWorkflow(input: OpenMediationInput & RunnerInput<MediationCase>): Promise<MediationCase> {
  return runProcess(mediation, input);
}
