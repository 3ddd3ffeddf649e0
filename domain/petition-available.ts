import type { ActorRef } from './actors';
import { checkPetitionAction, mediationIdForPetition, type Petition, type PetitionStaffAction } from './petition';
import type { Policy } from './policy';

/**
 * Which staff steps a petition allows now: each is asked of checkPetitionAction, the same check the workflow's update
 * validator runs, with a representative payload (as domain/mediation-available.ts does for mediation). Who may act at
 * all (petition officers of the area, the petition's 包案领导) is the API's rule; a page offers these steps to a member
 * who may read the petition, so a button never leads to a refusal that could have been foreseen. What the member types
 * may still be refused (an extension longer than the policy allows, approved by someone other than the unit head).
 */
export type AvailablePetitionAction = PetitionStaffAction['type'];

/**
 * The path segment each staff step is posted to, the same under the API (POST /api/v1/petitions/:id/<path>) and the
 * console (POST /console/petitions/:id/<path>). The one list of a petition's step names: the access table declares its
 * entries from it, the console's forms are keyed by it, and the access matrix calls the console with these names.
 */
export const PETITION_ACTION_PATHS = {
  assignLeader: 'leader',
  assign: 'assign',
  accept: 'accept',
  object: 'objection',
  extend: 'extension',
  reply: 'reply',
  requestReview: 'review-request',
  answerReview: 'review-answer',
  requestReReview: 're-review-request',
  startHearing: 'hearing-start',
  endHearing: 'hearing-end',
  answerReReview: 're-review-answer',
  transferToMediation: 'transfer-to-mediation',
} as const satisfies Readonly<Record<AvailablePetitionAction, string>>;
export type PetitionActionPath = (typeof PETITION_ACTION_PATHS)[AvailablePetitionAction];

function probes(p: Petition, actor: ActorRef): Record<AvailablePetitionAction, PetitionStaffAction> {
  return {
    assignLeader: { type: 'assignLeader', actor, leader: actor },
    assign: { type: 'assign', actor, unit: { name: '-', headName: '-' } },
    accept: { type: 'accept', actor, notice: '-' },
    object: { type: 'object', actor, reasons: '-' },
    // The shortest extension the form accepts, approved by the head named at assignment.
    extend: { type: 'extend', actor, days: 1, reason: '-', approvedBy: p.unit?.headName ?? '' },
    reply: { type: 'reply', actor, decision: 'supported', opinion: '-' },
    requestReview: { type: 'requestReview', actor, reason: '-' },
    answerReview: { type: 'answerReview', actor, opinion: '-' },
    requestReReview: { type: 'requestReReview', actor, reason: '-' },
    startHearing: { type: 'startHearing', actor },
    endHearing: { type: 'endHearing', actor },
    answerReReview: { type: 'answerReReview', actor, opinion: '-' },
    transferToMediation: {
      type: 'transferToMediation',
      actor,
      mediationId: mediationIdForPetition(p.id),
      referral: { category: '-', area: p.area, respondents: [{ name: '-' }] },
    },
  };
}

export function availablePetitionActions(p: Petition, actor: ActorRef, now: number, policy: Policy): AvailablePetitionAction[] {
  const out: AvailablePetitionAction[] = [];
  for (const [name, action] of Object.entries(probes(p, actor)) as [AvailablePetitionAction, PetitionStaffAction][]) {
    try {
      checkPetitionAction(p, action, now, policy);
      out.push(name);
    } catch {
      // not allowed now
    }
  }
  return out;
}
