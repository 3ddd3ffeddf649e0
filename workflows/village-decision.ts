import { ApplicationFailure, defineQuery, defineUpdate } from '@temporalio/workflow';
import { objectionLimitProblem } from '../domain/village-policy';
import {
  applyVillageAction,
  checkVillageAction,
  nextVillageDeadline,
  nextVillageSystemAction,
  openVillageMatter,
  villageMailData,
  type OpenVillageInput,
  type VillageAction,
  type VillageEvent,
  type VillageMatter,
  type VillagePublicAction,
  type VillageStaffAction,
} from '../domain/village';
import type { RunnerInput } from './continuation';
import { caseAttributes, runProcess, type ProcessSpec } from './runner';
import { acts } from './shared';

/** Messages of the village-decision workflow (module level, next to the workflow). */
export const villageState = defineQuery<VillageMatter>('villageState');
/** Returns once the matter is in the register (PostgreSQL), so the API can answer 201 with a readable matter. */
export const villageOpened = defineUpdate<VillageMatter | VillageTransition>('villageOpened');
/** Every action on a matter: the clerk's (meetings, answers, progress, completion) and a villager's objection. */
export const villageAction = defineUpdate<VillageMatter | VillageTransition, [VillageStaffAction | VillagePublicAction]>('villageAction');

/** What an update of a compact matter answers: the transition, not the whole matter (read that from the register). */
export interface VillageTransition {
  id: string;
  status: VillageMatter['status'];
  version: number;
  event: VillageEvent;
}

/**
 * Patch: compact transitions (implies legal-periods, continue-as-new and mail-off-update-path; a compact matter asks
 * this one patch only). As mediation-compact-transitions.
 */
export const COMPACT_TRANSITIONS = 'village-compact-transitions';

/** Refusal types of an objection past the policy's bounds (api/notices.ts answers 409 and 422). */
export const OBJECTION_LIMIT = 'ObjectionLimit';
export const OBJECTION_TOO_LONG = 'ObjectionTooLong';

/** One matter of a village (四议两公开), from the party branch's proposal to the end of the results notice: the
 *  procedure is in domain/village.ts, the running in runner.ts. */
const village: ProcessSpec<OpenVillageInput, VillageMatter, VillageAction, VillageStaffAction | VillagePublicAction, VillageEvent, VillageTransition> = {
  messages: { state: villageState, opened: villageOpened, action: villageAction },
  compact: COMPACT_TRANSITIONS,
  open: (input, policy) => {
    const { matter, notices } = openVillageMatter({ ...input, policy });
    return { state: matter, notices };
  },
  apply: applyVillageAction,
  check: checkVillageAction,
  // The public form's bounds (policy.village.objections): a refusal the API answers 409 or 422.
  validate: (run, action) => {
    if (action.type !== 'fileObjection') return;
    const onNotice = run.state.objections.filter((o) => o.noticeId === action.objection.noticeId).length;
    const problem = objectionLimitProblem(run.policy.village, onNotice, action.objection.text);
    if (problem) {
      throw ApplicationFailure.create({ type: problem.kind === 'limit' ? OBJECTION_LIMIT : OBJECTION_TOO_LONG, message: problem.message, nonRetryable: true });
    }
  },
  // The clock: notice periods, step reminders and the township alert, unless an action changes the matter first.
  next: (run) => nextVillageSystemAction(run.state),
  searchAttributes: (m) => caseAttributes('village_decision', m, m.type, nextVillageDeadline(m)),
  record: (input) => acts.recordVillageMatter(input),
  mailData: villageMailData,
  // One template may go to several kinds of recipient in one transition (a published notice: the clerks and the township).
  noticeKey: (m, event, n) => `${m.id}:${event.seq}:${n.template}:${n.recipients.kind}`,
  transition: (m, event) => ({ id: m.id, status: m.status, version: m.version, event }),
};

export async function villageDecisionWorkflow(input: OpenVillageInput & RunnerInput<VillageMatter>): Promise<VillageMatter> {
  return runProcess(village, input);
}
