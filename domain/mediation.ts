import { addDuration } from './calendar';
import { actorRef, type ActorRef } from './actors';
import { areaAt } from './areas';
import { findCategory, levelLimit, type MediationLevel, type Policy } from './policy';
import { toShanghaiIso } from './time';

/**
 * The mediation process as pure rules: what state a case is in, which actions that state allows, and what each
 * action changes. The workflow (workflows/mediation.ts) owns the clock and the side effects; this module decides.
 */
export type MediationStatus = 'awaiting_acceptance' | 'in_mediation' | 'closed';
export type Channel = 'grid' | 'walk_in' | 'hotline' | 'police' | 'court' | 'petition';

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
  referral?: { source: string; reference: string };
  reportedBy: ActorRef;
  /** Epoch ms at which the report was received. */
  reportedAt: number;
  policy: Policy;
}

export interface Agreement {
  form: 'written' | 'oral';
  terms: string;
  /** Names of the parties who agreed (all parties of the case must be among them). */
  parties: string[];
}

export interface Outcome {
  kind: 'agreement';
  agreement: Agreement;
  at: string;
  by: ActorRef;
}

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
  acceptBy?: string;
  levelDeadline: string;
}

export interface MediationCase {
  id: string;
  kind: 'mediation';
  policyVersion: string;
  category: string;
  categoryName: string;
  committee: string | null;
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
  acceptedAt: string | null;
  assignees: ActorRef[];
  deadlines: MediationDeadlines;
  outcome: Outcome | null;
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

export type MediationAction =
  | { type: 'accept'; actor: ActingStaff; note?: string }
  | { type: 'recordAgreement'; actor: ActingStaff; agreement: Agreement };

/** An action the case's current state does not allow (the API answers 409). */
export class InvalidTransition extends Error {
  override name = 'InvalidTransition';
}

/** An actor who may not take this action on this case (the API answers 403). */
export class NotPermitted extends Error {
  override name = 'NotPermitted';
}

export const LEVEL_NAMES: Record<MediationLevel, string> = { village: '村级', township: '乡镇', county: '县级' };

/** Mediation actions belong to the mediators of the level and unit that now hold the case. */
export function checkMediatorMayAct(actor: ActingStaff, c: MediationCase): void {
  if (actor.role !== 'mediator') throw new NotPermitted(`只有调解员可以办理此操作 (role ${actor.role} may not do this)`);
  if (actor.level !== c.level || actor.area !== c.responsibleArea) {
    throw new NotPermitted(
      `本案现由${LEVEL_NAMES[c.level]}调解组织（${c.responsibleArea}）办理 ` +
        `(case ${c.id} is held at ${c.level} level by ${c.responsibleArea})`,
    );
  }
}

const LEVEL_AREA = { village: 'village', township: 'township', county: 'county' } as const;

export function responsibleAreaFor(area: string, level: MediationLevel): string {
  return areaAt(area, LEVEL_AREA[level]);
}

export function openMediation(input: OpenMediationInput): MediationCase {
  const { policy } = input;
  const category = findCategory(policy, input.category);
  if (!category) throw new InvalidTransition(`unknown category ${input.category}`);
  const level: MediationLevel = 'village';
  const cal = policy.calendar.value;
  const acceptBy = addDuration(input.reportedAt, policy.mediation.acceptanceLimit.value, cal);
  const levelDeadline = addDuration(input.reportedAt, levelLimit(policy, input.category, level), cal);
  const at = toShanghaiIso(input.reportedAt);
  const c: MediationCase = {
    id: input.caseId,
    kind: 'mediation',
    policyVersion: policy.version,
    category: category.code,
    categoryName: category.name,
    committee: null,
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
    acceptedAt: null,
    assignees: [],
    deadlines: { acceptBy: toShanghaiIso(acceptBy), levelDeadline: toShanghaiIso(levelDeadline) },
    outcome: null,
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
    details: { channel: input.channel, category: category.code, referral: input.referral ?? null },
  });
  return c;
}

/** Throws InvalidTransition with a message a mediator understands when the state does not allow the action. */
export function checkMediationAction(c: MediationCase, action: MediationAction): void {
  checkMediatorMayAct(action.actor, c);
  if (c.status === 'closed') throw new InvalidTransition(`案件已结案 (case ${c.id} is closed)`);
  switch (action.type) {
    case 'accept':
      if (c.status !== 'awaiting_acceptance') {
        throw new InvalidTransition(`案件已受理 (case ${c.id} was already accepted)`);
      }
      return;
    case 'recordAgreement': {
      if (c.status !== 'in_mediation') {
        throw new InvalidTransition(`案件尚未受理，不能登记调解协议 (case ${c.id} must be accepted before an agreement)`);
      }
      const missing = c.parties.filter((p) => !action.agreement.parties.includes(p.name)).map((p) => p.name);
      if (missing.length > 0) {
        throw new InvalidTransition(`协议缺少当事人: ${missing.join('、')} (every party must agree)`);
      }
      return;
    }
  }
}

/** Applies an allowed action at `now` and returns the new case and the event it appended. */
export function applyMediationAction(
  c: MediationCase,
  action: MediationAction,
  now: number,
): { next: MediationCase; event: TimelineEvent } {
  checkMediationAction(c, action);
  const at = toShanghaiIso(now);
  const next: MediationCase = { ...c, deadlines: { ...c.deadlines }, timeline: [...c.timeline], version: c.version + 1 };
  let details: Record<string, unknown> | undefined;
  switch (action.type) {
    case 'accept':
      next.status = 'in_mediation';
      next.acceptedAt = at;
      next.assignees = c.assignees.some((a) => a.id === action.actor.id) ? c.assignees : [...c.assignees, actorRef(action.actor)];
      delete next.deadlines.acceptBy;
      details = action.note ? { note: action.note } : undefined;
      break;
    case 'recordAgreement':
      next.status = 'closed';
      next.outcome = { kind: 'agreement', agreement: action.agreement, at, by: actorRef(action.actor) };
      details = { form: action.agreement.form, terms: action.agreement.terms, parties: action.agreement.parties };
      break;
  }
  const event: TimelineEvent = {
    seq: c.timeline.length + 1,
    at,
    actor: actorRef(action.actor),
    action: action.type === 'accept' ? 'accepted' : 'agreement_recorded',
    from: { status: c.status, level: c.level },
    to: { status: next.status, level: next.level },
    details,
  };
  next.timeline.push(event);
  return { next, event };
}

/** The earliest deadline still running, for the NextDeadline search attribute. */
export function nextDeadline(c: MediationCase): string | null {
  if (c.status === 'closed') return null;
  const all = [c.deadlines.acceptBy, c.deadlines.levelDeadline].filter((d): d is string => !!d);
  return all.sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? null;
}
