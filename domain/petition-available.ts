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
