import { checkMediationAction, type ActingStaff, type MediationCase, type StaffAction } from './mediation';
import type { Policy } from './policy';

/**
 * Which staff actions this member may take on this case now: each is asked of checkMediationAction, the same check
 * the workflow's update validator runs, with a representative payload. A page offers exactly these, so a button
 * never leads to a refusal that could have been foreseen (what the member types may still be refused, e.g. a party
 * who is not in the case).
 */
export type AvailableAction =
  | 'accept'
  | 'assign'
  | 'session'
  | 'escalate'
  | 'agreement'
  | 'failure'
  | 'withdrawal'
  | 'refusal'
  | 'urge'
  | 'explanation'
  | 'judicialApplied'
  | 'judicialConfirmed'
  | 'judicialRefused'
  | 'followUp';

const FAR_FUTURE = 8_640_000_000_000_000;

function probes(c: MediationCase, actor: ActingStaff, now: number): Record<AvailableAction, StaffAction> {
  const party = c.parties[0]?.name ?? '';
  return {
    accept: { type: 'accept', actor },
    assign: { type: 'assign', actor, mediators: [actor] },
    session: { type: 'recordSession', actor, heldAt: new Date(now).toISOString(), summary: '-' },
    escalate: { type: 'requestEscalation', actor, reason: '-' },
    agreement: { type: 'recordAgreement', actor, agreement: { form: 'written', terms: '-', parties: c.parties.map((p) => p.name) } },
    failure: { type: 'recordFailure', actor, reason: '-', route: 'court' },
    withdrawal: { type: 'recordWithdrawal', actor, party, reason: '-' },
    refusal: { type: 'recordRefusal', actor, party, reason: '-' },
    urge: { type: 'urge', actor, message: '-' },
    explanation: { type: 'explain', actor, explanation: '-', targetDate: new Date(FAR_FUTURE).toISOString() },
    judicialApplied: { type: 'judicialConfirmation', actor, status: 'applied' },
    judicialConfirmed: { type: 'judicialConfirmation', actor, status: 'confirmed' },
    judicialRefused: { type: 'judicialConfirmation', actor, status: 'refused' },
    followUp: { type: 'recordFollowUp', actor, performed: true, notes: '-' },
  };
}

export function availableMediationActions(c: MediationCase, actor: ActingStaff, now: number, policy: Policy): AvailableAction[] {
  const out: AvailableAction[] = [];
  for (const [name, action] of Object.entries(probes(c, actor, now)) as [AvailableAction, StaffAction][]) {
    try {
      checkMediationAction(c, action, now, policy);
      out.push(name);
    } catch {
      // not allowed now
    }
  }
  return out;
}
