import { SYSTEM_ACTOR } from '../actors';
import { areaAt, areaKind } from '../areas';
import { addDuration } from '../calendar';
import { InvalidTransition, NotPermitted } from '../errors';
import type { Recipients } from '../ports';
import type { Policy } from '../policy';
import { toShanghaiIso } from '../time';
import type { VillagePolicy } from '../village-policy';
import { BODY_NAMES, DELIBERATION_STEPS, findMatterType, STATUS_NAMES, STEP_BODIES, type DeliberationStep, type VillageStatus } from './labels';
import { describeRule, meetingCountsProblem, meetingNoticeProblem, meetingOutcome, quorumRule, villagePolicyOf } from './quorum';
import type { MeetingRecord, NoticeKind, OpenVillageInput, PublicNotice, VillageAction, VillageActorRef, VillageDeadlines, VillageEvent, VillageMatter, VillageNotice, VillageStaff, VillageSystemAction } from './types';

/**
 * Village decisions under 四议两公开 (DOMAIN.md §3) as pure rules. Four deliberations in order — the party branch
 * proposes, the two committees discuss, the party members' assembly reviews, the villagers' representative assembly
 * (or the villagers' assembly) resolves — then 决议公开 (a notice period with objections, each to be answered),
 * implementation with progress updates, 实施结果公开, and the matter closes.
 *
 * A meeting without quorum does not count: it is recorded and the step must be held again. A valid meeting that does
 * not pass leaves the matter `rejected` until the clerk chooses to end it or to return it to the proposal step.
 * Quorum and majority are computed from the policy in integers (`present * 3 >= members * 2`, `for * 2 > present`).
 * The workflow (workflows/village-decision.ts) owns the clock and the side effects; this module decides.
 */

const NEXT_STEP: Record<DeliberationStep, VillageStatus> = {
  proposal: 'discussion',
  discussion: 'review',
  review: 'resolution',
  resolution: 'resolution_notice',
};

const isDeliberation = (s: VillageStatus): s is DeliberationStep => (DELIBERATION_STEPS as readonly string[]).includes(s);
const inNotice = (s: VillageStatus) => s === 'resolution_notice' || s === 'result_notice';
export const currentNotice = (m: VillageMatter): PublicNotice | undefined => {
  const kind: NoticeKind | null = m.status === 'resolution_notice' ? 'resolution' : m.status === 'result_notice' ? 'result' : null;
  return kind ? m.notices.find((n) => n.kind === kind) : undefined;
};
export const noticeIdFor = (matterId: string, kind: NoticeKind) => `${matterId}-${kind === 'resolution' ? 'R' : 'S'}`;
export const unansweredObjections = (m: VillageMatter, noticeId?: string) =>
  m.objections.filter((o) => !o.answer && (!noticeId || o.noticeId === noticeId));

const clerksOf = (m: VillageMatter): Recipients => ({ kind: 'staff', role: 'village_clerk', area: m.area });
const townshipOf = (m: VillageMatter): Recipients => ({ kind: 'supervisors', area: m.area });

function refuse(message: string): never {
  throw new InvalidTransition(message);
}

function stepDeadlines(vp: VillagePolicy, now: number, policy: Policy): VillageDeadlines {
  return { stepDeadline: toShanghaiIso(addDuration(now, vp.stepLimit.value, policy.calendar.value)) };
}

export function openVillageMatter(input: OpenVillageInput): { matter: VillageMatter; notices: VillageNotice[] } {
  const vp = villagePolicyOf(input.policy);
  const t = findMatterType(input.type);
  if (!t) refuse(`unknown matter type ${input.type}`);
  if (areaKind(input.area) !== 'village') refuse('a village matter belongs to a village: county/township/village');
  checkClerk(input.openedBy, input.area);
  const at = toShanghaiIso(input.openedAt);
  const m: VillageMatter = {
    id: input.matterId,
    kind: 'village_decision',
    policyVersion: input.policy.version,
    type: t.code,
    typeName: t.name,
    title: input.title,
    description: input.description,
    amount: input.amount ?? null,
    attachments: input.attachments ?? [],
    area: input.area,
    status: 'proposal',
    round: 1,
    stepEnteredAt: at,
    openedAt: at,
    openedBy: { id: input.openedBy.id, name: input.openedBy.name, role: input.openedBy.role },
    meetings: [],
    rejectedAt: null,
    notices: [],
    objections: [],
    progress: [],
    result: null,
    outcome: null,
    deadlines: {
      ...stepDeadlines(vp, input.openedAt, input.policy),
      procedureDeadline: toShanghaiIso(addDuration(input.openedAt, vp.procedureLimit.value, input.policy.calendar.value)),
    },
    overdue: false,
    remindersSent: [],
    finished: false,
    timeline: [],
    version: 1,
  };
  m.timeline.push({
    seq: 1, at, actor: m.openedBy, action: 'opened', from: null, to: { status: 'proposal' },
    details: { type: t.code, title: input.title, amount: m.amount },
  });
  return { matter: m, notices: [{ template: 'village/opened', recipients: townshipOf(m) }] };
}

/** Village matters are handled by the clerks of their own village (村务工作人员), nobody else. */
export function checkClerk(actor: VillageStaff, area: string): void {
  if (actor.role !== 'village_clerk') throw new NotPermitted(`只有村务工作人员可以办理此操作 (role ${actor.role} may not do this)`);
  if (actor.area !== area) throw new NotPermitted(`本事项属于${area}，您负责${actor.area} (the matter belongs to another village)`);
}

/** Throws NotPermitted (403) or InvalidTransition (409), with a message a clerk understands, when not allowed. */
export function checkVillageAction(m: VillageMatter, action: VillageAction, now: number, policy: Policy): void {
  if (action.type === 'stepReminder' || action.type === 'townshipAlert' || action.type === 'endNotice') return;
  if (action.type !== 'fileObjection') checkClerk(action.actor, m.area);
  if (m.status === 'closed') refuse(`事项已办结 (matter ${m.id} is closed)`);
  switch (action.type) {
    case 'recordMeeting': {
      const mt = action.meeting;
      if (!isDeliberation(m.status)) {
        refuse(`当前为「${STATUS_NAMES[m.status]}」阶段，不能登记会议 (matter ${m.id} is at ${m.status}, not a deliberation step)`);
      }
      const allowed = STEP_BODIES[m.status];
      if (!allowed.includes(mt.body)) {
        const names = allowed.map((b) => BODY_NAMES[b]).join('或');
        refuse(`当前步骤为「${STATUS_NAMES[m.status]}」，应由${names}进行，不能跳步 (step ${m.status} is held by ${allowed.join(' or ')}, not ${mt.body})`);
      }
      const problem = meetingCountsProblem(mt);
      if (problem) refuse(problem);
      const held = Date.parse(mt.heldAt);
      if (Number.isNaN(held)) refuse('heldAt: 会议时间无效 (not a date)');
      if (held > now) refuse('会议时间不能晚于现在 (heldAt lies in the future)');
      const last = m.meetings.filter((x) => x.quorum).at(-1);
      if (last && held < Date.parse(last.heldAt)) refuse(`会议时间早于上一步骤的会议 (${last.heldAt}) (heldAt precedes the previous step)`);
      const notice = meetingNoticeProblem(policy, mt.body, mt.heldAt, mt.noticeGivenAt);
      if (notice) refuse(notice);
      return;
    }
    case 'decideAfterRejection':
      if (m.status !== 'rejected') refuse(`事项未被否决 (matter ${m.id} is at ${m.status}, not rejected)`);
      return;
    case 'answerObjection': {
      const o = m.objections.find((x) => x.id === action.objectionId);
      if (!o) refuse(`没有编号为 ${action.objectionId} 的异议 (no such objection on matter ${m.id})`);
      if (o.answer) refuse(`异议 ${o.id} 已答复 (objection ${o.id} is already answered)`);
      return;
    }
    case 'recordProgress':
    case 'completeImplementation':
      if (m.status !== 'implementation') {
        const held = m.status === 'resolution_notice' && unansweredObjections(m).length > 0;
        refuse(
          held
            ? `决议公示期内有异议尚未答复，不能组织实施 (${unansweredObjections(m).length} objection(s) must be answered first)`
            : `当前为「${STATUS_NAMES[m.status]}」阶段，尚未进入实施 (matter ${m.id} is at ${m.status}, not implementation)`,
        );
      }
      return;
    case 'fileObjection': {
      const n = currentNotice(m);
      if (!n || n.id !== action.objection.noticeId || n.ended || now >= Date.parse(n.endsAt)) {
        refuse('公示期已结束或该公示不在公示期内，不能再提出异议 (the notice period is over)');
      }
      if (m.objections.some((o) => o.id === action.objection.id)) refuse(`异议 ${action.objection.id} 已登记 (duplicate objection id)`);
      return;
    }
  }
}

/** Applies an allowed action at `now`; returns the new matter, the event it appended and the notices to send. */
export function applyVillageAction(
  m: VillageMatter,
  action: VillageAction,
  now: number,
  policy: Policy,
): { next: VillageMatter; event: VillageEvent; notices: VillageNotice[] } {
  checkVillageAction(m, action, now, policy);
  const vp = villagePolicyOf(policy);
  const at = toShanghaiIso(now);
  const next: VillageMatter = {
    ...m,
    meetings: [...m.meetings],
    notices: m.notices.map((n) => ({ ...n })),
    objections: m.objections.map((o) => ({ ...o })),
    progress: [...m.progress],
    deadlines: { ...m.deadlines },
    remindersSent: [...m.remindersSent],
    timeline: [...m.timeline],
    version: m.version + 1,
  };
  const by: VillageActorRef = { id: action.actor.id, name: action.actor.name, role: action.actor.role };
  const notices: VillageNotice[] = [];
  let name: string = action.type;
  let details: Record<string, unknown> | undefined;

  const enterStep = (status: VillageStatus) => {
    next.status = status;
    next.stepEnteredAt = at;
    delete next.deadlines.stepDeadline;
    if (isDeliberation(status) || status === 'rejected') Object.assign(next.deadlines, stepDeadlines(vp, now, policy));
  };
  const publish = (kind: NoticeKind) => {
    const n: PublicNotice = {
      id: noticeIdFor(m.id, kind),
      kind,
      startsAt: at,
      endsAt: toShanghaiIso(addDuration(now, vp.noticePeriod.value, policy.calendar.value)),
      ended: false,
    };
    next.notices.push(n);
    next.deadlines.noticeEndsAt = n.endsAt;
    details = { ...details, noticeId: n.id, startsAt: n.startsAt, endsAt: n.endsAt };
    notices.push({ template: 'village/notice-published', recipients: clerksOf(m) });
    notices.push({ template: 'village/notice-published', recipients: townshipOf(m) });
  };
  /** After a notice period: move on when every objection on it is answered, else wait for the answers. */
  const afterNotice = () => {
    const n = currentNotice(next)!;
    if (!n.ended || unansweredObjections(next, n.id).length > 0) return;
    delete next.deadlines.noticeEndsAt;
    if (n.kind === 'resolution') {
      enterStep('implementation');
    } else {
      enterStep('closed');
      next.outcome = 'completed';
      next.finished = true;
      notices.push({ template: 'village/closed', recipients: townshipOf(m) });
    }
  };

  switch (action.type) {
    case 'recordMeeting': {
      const step = m.status as DeliberationStep;
      const rule = quorumRule(policy, action.meeting.body);
      const outcome = meetingOutcome(rule, action.meeting, action.meeting);
      const record: MeetingRecord = {
        ...action.meeting,
        heldAt: toShanghaiIso(Date.parse(action.meeting.heldAt)),
        ...(action.meeting.noticeGivenAt ? { noticeGivenAt: toShanghaiIso(Date.parse(action.meeting.noticeGivenAt)) } : {}),
        seq: m.meetings.length + 1,
        step,
        round: m.round,
        bodyName: rule.name,
        rule: describeRule(rule),
        quorum: outcome !== 'no_quorum',
        passed: outcome === 'passed',
        outcome,
        recordedAt: at,
        recordedBy: by,
      };
      next.meetings.push(record);
      details = {
        meetingSeq: record.seq, body: record.body, heldAt: record.heldAt, noticeGivenAt: record.noticeGivenAt ?? null, entitled: record.entitled, present: record.present,
        for: record.for, against: record.against, abstain: record.abstain, outcome,
      };
      if (outcome === 'no_quorum') {
        name = 'meeting_without_quorum';
        notices.push({ template: 'village/no-quorum', recipients: clerksOf(m) });
      } else if (outcome === 'rejected') {
        name = 'meeting_rejected';
        enterStep('rejected');
        next.rejectedAt = { step, meetingSeq: record.seq };
      } else {
        name = `${step}_passed`;
        const to = NEXT_STEP[step];
        if (to === 'resolution_notice') {
          enterStep('resolution_notice');
          delete next.deadlines.procedureDeadline;
          next.overdue = false;
          publish('resolution');
        } else {
          enterStep(to);
        }
      }
      break;
    }
    case 'decideAfterRejection':
      details = { choice: action.choice, reason: action.reason, step: m.rejectedAt?.step };
      next.rejectedAt = null;
      if (action.choice === 'end') {
        name = 'ended_after_rejection';
        enterStep('closed');
        next.outcome = 'ended_after_rejection';
        next.finished = true;
        next.deadlines = {};
        next.overdue = false;
        notices.push({ template: 'village/closed', recipients: townshipOf(m) });
      } else {
        name = 'returned_to_proposal';
        next.round = m.round + 1;
        enterStep('proposal');
      }
      break;
    case 'fileObjection': {
      const o = action.objection;
      next.objections.push({
        id: o.id, noticeId: o.noticeId, filedAt: at, name: o.name ?? null, email: o.email ?? null, phone: o.phone ?? null,
        text: o.text, answer: null,
      });
      name = 'objection_filed';
      details = { objectionId: o.id, noticeId: o.noticeId, text: o.text };
      notices.push({ template: 'village/objection-filed', recipients: clerksOf(m) });
      break;
    }
    case 'answerObjection': {
      const o = next.objections.find((x) => x.id === action.objectionId)!;
      o.answer = { text: action.answer, at, by };
      name = 'objection_answered';
      details = { objectionId: o.id, answer: action.answer };
      if (o.email) notices.push({ template: 'village/objection-answered', recipients: { kind: 'emails', emails: [o.email] } });
      if (inNotice(m.status)) afterNotice();
      break;
    }
    case 'recordProgress':
      next.progress.push({ at, note: action.note, by });
      name = 'progress_recorded';
      details = { note: action.note };
      break;
    case 'completeImplementation':
      next.result = { summary: action.result, at, by };
      name = 'implementation_completed';
      details = { result: action.result };
      enterStep('result_notice');
      publish('result');
      break;
    case 'endNotice': {
      const n = next.notices.find((x) => x.id === currentNotice(m)!.id)!;
      n.ended = true;
      const open = unansweredObjections(next, n.id).length;
      name = `${n.kind}_notice_ended`;
      details = { noticeId: n.id, unansweredObjections: open };
      notices.push({ template: 'village/notice-ended', recipients: clerksOf(m) });
      afterNotice();
      break;
    }
    case 'stepReminder':
      next.remindersSent.push(`step:${m.stepEnteredAt}`);
      name = 'step_reminder';
      details = { step: m.status, since: m.stepEnteredAt, deadline: m.deadlines.stepDeadline };
      notices.push({ template: 'village/step-reminder', recipients: clerksOf(m) });
      break;
    case 'townshipAlert':
      next.remindersSent.push('procedure');
      next.overdue = true;
      name = 'township_alerted';
      details = { step: m.status, deadline: m.deadlines.procedureDeadline };
      notices.push({ template: 'village/township-alert', recipients: townshipOf(m) });
      break;
  }
  const event: VillageEvent = {
    seq: m.timeline.length + 1, at, actor: by, action: name, from: { status: m.status }, to: { status: next.status }, details,
  };
  next.timeline.push(event);
  return { next, event, notices };
}

/** The clock's next move: the earliest pending time-driven action and when it is due. */
export function nextVillageSystemAction(m: VillageMatter): { at: number; action: VillageSystemAction } | null {
  if (m.finished) return null;
  const d = m.deadlines;
  const sys = SYSTEM_ACTOR;
  const candidates: { at: number; action: VillageSystemAction }[] = [];
  const waiting = isDeliberation(m.status) || m.status === 'rejected';
  if (waiting && d.stepDeadline && !m.remindersSent.includes(`step:${m.stepEnteredAt}`)) {
    candidates.push({ at: Date.parse(d.stepDeadline), action: { type: 'stepReminder', actor: sys } });
  }
  if (waiting && d.procedureDeadline && !m.remindersSent.includes('procedure')) {
    candidates.push({ at: Date.parse(d.procedureDeadline), action: { type: 'townshipAlert', actor: sys } });
  }
  const n = currentNotice(m);
  if (n && !n.ended) candidates.push({ at: Date.parse(n.endsAt), action: { type: 'endNotice', actor: sys } });
  candidates.sort((a, b) => a.at - b.at);
  return candidates[0] ?? null;
}

/** The earliest deadline still running, for search and the register. */
export function nextVillageDeadline(m: VillageMatter): string | null {
  if (m.finished) return null;
  const times = [m.deadlines.stepDeadline, m.deadlines.procedureDeadline, m.deadlines.noticeEndsAt]
    .filter((x): x is string => !!x)
    .map((x) => Date.parse(x));
  return times.length > 0 ? toShanghaiIso(Math.min(...times)) : null;
}

/** The township of a village, for the board's grouping. */
export const townshipArea = (area: string) => areaAt(area, 'township');
