import { addDuration, shareOf } from './calendar';
import { durationText, durationTextEn } from './duration-text';
import { InvalidTransition, NotPermitted } from './errors';
import { actorRef, SYSTEM_ACTOR, type ActorRef } from './actors';
import { areaAt } from './areas';
import type { Recipients } from './ports';
import {
  findCategory,
  levelIndex,
  levelLimit,
  MEDIATION_LEVELS,
  triageLevel,
  type MediationLevel,
  type Policy,
  type Seriousness,
} from './policy';
import { toShanghaiIso } from './time';

/**
 * The mediation process (DOMAIN.md §1) as pure rules: what state a case is in, which actions that state allows,
 * what each action changes, which notices it sends, and when the clock acts by itself. The workflow
 * (workflows/mediation.ts) owns the clock and the side effects; this module decides.
 *
 * A case arrives at a level (village, township or county) awaiting acceptance. Accepted, it is mediated there.
 * When the acceptance limit or the level limit passes, it climbs to the next level by itself; at county a passed
 * limit marks it overdue and alerts the supervisors, and it never closes silently. It closes with an outcome:
 * agreement (then the judicial-confirmation window and the follow-up visit), failure at county (referred to court,
 * arbitration or administrative routes), withdrawal or a party's refusal.
 */
export type MediationStatus = 'awaiting_acceptance' | 'in_mediation' | 'closed';
export type Channel = 'grid' | 'walk_in' | 'hotline' | 'police' | 'court' | 'petition';
export type FailureRoute = 'court' | 'arbitration' | 'administrative';

/** The parties' roles as a 协议书 and the case page name them. */
export const PARTY_ROLE_NAMES: Record<string, string> = { applicant: '申请人', respondent: '被申请人', other: '其他当事人' };

export const CHANNEL_NAMES: Record<Channel, string> = {
  grid: '网格员上报',
  walk_in: '来访窗口',
  hotline: '热线电话',
  police: '警调对接',
  court: '诉调对接',
  petition: '访调对接',
};
export const LEVEL_NAMES: Record<MediationLevel, string> = { village: '村级', township: '乡镇', county: '县级' };
export const ROUTE_NAMES: Record<FailureRoute, string> = {
  court: '向人民法院提起诉讼',
  arbitration: '申请仲裁',
  administrative: '请求有关行政机关依法处理',
};

export interface Party {
  name: string;
  role: 'applicant' | 'respondent' | 'other';
  phone?: string;
  email?: string;
}

export interface OpenMediationInput {
  caseId: string;
  category: string;
  summary: string;
  parties: Party[];
  /** The village where the dispute arose: county/township/village. */
  area: string;
  channel: Channel;
  /** 分级诊疗: with the category, decides the level the case opens at. */
  seriousness?: Seriousness;
  referral?: { source: string; reference: string };
  reportedBy: ActorRef;
  /** Epoch ms at which the report was received. */
  reportedAt: number;
  policy: Policy;
}

export interface Agreement {
  form: 'written' | 'oral';
  terms: string;
  /** Names of the parties who agreed (every party of the case must be among them). */
  parties: string[];
  /** 人民调解法 Art. 29: the main facts and points in dispute beyond the case summary, and how and by when the terms
   *  are performed. Optional: agreements recorded before the console have neither. */
  facts?: string;
  performance?: string;
}

export type Outcome =
  | { kind: 'agreement'; agreement: Agreement; at: string; by: ActorRef }
  | { kind: 'failed'; reason: string; route: FailureRoute; at: string; by: ActorRef }
  | { kind: 'withdrawn' | 'refused'; party: string; reason: string; at: string; by: ActorRef }
  | { kind: 'referred_to_court'; reason: string; at: string; by: ActorRef };
/** The level deadline in force when the outcome was recorded (the statistics' on-time rate); absent on outcomes recorded
 *  before it was kept and on a follow-up's referral to court. */
export type RecordedOutcome = Outcome & { levelDeadline?: string };

export interface StatusPoint {
  status: MediationStatus;
  level: MediationLevel;
}

export interface TimelineEvent {
  seq: number;
  at: string;
  actor: ActorRef;
  action: string;
  from: StatusPoint | null;
  to: StatusPoint;
  details?: Record<string, unknown>;
}

export interface MediationDeadlines {
  acceptReminderAt?: string;
  acceptBy?: string;
  levelReminderAt?: string;
  levelDeadline?: string;
  judicialConfirmationBy?: string;
  followUpDue?: string;
  /** The new target date a mediator promised when explaining an overdue case. */
  targetDate?: string;
}

export interface MediationCase {
  /** Deadlines counted in a year whose holidays the calendar lacks (weekends only): provisional. */
  provisional?: string[];
  id: string;
  kind: 'mediation';
  policyVersion: string;
  category: string;
  categoryName: string;
  seriousness: Seriousness;
  /** The county committee that takes the case at county level (by category). */
  committee: string | null;
  committeeName: string | null;
  summary: string;
  parties: Party[];
  area: string;
  channel: Channel;
  referral: { source: string; reference: string } | null;
  status: MediationStatus;
  level: MediationLevel;
  /** The area of the unit now responsible: the village, its township or the county. */
  responsibleArea: string;
  openedAt: string;
  openedBy: ActorRef;
  levelEnteredAt: string;
  acceptedAt: string | null;
  assignees: ActorRef[];
  deadlines: MediationDeadlines;
  overdue: boolean;
  /** Set by a supervisor's urge on an overdue case: the mediators owe an explanation and a new target date. */
  explanationRequired: boolean;
  sessions: { heldAt: string; summary: string; by: ActorRef }[];
  outcome: RecordedOutcome | null;
  judicialConfirmation: 'not_applied' | 'applied' | 'confirmed' | 'refused' | null;
  followUp: { visitedAt: string; performed: boolean; notes: string; by: ActorRef } | null;
  /** Reminders already sent, so each goes once ("acceptance:village", "level:township", "followUp"). */
  remindersSent: string[];
  /** Nothing is left to do: the workflow ends. */
  finished: boolean;
  timeline: TimelineEvent[];
  /** Increases by one with every transition; the read model keeps the highest. */
  version: number;
}

/** The staff member acting, with what the rules need to decide whether it may (area, mediation level). */
export interface ActingStaff extends ActorRef {
  area: string;
  level?: MediationLevel;
  committee?: string | null;
}

export type StaffAction =
  | { type: 'accept'; actor: ActingStaff; note?: string }
  | { type: 'assign'; actor: ActingStaff; mediators: ActingStaff[] }
  | { type: 'recordSession'; actor: ActingStaff; heldAt: string; summary: string }
  | { type: 'requestEscalation'; actor: ActingStaff; reason: string }
  | { type: 'recordAgreement'; actor: ActingStaff; agreement: Agreement }
  | { type: 'recordFailure'; actor: ActingStaff; reason: string; route?: FailureRoute }
  | { type: 'recordWithdrawal'; actor: ActingStaff; party: string; reason: string }
  | { type: 'recordRefusal'; actor: ActingStaff; party: string; reason: string }
  | { type: 'urge'; actor: ActingStaff; message: string }
  | { type: 'explain'; actor: ActingStaff; explanation: string; targetDate: string }
  | { type: 'judicialConfirmation'; actor: ActingStaff; status: 'applied' | 'confirmed' | 'refused' }
  | { type: 'recordFollowUp'; actor: ActingStaff; performed: boolean; notes: string; next?: 'reopen' | 'court' };

/** What the clock does by itself (never sent by staff). */
export type SystemAction =
  | { type: 'remind'; actor: ActorRef; kind: 'acceptance' | 'level' | 'followUp' }
  | { type: 'escalate'; actor: ActorRef; reason: 'acceptance_limit' | 'level_limit' }
  | { type: 'markOverdue'; actor: ActorRef; reason: 'acceptance_limit' | 'level_limit' };

export type MediationAction = StaffAction | SystemAction;

/** A notice to send after a transition; `template` names a file in templates/. */
export interface Notice {
  template: string;
  recipients: Recipients;
}

export { InvalidTransition, NotPermitted };

export function responsibleAreaFor(area: string, level: MediationLevel): string {
  return areaAt(area, level);
}

function nextLevel(level: MediationLevel): MediationLevel | null {
  return MEDIATION_LEVELS[levelIndex(level) + 1] ?? null;
}

/** Deadlines of a case arriving at `level` at `now`. */
function levelDeadlines(policy: Policy, category: string, level: MediationLevel, now: number): MediationDeadlines {
  const cal = policy.calendar.value;
  const share = policy.mediation.reminderShare.value;
  const acceptBy = addDuration(now, policy.mediation.acceptanceLimit.value, cal);
  const levelDeadline = addDuration(now, levelLimit(policy, category, level), cal);
  return {
    acceptReminderAt: toShanghaiIso(shareOf(now, acceptBy, share)),
    acceptBy: toShanghaiIso(acceptBy),
    levelReminderAt: toShanghaiIso(shareOf(now, levelDeadline, share)),
    levelDeadline: toShanghaiIso(levelDeadline),
  };
}

const mediatorsOf = (c: MediationCase): Recipients => ({
  kind: 'mediators',
  area: c.responsibleArea,
  level: c.level,
  committee: c.level === 'county' ? c.committee : null,
});
/** The assigned mediators, or all the mediators of the unit while nobody is assigned. */
const handlersOf = (c: MediationCase): Recipients =>
  c.assignees.length > 0 ? { kind: 'users', ids: c.assignees.map((a) => a.id) } : mediatorsOf(c);
const supervisorsOf = (c: MediationCase): Recipients => ({ kind: 'supervisors', area: c.area });
const partiesOf = (c: MediationCase): Recipients | null => {
  const emails = c.parties.map((p) => p.email).filter((e): e is string => !!e);
  return emails.length > 0 ? { kind: 'emails', emails } : null;
};

export function openMediation(input: OpenMediationInput): { case: MediationCase; notices: Notice[] } {
  const { policy } = input;
  const category = findCategory(policy, input.category);
  if (!category) throw new InvalidTransition(`unknown category ${input.category}`);
  const seriousness = input.seriousness ?? 'ordinary';
  const level = triageLevel(policy, category.code, seriousness);
  const at = toShanghaiIso(input.reportedAt);
  const c: MediationCase = {
    id: input.caseId,
    kind: 'mediation',
    policyVersion: policy.version,
    category: category.code,
    categoryName: category.name,
    seriousness,
    committee: category.committee,
    committeeName: policy.mediation.committees[category.committee] ?? null,
    summary: input.summary,
    parties: input.parties,
    area: input.area,
    channel: input.channel,
    referral: input.referral ?? null,
    status: 'awaiting_acceptance',
    level,
    responsibleArea: responsibleAreaFor(input.area, level),
    openedAt: at,
    openedBy: input.reportedBy,
    levelEnteredAt: at,
    acceptedAt: null,
    assignees: [],
    deadlines: levelDeadlines(policy, category.code, level, input.reportedAt),
    overdue: false,
    explanationRequired: false,
    sessions: [],
    outcome: null,
    judicialConfirmation: null,
    followUp: null,
    remindersSent: [],
    finished: false,
    timeline: [],
    version: 1,
  };
  c.timeline.push({
    seq: 1,
    at,
    actor: input.reportedBy,
    action: 'opened',
    from: null,
    to: { status: c.status, level: c.level },
    details: { channel: input.channel, category: category.code, seriousness, referral: input.referral ?? null },
  });
  return { case: c, notices: [{ template: 'mediation/new-case', recipients: mediatorsOf(c) }] };
}

/** Mediation actions belong to the mediators of the level and unit (at county: the committee) now holding the case. */
export function checkMediatorMayAct(actor: ActingStaff, c: MediationCase): void {
  if (actor.role !== 'mediator') throw new NotPermitted(`只有调解员可以办理此操作 (role ${actor.role} may not do this)`);
  const committeeOk = c.level !== 'county' || actor.committee === c.committee;
  if (actor.level !== c.level || actor.area !== c.responsibleArea || !committeeOk) {
    const unit = c.level === 'county' ? `${c.responsibleArea} ${c.committeeName ?? ''}` : c.responsibleArea;
    throw new NotPermitted(`本案现由${LEVEL_NAMES[c.level]}调解组织（${unit.trim()}）办理 (case ${c.id} is held at ${c.level} level by ${unit.trim()})`);
  }
}

function checkSupervisor(actor: ActingStaff, c: MediationCase): void {
  const inArea = actor.area === '*' || c.area === actor.area || c.area.startsWith(`${actor.area}/`);
  if (actor.role !== 'supervisor' || !inArea) throw new NotPermitted(`只有本辖区督导人员可以督办 (only a supervisor of the area may urge)`);
}

const open = (c: MediationCase) => c.status !== 'closed';
const hasAgreement = (c: MediationCase) => c.status === 'closed' && c.outcome?.kind === 'agreement' && !c.finished;

function refuse(message: string): never {
  throw new InvalidTransition(message);
}

function checkParty(c: MediationCase, party: string): void {
  if (!c.parties.some((p) => p.name === party)) refuse(`${party} 不是本案当事人 (not a party of case ${c.id})`);
}

/** Throws NotPermitted (403) or InvalidTransition (409), with a message a mediator understands, when not allowed. */
export function checkMediationAction(c: MediationCase, action: MediationAction, now: number, policy: Policy): void {
  if (action.type === 'remind' || action.type === 'escalate' || action.type === 'markOverdue') return;
  if (action.type === 'urge') checkSupervisor(action.actor, c);
  else checkMediatorMayAct(action.actor, c);
  if (c.finished) refuse(`案件已办结 (case ${c.id} is finished)`);
  const closedMsg = `案件已结案 (case ${c.id} is closed)`;
  switch (action.type) {
    case 'accept':
      if (!open(c)) refuse(closedMsg);
      if (c.status !== 'awaiting_acceptance') refuse(`案件已受理 (case ${c.id} was already accepted)`);
      return;
    case 'assign':
      if (!open(c)) refuse(closedMsg);
      if (action.mediators.length === 0) refuse('至少指派一名调解员 (assign at least one mediator)');
      for (const m of action.mediators) {
        try {
          checkMediatorMayAct(m, c);
        } catch {
          refuse(`${m.name} 不是本级调解组织的调解员 (${m.name} is not a mediator of the unit holding the case)`);
        }
      }
      return;
    case 'recordSession':
    case 'recordAgreement':
      if (!open(c)) refuse(closedMsg);
      if (c.status !== 'in_mediation') {
        throw new InvalidTransition(`案件尚未受理，不能${action.type === 'recordSession' ? '登记调解' : '登记调解协议'} (case ${c.id} must be accepted first)`);
      }
      if (action.type === 'recordAgreement') {
        const missing = c.parties.filter((p) => !action.agreement.parties.includes(p.name)).map((p) => p.name);
        if (missing.length > 0) refuse(`协议缺少当事人: ${missing.join('、')} (every party must agree)`);
      }
      return;
    case 'requestEscalation':
      if (!open(c)) refuse(closedMsg);
      if (!nextLevel(c.level)) refuse(`县级为最高一级，不能再上交 (case ${c.id} is already at county level)`);
      return;
    case 'recordFailure':
      if (!open(c)) refuse(closedMsg);
      if (c.status !== 'in_mediation') refuse(`案件尚未受理 (case ${c.id} must be accepted first)`);
      if (c.level === 'county' && !action.route) {
        refuse('县级调解不成的，须告知当事人的救济途径: route (court, arbitration or administrative)');
      }
      return;
    case 'recordWithdrawal':
    case 'recordRefusal':
      if (!open(c)) refuse(closedMsg);
      checkParty(c, action.party);
      return;
    case 'urge':
      if (!open(c)) refuse(closedMsg);
      return;
    case 'explain':
      if (!c.explanationRequired) refuse(`本案无待说明的督办 (no explanation is due on case ${c.id})`);
      if (Number.isNaN(Date.parse(action.targetDate)) || Date.parse(action.targetDate) <= now) {
        refuse('新的办结期限须为将来的日期 (targetDate must lie in the future)');
      }
      return;
    case 'judicialConfirmation': {
      if (!hasAgreement(c)) refuse(`本案没有可申请司法确认的调解协议 (case ${c.id} has no agreement)`);
      const current = c.judicialConfirmation;
      if (action.status === 'applied') {
        if (current !== 'not_applied') refuse(`司法确认已申请 (judicial confirmation is already ${current})`);
        if (c.deadlines.judicialConfirmationBy && now > Date.parse(c.deadlines.judicialConfirmationBy)) {
          const w = policy.mediation.judicialConfirmationWindow.value;
          refuse(`已超过协议生效后${durationText(w)}的司法确认申请期限 (the ${durationTextEn(w)} window closed at ${c.deadlines.judicialConfirmationBy})`);
        }
      } else if (current !== 'applied') {
        refuse(`尚未申请司法确认 (judicial confirmation must be applied for first; it is ${current})`);
      }
      return;
    }
    case 'recordFollowUp':
      if (!hasAgreement(c)) refuse(`只有达成协议的案件才回访 (case ${c.id} has no agreement to follow up)`);
      if (!action.performed && !action.next) refuse('协议未履行的，须选择重新调解 (reopen) 或引导诉讼 (court): next');
      return;
  }
}

/** Applies an allowed action at `now`; returns the new case, the event it appended and the notices to send. */
export function applyMediationAction(
  c: MediationCase,
  action: MediationAction,
  now: number,
  policy: Policy,
): { next: MediationCase; event: TimelineEvent; notices: Notice[] } {
  checkMediationAction(c, action, now, policy);
  const at = toShanghaiIso(now);
  const next: MediationCase = {
    ...c,
    deadlines: { ...c.deadlines },
    timeline: [...c.timeline],
    remindersSent: [...c.remindersSent],
    sessions: [...c.sessions],
    version: c.version + 1,
  };
  const by = actorRef(action.actor);
  const notices: Notice[] = [];
  let name: string = action.type;
  let details: Record<string, unknown> | undefined;
  const close = (outcome: Outcome) => {
    next.status = 'closed';
    next.outcome = c.deadlines.levelDeadline ? { ...outcome, levelDeadline: c.deadlines.levelDeadline } : outcome;
    next.overdue = false;
    next.explanationRequired = false;
    for (const k of ['acceptReminderAt', 'acceptBy', 'levelReminderAt', 'levelDeadline', 'targetDate'] as const) delete next.deadlines[k];
    const parties = partiesOf(next);
    if (parties) notices.push({ template: 'mediation/outcome', recipients: parties });
  };
  const moveUp = (reason: string) => {
    const to = nextLevel(c.level)!;
    next.level = to;
    next.status = 'awaiting_acceptance';
    next.responsibleArea = responsibleAreaFor(c.area, to);
    next.levelEnteredAt = at;
    next.acceptedAt = null;
    next.assignees = [];
    next.overdue = false;
    next.explanationRequired = false;
    next.deadlines = { ...levelDeadlines(policy, c.category, to, now) };
    details = { ...details, reason, fromArea: c.responsibleArea, toArea: next.responsibleArea };
    notices.push({ template: 'mediation/escalated', recipients: mediatorsOf(next) });
    notices.push({ template: 'mediation/escalated-supervisor', recipients: supervisorsOf(next) });
  };

  switch (action.type) {
    case 'accept': {
      next.status = 'in_mediation';
      next.acceptedAt = at;
      if (!c.assignees.some((a) => a.id === by.id)) next.assignees = [...c.assignees, by];
      delete next.deadlines.acceptReminderAt;
      delete next.deadlines.acceptBy;
      if (findCategory(policy, c.category)?.limitFromAcceptance) {
        const d = levelDeadlines(policy, c.category, c.level, now);
        next.deadlines.levelReminderAt = d.levelReminderAt;
        next.deadlines.levelDeadline = d.levelDeadline;
        next.remindersSent = next.remindersSent.filter((r) => r !== `level:${c.level}`);
      }
      name = 'accepted';
      details = action.note ? { note: action.note } : undefined;
      break;
    }
    case 'assign': {
      const added = action.mediators.map(actorRef).filter((m) => !c.assignees.some((a) => a.id === m.id));
      next.assignees = [...c.assignees, ...added];
      name = 'assigned';
      details = { mediators: action.mediators.map(actorRef) };
      if (added.length > 0) notices.push({ template: 'mediation/assigned', recipients: { kind: 'users', ids: added.map((a) => a.id) } });
      break;
    }
    case 'recordSession':
      next.sessions.push({ heldAt: action.heldAt, summary: action.summary, by });
      name = 'session_recorded';
      details = { heldAt: action.heldAt, summary: action.summary };
      break;
    case 'requestEscalation':
      name = 'escalation_requested';
      details = { requestedBy: by };
      moveUp(action.reason);
      break;
    case 'recordAgreement': {
      name = 'agreement_recorded';
      details = {
        form: action.agreement.form, terms: action.agreement.terms, parties: action.agreement.parties,
        judicialConfirmationWindow: durationText(policy.mediation.judicialConfirmationWindow.value),
      };
      close({ kind: 'agreement', agreement: action.agreement, at, by });
      const cal = policy.calendar.value;
      next.judicialConfirmation = 'not_applied';
      next.deadlines.judicialConfirmationBy = toShanghaiIso(addDuration(now, policy.mediation.judicialConfirmationWindow.value, cal));
      next.deadlines.followUpDue = toShanghaiIso(addDuration(now, policy.mediation.followUpDelay.value, cal));
      break;
    }
    case 'recordFailure':
      name = 'failure_recorded';
      details = { reason: action.reason, route: action.route ?? null };
      if (c.level === 'county') {
        close({ kind: 'failed', reason: action.reason, route: action.route!, at, by });
        next.finished = true;
      } else {
        moveUp(action.reason);
      }
      break;
    case 'recordWithdrawal':
    case 'recordRefusal':
      name = action.type === 'recordWithdrawal' ? 'withdrawn' : 'refused';
      details = { party: action.party, reason: action.reason };
      close({ kind: action.type === 'recordWithdrawal' ? 'withdrawn' : 'refused', party: action.party, reason: action.reason, at, by });
      next.finished = true;
      break;
    case 'urge':
      name = 'urged';
      details = { message: action.message, explanationRequired: c.overdue };
      if (c.overdue) next.explanationRequired = true;
      notices.push({ template: 'mediation/urge', recipients: handlersOf(c) });
      break;
    case 'explain':
      name = 'explained';
      next.explanationRequired = false;
      next.deadlines.targetDate = toShanghaiIso(Date.parse(action.targetDate));
      details = { explanation: action.explanation, targetDate: next.deadlines.targetDate };
      notices.push({ template: 'mediation/explained', recipients: supervisorsOf(c) });
      break;
    case 'judicialConfirmation':
      next.judicialConfirmation = action.status;
      name = `judicial_confirmation_${action.status}`;
      if (action.status === 'applied') delete next.deadlines.judicialConfirmationBy;
      break;
    case 'recordFollowUp':
      next.followUp = { visitedAt: at, performed: action.performed, notes: action.notes, by };
      delete next.deadlines.followUpDue;
      name = 'follow_up_recorded';
      details = { performed: action.performed, notes: action.notes, next: action.next ?? null };
      if (action.performed) {
        next.finished = true;
      } else if (action.next === 'court') {
        next.outcome = { kind: 'referred_to_court', reason: action.notes, at, by };
        next.finished = true;
        const parties = partiesOf(next);
        if (parties) notices.push({ template: 'mediation/outcome', recipients: parties });
      } else {
        // Reopened: mediation starts again at the same level, with a fresh level limit.
        next.status = 'in_mediation';
        next.outcome = null;
        next.judicialConfirmation = null;
        next.followUp = null;
        const d = levelDeadlines(policy, c.category, c.level, now);
        next.deadlines = { levelReminderAt: d.levelReminderAt, levelDeadline: d.levelDeadline };
        next.levelEnteredAt = at;
        next.remindersSent = c.remindersSent.filter((r) => !r.startsWith('level:') && r !== 'followUp');
        name = 'reopened';
        notices.push({ template: 'mediation/assigned', recipients: handlersOf(c) });
      }
      break;
    case 'remind':
      next.remindersSent.push(action.kind === 'followUp' ? 'followUp' : `${action.kind}:${c.level}`);
      name = `${action.kind}_reminder`;
      notices.push({ template: action.kind === 'followUp' ? 'mediation/follow-up-due' : 'mediation/reminder', recipients: handlersOf(c) });
      details = { kind: action.kind };
      break;
    case 'escalate':
      name = 'escalated';
      details = { automatic: true };
      moveUp(action.reason === 'acceptance_limit' ? '逾期未受理' : '本级调解期限届满未化解');
      break;
    case 'markOverdue':
      name = 'overdue';
      next.overdue = true;
      next.remindersSent.push(`overdue:${action.reason}`);
      details = { reason: action.reason };
      notices.push({ template: 'mediation/overdue', recipients: supervisorsOf(c) });
      break;
  }
  const event: TimelineEvent = {
    seq: c.timeline.length + 1,
    at,
    actor: by,
    action: name,
    from: { status: c.status, level: c.level },
    to: { status: next.status, level: next.level },
    details,
  };
  next.timeline.push(event);
  return { next, event, notices };
}

/**
 * The deadline a reminder warns of (acceptance: the acceptance limit; level: the level limit); null for the follow-up
 * notice, which is due at its own date rather than before a deadline.
 */
export function reminderDeadline(c: MediationCase, action: SystemAction): number | null {
  if (action.type !== 'remind' || action.kind === 'followUp') return null;
  const d = action.kind === 'acceptance' ? c.deadlines.acceptBy : c.deadlines.levelDeadline;
  return d ? Date.parse(d) : null;
}

/** A reminder is pointless once its deadline has passed: no reminder is sent about a deadline already past. */
export function isStaleReminder(c: MediationCase, action: SystemAction, now: number): boolean {
  const deadline = reminderDeadline(c, action);
  return deadline !== null && deadline <= now;
}

/**
 * The clock's next move: the earliest pending time-driven action and when it is due. Given `now`, a reminder whose
 * deadline has already passed (an overdue county case accepted late) is left out; without it, every pending reminder
 * counts, as in cases recorded before that rule (the workflow passes `now` behind a patch).
 */
export function nextSystemAction(c: MediationCase, now?: number): { at: number; action: SystemAction } | null {
  if (c.finished) return null;
  const d = c.deadlines;
  const sent = (k: string) => c.remindersSent.includes(k);
  const candidates: { at: number; action: SystemAction }[] = [];
  const sys = SYSTEM_ACTOR;
  const top = c.level === 'county';
  if (c.status === 'awaiting_acceptance') {
    if (d.acceptReminderAt && !sent(`acceptance:${c.level}`)) {
      candidates.push({ at: Date.parse(d.acceptReminderAt), action: { type: 'remind', actor: sys, kind: 'acceptance' } });
    }
    if (d.acceptBy && !(top && sent('overdue:acceptance_limit'))) {
      candidates.push({
        at: Date.parse(d.acceptBy),
        action: top ? { type: 'markOverdue', actor: sys, reason: 'acceptance_limit' } : { type: 'escalate', actor: sys, reason: 'acceptance_limit' },
      });
    }
  }
  if (c.status !== 'closed') {
    if (c.status === 'in_mediation' && d.levelReminderAt && !sent(`level:${c.level}`)) {
      candidates.push({ at: Date.parse(d.levelReminderAt), action: { type: 'remind', actor: sys, kind: 'level' } });
    }
    if (d.levelDeadline && !(top && sent('overdue:level_limit'))) {
      candidates.push({
        at: Date.parse(d.levelDeadline),
        action: top ? { type: 'markOverdue', actor: sys, reason: 'level_limit' } : { type: 'escalate', actor: sys, reason: 'level_limit' },
      });
    }
  }
  if (hasAgreement(c) && d.followUpDue && !sent('followUp')) {
    candidates.push({ at: Date.parse(d.followUpDue), action: { type: 'remind', actor: sys, kind: 'followUp' } });
  }
  const due = now === undefined ? candidates : candidates.filter((x) => !isStaleReminder(c, x.action, now));
  due.sort((a, b) => a.at - b.at);
  return due[0] ?? null;
}

/** The earliest deadline still running (possibly passed, when the case is overdue), for search and the register. */
export function nextDeadline(c: MediationCase): string | null {
  if (c.finished) return null;
  const d = c.deadlines;
  const list =
    c.status === 'closed'
      ? [d.followUpDue]
      : [c.status === 'awaiting_acceptance' ? d.acceptBy : undefined, d.levelDeadline, d.targetDate];
  const times = list.filter((x): x is string => !!x).map((x) => Date.parse(x));
  return times.length > 0 ? toShanghaiIso(Math.min(...times)) : null;
}
