import { addDuration, extendPeriod, shareOf } from './calendar';
import { durationText, durationTextEn } from './duration-text';
import { InvalidTransition } from './errors';
import { actorRef, SYSTEM_ACTOR, type ActorRef } from './actors';
import type { OpenMediationInput } from './mediation';
import type { Recipients } from './ports';
import type { Policy } from './policy';
import { toShanghaiIso } from './time';

/**
 * Petitions under "5+N" (信访工作条例 2022; DOMAIN.md §2) as pure rules. A petition is registered, forwarded or
 * assigned to a unit, accepted by it (or objected to as not competent), handled within 60 days (one extension of at
 * most 30 days approved by the unit head), answered with a written reply; then the petitioner may ask for review
 * (复查) and re-review (复核), each within 30 days, each answered within 30 days (hearing time does not count in
 * re-review). Every petition has a responsible leader (包案领导); the five-person leading group is told of every
 * petition and of every passed deadline. The weekly dispatch meeting gives each open petition a direction.
 */
export type PetitionStatus =
  | 'registered'
  | 'assigned'
  | 'accepted'
  | 'replied'
  | 'under_review'
  | 'reviewed'
  | 'under_re_review'
  | 'in_mediation'
  | 'closed';
export type PetitionChannel = 'letter' | 'visit' | 'online';
export type Direction = 'continue' | 'reassign' | 'escalate' | 'extend' | 'close_with_reply';

export const STATUS_NAMES: Record<PetitionStatus, string> = {
  registered: '已登记待交办',
  assigned: '已交办待受理',
  accepted: '办理中',
  replied: '已答复',
  under_review: '复查中',
  reviewed: '已复查',
  under_re_review: '复核中',
  in_mediation: '已转人民调解',
  closed: '已办结',
};
export const DIRECTION_NAMES: Record<Direction, string> = {
  continue: '继续办理',
  reassign: '重新交办',
  escalate: '提级督办',
  extend: '延期办理',
  close_with_reply: '答复办结',
};

export interface Petitioner {
  name: string;
  phone?: string;
  email?: string;
  address?: string;
}

export interface RegisterPetitionInput {
  petitionId: string;
  petitioner: Petitioner;
  subject: string;
  content: string;
  channel: PetitionChannel;
  area: string;
  registeredBy: ActorRef;
  registeredAt: number;
  policy: Policy;
}

export type DeadlineKey =
  | 'assignBy'
  | 'acceptanceNoticeBy'
  | 'objectionBy'
  | 'handleBy'
  | 'reviewRequestBy'
  | 'reviewAnswerBy'
  | 'reReviewRequestBy'
  | 'reReviewAnswerBy';

/** Deadlines the office must meet (they warn, then alert the leading group); the others are the petitioner's windows. */
const OFFICE_DEADLINES: DeadlineKey[] = ['assignBy', 'acceptanceNoticeBy', 'handleBy', 'reviewAnswerBy', 'reReviewAnswerBy'];
const WINDOWS: DeadlineKey[] = ['reviewRequestBy', 'reReviewRequestBy'];

export const DEADLINE_NAMES: Record<DeadlineKey, string> = {
  assignBy: '转送交办期限',
  acceptanceNoticeBy: '书面告知受理期限',
  objectionBy: '异议期限',
  handleBy: '办理期限',
  reviewRequestBy: '复查申请期限',
  reviewAnswerBy: '复查答复期限',
  reReviewRequestBy: '复核申请期限',
  reReviewAnswerBy: '复核答复期限',
};

export interface PetitionEvent {
  seq: number;
  at: string;
  actor: ActorRef;
  action: string;
  from: PetitionStatus | null;
  to: PetitionStatus;
  details?: Record<string, unknown>;
}

export interface Petition {
  /** Deadlines counted in a year whose holidays the calendar lacks (weekends only): provisional. */
  provisional?: string[];
  id: string;
  kind: 'petition';
  policyVersion: string;
  petitioner: Petitioner;
  subject: string;
  content: string;
  channel: PetitionChannel;
  area: string;
  status: PetitionStatus;
  registeredAt: string;
  registeredBy: ActorRef;
  /** The unit handling it and the unit head who approves an extension (the "N" of 5+N with the leader). */
  unit: { name: string; headName: string } | null;
  leader: ActorRef | null;
  deadlines: Partial<Record<DeadlineKey, string>>;
  /** Hearing during re-review: the clock is paused with this much left. */
  hearing: { startedAt: string; remainingMs: number } | null;
  extension: { days: number; reason: string; approvedBy: string; at: string } | null;
  reply: { decision: string; opinion: string; at: string; documentId: string } | null;
  review: { requestedAt: string; reason: string; answer: string | null; answeredAt: string | null } | null;
  reReview: { requestedAt: string; reason: string; answer: string | null; answeredAt: string | null } | null;
  linkedMediation: LinkedMediation | null;
  /**
   * A transfer to mediation holds the petition's clock (see MEDIATION_HOLD below). Set on petitions registered since
   * the rule exists; petitions started before keep the old meaning (a link only) so that their histories replay.
   */
  transferHoldsClock?: boolean;
  lastDirection: { meetingId: string; direction: Direction; note: string; at: string } | null;
  /** When staff last moved the petition on (not counting reminders, alerts and meeting directions). */
  lastProgressAt: string;
  overdue: boolean;
  warningsSent: string[];
  closedReason: string | null;
  /** Closed after re-review (复核): the same matter on the same facts is not accepted again. */
  reReviewCompleted: boolean;
  finished: boolean;
  timeline: PetitionEvent[];
  version: number;
}

/** The mediation case a petition was transferred to (访调对接), and what the petition was doing when it went. */
export interface LinkedMediation {
  id: string;
  outcome: string | null;
  /** The status the petition returns to if the mediation ends without an agreement. */
  heldFrom?: PetitionStatus;
  /** Time left on each deadline when the petition went to mediation; it resumes from there. */
  remainingMs?: Partial<Record<DeadlineKey, number>>;
}

/** What the transferring officer says about the dispute; the rest of the mediation case comes from the petition. */
export interface MediationReferral {
  category: string;
  /** The village where the dispute arose. */
  area: string;
  summary?: string;
  respondents: { name: string; phone?: string; email?: string }[];
}

export type PetitionStaffAction =
  | { type: 'assign'; actor: ActorRef; unit: { name: string; headName: string } }
  | { type: 'accept'; actor: ActorRef; notice: string }
  | { type: 'object'; actor: ActorRef; reasons: string }
  | { type: 'assignLeader'; actor: ActorRef; leader: ActorRef }
  | { type: 'extend'; actor: ActorRef; days: number; reason: string; approvedBy: string }
  | { type: 'reply'; actor: ActorRef; decision: 'supported' | 'partially_supported' | 'not_supported'; opinion: string }
  | { type: 'requestReview'; actor: ActorRef; reason: string }
  | { type: 'answerReview'; actor: ActorRef; opinion: string }
  | { type: 'requestReReview'; actor: ActorRef; reason: string }
  | { type: 'startHearing'; actor: ActorRef }
  | { type: 'endHearing'; actor: ActorRef }
  | { type: 'answerReReview'; actor: ActorRef; opinion: string }
  | { type: 'transferToMediation'; actor: ActorRef; mediationId: string; referral?: MediationReferral };

/** What arrives from elsewhere: the weekly meeting's direction, the linked mediation's outcome. */
export type PetitionSignal =
  | { type: 'weeklyReview'; actor: ActorRef; meetingId: string; direction: Direction; note: string }
  | { type: 'mediationOutcome'; actor: ActorRef; mediationId: string; outcome: string };

export type PetitionSystemAction =
  | { type: 'warn'; actor: ActorRef; deadline: DeadlineKey }
  | { type: 'deadlinePassed'; actor: ActorRef; deadline: DeadlineKey };

export type PetitionAction = PetitionStaffAction | PetitionSignal | PetitionSystemAction;

export interface PetitionNotice {
  template: string;
  recipients: Recipients;
}

export const REPLY_DECISIONS = { supported: '予以支持', partially_supported: '部分支持', not_supported: '不予支持' } as const;

/** A petition refuses what its state or a time limit does not allow (409). */
export { InvalidTransition as PetitionRefused };

function refuse(message: string): never {
  throw new InvalidTransition(message);
}

const leadingGroup = (p: Policy): Recipients => ({
  kind: 'emails',
  emails: p.petition!.leadingGroup.value.map((m) => m.email),
});
const petitionerOf = (x: Petition): Recipients | null =>
  x.petitioner.email ? { kind: 'emails', emails: [x.petitioner.email] } : null;
/** The responsible leader, or the petition officers of the area while none is named. */
const handlersOf = (x: Petition): Recipients =>
  x.leader ? { kind: 'users', ids: [x.leader.id] } : { kind: 'staff', role: 'petition_officer', area: x.area };

export function registerPetition(
  input: RegisterPetitionInput,
  rules: { transferHoldsClock: boolean } = { transferHoldsClock: true },
): { petition: Petition; notices: PetitionNotice[] } {
  const { policy } = input;
  const cfg = policy.petition!;
  const at = toShanghaiIso(input.registeredAt);
  const p: Petition = {
    id: input.petitionId,
    kind: 'petition',
    policyVersion: policy.version,
    petitioner: input.petitioner,
    subject: input.subject,
    content: input.content,
    channel: input.channel,
    area: input.area,
    status: 'registered',
    registeredAt: at,
    registeredBy: input.registeredBy,
    unit: null,
    leader: null,
    deadlines: { assignBy: toShanghaiIso(addDuration(input.registeredAt, cfg.assignLimit.value, policy.calendar.value)) },
    hearing: null,
    extension: null,
    reply: null,
    review: null,
    reReview: null,
    linkedMediation: null,
    ...(rules.transferHoldsClock ? { transferHoldsClock: true } : {}),
    lastDirection: null,
    lastProgressAt: at,
    overdue: false,
    warningsSent: [],
    closedReason: null,
    reReviewCompleted: false,
    finished: false,
    timeline: [{ seq: 1, at, actor: input.registeredBy, action: 'registered', from: null, to: 'registered', details: { channel: input.channel } }],
    version: 1,
  };
  return { petition: p, notices: [{ template: 'petition/registered', recipients: leadingGroup(policy) }] };
}

/**
 * 访调对接: a petition transferred to people's mediation (三调对接, DOMAIN.md §1; 信访工作条例 2022 on 申诉求决类事项:
 * a matter that another lawful route can resolve is guided into it (导入相应程序), and a dispute may be settled by
 * mediation with the parties' consent). While the mediation holds the matter the petition is `in_mediation` (已转人民调解): it is being
 * dealt with, so the office's own deadlines neither run nor alert. The mediation's outcome decides:
 * - an agreement settles the matter: the petition closes as resolved by mediation (`resolved_by_mediation`);
 * - failure at county level, withdrawal or a party's refusal: the petition returns to the step it was at, and its
 *   deadlines resume with the time they had left (like the hearing pause in re-review: time spent on the other route
 *   does not count, and the office gains no fresh period by sending a matter away).
 * Only a petition not yet answered (registered, assigned, accepted) can be transferred, once.
 */
export const TRANSFERABLE: PetitionStatus[] = ['registered', 'assigned', 'accepted'];

/** The mediation outcomes a petition hears of, in the words of its notices. */
export const MEDIATION_OUTCOME_NAMES: Record<string, string> = {
  agreement: '达成调解协议',
  failed: '调解不成',
  withdrawn: '当事人撤回调解申请',
  refused: '当事人拒绝调解',
  referred_to_court: '引导诉讼',
};

/**
 * The mediation case of a petition: derived from the petition id alone (FNV-1a, 64 bits; pure so that the workflow
 * can compute it), so every officer, every retry and the workflow agree on one case.
 */
export function mediationIdForPetition(petitionId: string): string {
  let h = 0xcbf29ce484222325n;
  for (const ch of `transfer-to-mediation:${petitionId}`) {
    h ^= BigInt(ch.codePointAt(0)!);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `MED-${h.toString(16).padStart(16, '0').slice(0, 12).toUpperCase()}`;
}

/** An outcome counts only when it comes from the case the petition is linked to. */
export function isLinkedOutcome(p: Petition, mediationId: string): boolean {
  return p.linkedMediation?.id === mediationId;
}

/** The mediation case a transfer opens: channel `petition`, the petitioner as applicant, referral = the petition. */
export function mediationInputFor(
  p: Petition,
  referral: MediationReferral,
  actor: ActorRef,
  now: number,
  policy: Policy,
): OpenMediationInput {
  return {
    caseId: mediationIdForPetition(p.id),
    category: referral.category,
    summary: referral.summary ?? `${p.subject}：${p.content}`.slice(0, 4000),
    area: referral.area,
    channel: 'petition',
    referral: { source: '信访', reference: p.id },
    parties: [
      { name: p.petitioner.name, role: 'applicant', email: p.petitioner.email, phone: p.petitioner.phone },
      ...referral.respondents.map((r) => ({ ...r, role: 'respondent' as const })),
    ],
    reportedBy: actorRef(actor),
    reportedAt: now,
    policy,
  };
}

function windowMessage(p: Petition, key: 'reviewRequestBy' | 'reReviewRequestBy', now: number): string | null {
  const end = p.deadlines[key];
  if (end && now > Date.parse(end)) {
    return `${DEADLINE_NAMES[key]}已于 ${end} 届满，不再受理 (the ${key === 'reviewRequestBy' ? 'review' : 're-review'} window closed at ${end})`;
  }
  return null;
}

/**
 * Where a requested extension of `days` calendar days would end the handling period, and where the policy's longest
 * extension would: both counted from the same start (the current handling deadline), so the policy may state its
 * period in any unit (working days, or seconds in a test policy) and the two are compared as ends, not as numbers.
 */
export function extensionEnds(p: Petition, days: number, policy: Policy): { requested: number; limit: number } {
  const cal = policy.calendar.value;
  const start = Date.parse(p.deadlines.handleBy!);
  return {
    // An extension counts from the last day of the limit it extends (domain/calendar.ts extendPeriod).
    requested: extendPeriod(start, { value: days, unit: 'calendarDays' }, cal),
    limit: extendPeriod(start, policy.petition!.maxExtension.value, cal),
  };
}

/** Throws PetitionRefused (the API answers 409) when the petition's state does not allow the action. */
export function checkPetitionAction(p: Petition, a: PetitionAction, now: number, policy: Policy): void {
  if (a.type === 'warn' || a.type === 'deadlinePassed') return;
  if (a.type === 'mediationOutcome') {
    // Since transfers hold the clock, only the linked case's outcome counts, and only while the mediation has it.
    if (p.transferHoldsClock && (!isLinkedOutcome(p, a.mediationId) || p.status !== 'in_mediation')) {
      refuse(`${a.mediationId} 不是本信访事项正在等待的调解案件 (not the mediation this petition waits on)`);
    }
    return;
  }
  if (p.finished) {
    if (p.closedReason === 'review_window_passed' && a.type === 'requestReview') {
      refuse(`复查申请期限已届满，信访事项已办结 (the review window closed; petition ${p.id} is closed)`);
    }
    if (p.closedReason === 're_review_window_passed' && a.type === 'requestReReview') {
      refuse(`复核申请期限已届满，信访事项已办结 (the re-review window closed; petition ${p.id} is closed)`);
    }
    refuse(`信访事项已办结 (petition ${p.id} is closed)`);
  }
  const need = (...states: PetitionStatus[]) => {
    if (!states.includes(p.status)) {
      refuse(`当前状态为“${STATUS_NAMES[p.status]}”，不能办理此操作 (petition ${p.id} is ${p.status}; this needs ${states.join(' or ')})`);
    }
  };
  const cfg = policy.petition!;
  switch (a.type) {
    case 'assign':
      return need('registered');
    case 'accept':
      return need('assigned');
    case 'object': {
      need('assigned');
      if (p.deadlines.objectionBy && now > Date.parse(p.deadlines.objectionBy)) {
        const limit = cfg.objectionLimit.value;
        refuse(`异议须在交办后${durationText(limit)}内提出，已于 ${p.deadlines.objectionBy} 届满 (the ${durationTextEn(limit)} objection window closed)`);
      }
      return;
    }
    case 'assignLeader':
      return;
    case 'transferToMediation':
      if (p.linkedMediation) refuse(`已转入调解 ${p.linkedMediation.id} (already transferred)`);
      if (p.transferHoldsClock) {
        need(...TRANSFERABLE);
        if (a.mediationId !== mediationIdForPetition(p.id) || !a.referral) {
          refuse(`调解案件编号应为 ${mediationIdForPetition(p.id)} (the mediation case of ${p.id} is ${mediationIdForPetition(p.id)})`);
        }
      }
      return;
    case 'extend': {
      need('accepted');
      if (p.extension) refuse('办理期限只能延长一次 (the handling period may be extended once)');
      const ends = extensionEnds(p, a.days, policy);
      const max = cfg.maxExtension.value;
      // In the same unit the numbers compare exactly (31 days exceed 30 even when both ends move to the same working
      // day); in different units the ends do.
      const tooLong = max.unit === 'calendarDays' ? a.days > max.value : ends.requested > ends.limit;
      if (tooLong) {
        refuse(
          `延长期限不得超过${durationText(max)}，延长${a.days}日将至 ${toShanghaiIso(ends.requested)}，最迟至 ${toShanghaiIso(ends.limit)} ` +
            `(an extension may not exceed ${durationTextEn(max)}: ${a.days} days would end after the limit)`,
        );
      }
      if (!p.unit || a.approvedBy !== p.unit.headName) {
        refuse(`延期须经承办单位负责人${p.unit ? `（${p.unit.headName}）` : ''}批准 (the unit head must approve the extension)`);
      }
      return;
    }
    case 'reply':
      return need('accepted');
    case 'requestReview': {
      need('replied');
      const m = windowMessage(p, 'reviewRequestBy', now);
      if (m) refuse(m);
      return;
    }
    case 'answerReview':
      return need('under_review');
    case 'requestReReview': {
      need('reviewed');
      const m = windowMessage(p, 'reReviewRequestBy', now);
      if (m) refuse(m);
      return;
    }
    case 'startHearing':
      need('under_re_review');
      if (p.hearing) refuse('听证已在进行中 (a hearing is already running)');
      return;
    case 'endHearing':
      need('under_re_review');
      if (!p.hearing) refuse('没有进行中的听证 (no hearing is running)');
      return;
    case 'answerReReview':
      need('under_re_review');
      if (p.hearing) refuse('听证结束后方可作出复核意见 (end the hearing first)');
      return;
    case 'weeklyReview':
      return;
  }
}

export function applyPetitionAction(
  p: Petition,
  a: PetitionAction,
  now: number,
  policy: Policy,
): { next: Petition; event: PetitionEvent; notices: PetitionNotice[] } {
  checkPetitionAction(p, a, now, policy);
  const cfg = policy.petition!;
  const cal = policy.calendar.value;
  const at = toShanghaiIso(now);
  const after = (d: Parameters<typeof addDuration>[1]) => toShanghaiIso(addDuration(now, d, cal));
  const next: Petition = { ...p, deadlines: { ...p.deadlines }, warningsSent: [...p.warningsSent], version: p.version + 1, timeline: [...p.timeline] };
  const notices: PetitionNotice[] = [];
  let action: string = a.type;
  let details: Record<string, unknown> | undefined;
  const progress = () => {
    next.lastProgressAt = at;
    next.overdue = false;
  };
  const close = (reason: string, final = false) => {
    next.status = 'closed';
    next.closedReason = reason;
    next.finished = true;
    next.reReviewCompleted = final;
    next.deadlines = {};
    next.overdue = false;
  };
  switch (a.type) {
    case 'assign':
      next.status = 'assigned';
      next.unit = a.unit;
      delete next.deadlines.assignBy;
      next.deadlines.acceptanceNoticeBy = after(cfg.acceptanceNoticeLimit.value);
      next.deadlines.objectionBy = after(cfg.objectionLimit.value);
      details = { unit: a.unit };
      action = 'assigned';
      progress();
      break;
    case 'accept':
      next.status = 'accepted';
      delete next.deadlines.acceptanceNoticeBy;
      delete next.deadlines.objectionBy;
      next.deadlines.handleBy = after(cfg.handlingLimit.value);
      details = { notice: a.notice };
      action = 'accepted';
      notices.push(...(petitionerOf(p) ? [{ template: 'petition/accepted', recipients: petitionerOf(p)! }] : []));
      progress();
      break;
    case 'object':
      next.status = 'registered';
      next.unit = null;
      delete next.deadlines.acceptanceNoticeBy;
      delete next.deadlines.objectionBy;
      next.deadlines.assignBy = after(cfg.assignLimit.value);
      details = { unit: p.unit, reasons: a.reasons };
      action = 'objected';
      notices.push({ template: 'petition/objected', recipients: handlersOf(p) });
      progress();
      break;
    case 'assignLeader':
      next.leader = actorRef(a.leader);
      details = { leader: actorRef(a.leader), previous: p.leader };
      action = p.leader ? 'leader_reassigned' : 'leader_assigned';
      notices.push({ template: 'petition/leader-assigned', recipients: { kind: 'users', ids: [a.leader.id] } });
      break;
    case 'extend': {
      next.deadlines.handleBy = toShanghaiIso(extensionEnds(p, a.days, policy).requested);
      next.extension = { days: a.days, reason: a.reason, approvedBy: a.approvedBy, at };
      next.warningsSent = next.warningsSent.filter((w) => w !== 'warn:handleBy' && w !== 'passed:handleBy');
      details = { days: a.days, reason: a.reason, approvedBy: a.approvedBy, handleBy: next.deadlines.handleBy };
      action = 'extended';
      if (petitionerOf(p)) notices.push({ template: 'petition/extended', recipients: petitionerOf(p)! });
      progress();
      break;
    }
    case 'reply':
      next.status = 'replied';
      next.reply = { decision: a.decision, opinion: a.opinion, at, documentId: `${p.id}:reply` };
      delete next.deadlines.handleBy;
      next.deadlines.reviewRequestBy = after(cfg.reviewWindow.value);
      details = { decision: a.decision, reviewWindow: durationText(cfg.reviewWindow.value) };
      action = 'replied';
      if (petitionerOf(p)) notices.push({ template: 'petition/reply', recipients: petitionerOf(p)! });
      progress();
      break;
    case 'requestReview':
      next.status = 'under_review';
      next.review = { requestedAt: at, reason: a.reason, answer: null, answeredAt: null };
      delete next.deadlines.reviewRequestBy;
      next.deadlines.reviewAnswerBy = after(cfg.reviewAnswerLimit.value);
      details = { reason: a.reason };
      action = 'review_requested';
      progress();
      break;
    case 'answerReview':
      next.status = 'reviewed';
      next.review = { ...p.review!, answer: a.opinion, answeredAt: at };
      delete next.deadlines.reviewAnswerBy;
      next.deadlines.reReviewRequestBy = after(cfg.reReviewWindow.value);
      action = 'review_answered';
      details = { opinion: a.opinion, reReviewWindow: durationText(cfg.reReviewWindow.value) };
      if (petitionerOf(p)) notices.push({ template: 'petition/review-answer', recipients: petitionerOf(p)! });
      progress();
      break;
    case 'requestReReview':
      next.status = 'under_re_review';
      next.reReview = { requestedAt: at, reason: a.reason, answer: null, answeredAt: null };
      delete next.deadlines.reReviewRequestBy;
      next.deadlines.reReviewAnswerBy = after(cfg.reReviewAnswerLimit.value);
      details = { reason: a.reason };
      action = 're_review_requested';
      progress();
      break;
    case 'startHearing': {
      const remainingMs = Date.parse(p.deadlines.reReviewAnswerBy!) - now;
      next.hearing = { startedAt: at, remainingMs };
      delete next.deadlines.reReviewAnswerBy;
      details = { remainingMs };
      action = 'hearing_started';
      progress();
      break;
    }
    case 'endHearing':
      next.deadlines.reReviewAnswerBy = toShanghaiIso(now + p.hearing!.remainingMs);
      details = { pausedMs: now - Date.parse(p.hearing!.startedAt), reReviewAnswerBy: next.deadlines.reReviewAnswerBy };
      next.hearing = null;
      action = 'hearing_ended';
      progress();
      break;
    case 'answerReReview':
      next.reReview = { ...p.reReview!, answer: a.opinion, answeredAt: at };
      close('re_review_answered', true);
      details = { opinion: a.opinion };
      action = 're_review_answered';
      if (petitionerOf(p)) notices.push({ template: 'petition/re-review-answer', recipients: petitionerOf(p)! });
      next.lastProgressAt = at;
      break;
    case 'transferToMediation':
      next.linkedMediation = { id: a.mediationId, outcome: null };
      details = { mediationId: a.mediationId };
      action = 'transferred_to_mediation';
      progress();
      if (p.transferHoldsClock) {
        // The mediation has the matter: every running deadline is held with the time it had left.
        const remainingMs: Partial<Record<DeadlineKey, number>> = {};
        for (const [k, v] of Object.entries(p.deadlines)) remainingMs[k as DeadlineKey] = Date.parse(v as string) - now;
        next.linkedMediation = { id: a.mediationId, outcome: null, heldFrom: p.status, remainingMs };
        next.status = 'in_mediation';
        next.deadlines = {};
        details = { mediationId: a.mediationId, heldFrom: p.status, remainingMs };
        notices.push({ template: 'petition/transferred', recipients: handlersOf(p) });
      }
      break;
    case 'weeklyReview':
      next.lastDirection = { meetingId: a.meetingId, direction: a.direction, note: a.note, at };
      details = { meetingId: a.meetingId, direction: a.direction, note: a.note };
      action = 'weekly_review';
      if (a.direction === 'escalate') notices.push({ template: 'petition/escalated', recipients: leadingGroup(policy) });
      else notices.push({ template: 'petition/direction', recipients: handlersOf(p) });
      break;
    case 'mediationOutcome':
      next.linkedMediation = { ...p.linkedMediation!, id: a.mediationId, outcome: a.outcome };
      details = { mediationId: a.mediationId, outcome: a.outcome };
      action = 'mediation_outcome';
      if (!p.transferHoldsClock) break;
      if (a.outcome === 'agreement') {
        // The agreement settles the matter: the petition ends as resolved by mediation.
        close('resolved_by_mediation');
        next.lastProgressAt = at;
        action = 'resolved_by_mediation';
      } else {
        // No agreement: the petition goes back to where it was, its deadlines resuming with the time they had left.
        const held = p.linkedMediation!;
        next.status = held.heldFrom ?? 'registered';
        next.deadlines = {};
        for (const [k, ms] of Object.entries(held.remainingMs ?? {})) next.deadlines[k as DeadlineKey] = toShanghaiIso(now + (ms as number));
        progress();
        next.overdue = OFFICE_DEADLINES.some((k) => (held.remainingMs?.[k] ?? 1) <= 0);
        action = 'returned_from_mediation';
        details = { ...details, deadlines: next.deadlines };
      }
      notices.push({ template: 'petition/mediation-outcome', recipients: handlersOf(p) });
      break;
    case 'warn':
      next.warningsSent.push(`warn:${a.deadline}`);
      details = { deadline: a.deadline, at: p.deadlines[a.deadline] };
      action = 'deadline_warning';
      notices.push({ template: 'petition/deadline-warning', recipients: handlersOf(p) });
      break;
    case 'deadlinePassed':
      details = { deadline: a.deadline, at: p.deadlines[a.deadline] };
      if (WINDOWS.includes(a.deadline)) {
        close(a.deadline === 'reviewRequestBy' ? 'review_window_passed' : 're_review_window_passed');
        action = 'closed';
      } else {
        next.warningsSent.push(`passed:${a.deadline}`);
        next.overdue = true;
        action = 'deadline_passed';
        notices.push({ template: 'petition/overdue', recipients: leadingGroup(policy) });
      }
      break;
  }
  const event: PetitionEvent = { seq: p.timeline.length + 1, at, actor: actorRef(a.actor), action, from: p.status, to: next.status, details };
  next.timeline.push(event);
  return { next, event, notices };
}

/**
 * The clock's next move: warnings at a share of each office deadline, alerts when one passes, windows closing.
 * No warning about a deadline that has passed: one due at or after its deadline is never planned, and given `now`
 * (the workflow passes it behind a patch), one whose deadline lies at or before `now` is left out.
 */
export function nextPetitionSystemAction(p: Petition, policy: Policy, now?: number): { at: number; action: PetitionSystemAction } | null {
  if (p.finished) return null;
  const share = policy.petition!.warnShare.value;
  const base = Date.parse(p.lastProgressAt);
  const out: { at: number; action: PetitionSystemAction }[] = [];
  for (const key of OFFICE_DEADLINES) {
    const d = p.deadlines[key];
    if (!d) continue;
    const end = Date.parse(d);
    const warnAt = shareOf(base, end, share);
    const stale = warnAt >= end || (now !== undefined && end <= now);
    if (!stale && !p.warningsSent.includes(`warn:${key}`) && !p.warningsSent.includes(`passed:${key}`)) {
      out.push({ at: warnAt, action: { type: 'warn', actor: SYSTEM_ACTOR, deadline: key } });
    }
    if (!p.warningsSent.includes(`passed:${key}`)) out.push({ at: end, action: { type: 'deadlinePassed', actor: SYSTEM_ACTOR, deadline: key } });
  }
  for (const key of WINDOWS) {
    const d = p.deadlines[key];
    if (d) out.push({ at: Date.parse(d), action: { type: 'deadlinePassed', actor: SYSTEM_ACTOR, deadline: key } });
  }
  out.sort((a, b) => a.at - b.at);
  return out[0] ?? null;
}

/** The earliest running deadline, for the register, the weekly agenda and the PinganNextDeadline attribute. */
export function nextPetitionDeadline(p: Petition): string | null {
  if (p.finished) return null;
  const times = Object.entries(p.deadlines)
    .filter(([k]) => k !== 'objectionBy')
    .map(([, v]) => Date.parse(v as string));
  return times.length > 0 ? toShanghaiIso(Math.min(...times)) : null;
}
