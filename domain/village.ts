import type { ActorRef } from './actors';
import { SYSTEM_ACTOR } from './actors';
import { areaAt, areaKind } from './areas';
import { addDuration, isWorkingDay, type Duration, type WorkCalendar } from './calendar';
import { durationText, durationTextEn } from './duration-text';
import { InvalidTransition, NotPermitted } from './errors';
import type { Recipients } from './ports';
import type { Policy } from './policy';
import type { QuorumRule, Share, VillageBody, VillagePolicy } from './village-policy';
import { nextDate, shanghaiDate, toShanghaiIso } from './time';

export { InvalidTransition, NotPermitted };
export type { VillageBody } from './village-policy';

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
export type VillageStatus =
  | 'proposal'
  | 'discussion'
  | 'review'
  | 'resolution'
  | 'rejected'
  | 'resolution_notice'
  | 'implementation'
  | 'result_notice'
  | 'closed';

export const DELIBERATION_STEPS = ['proposal', 'discussion', 'review', 'resolution'] as const;
export type DeliberationStep = (typeof DELIBERATION_STEPS)[number];

export const STATUS_NAMES: Record<VillageStatus, string> = {
  proposal: '党支部会提议',
  discussion: '村"两委"会商议',
  review: '党员大会审议',
  resolution: '村民代表会议或村民会议决议',
  rejected: '表决未通过，待决定终止或重新提议',
  resolution_notice: '决议公开',
  implementation: '组织实施',
  result_notice: '实施结果公开',
  closed: '已办结',
};

/** The body (or bodies) that may hold the meeting of each deliberation step. */
export const BODY_NAMES: Record<VillageBody, string> = {
  party_branch: '党支部会议',
  two_committees: '村"两委"联席会议',
  party_members: '党员大会',
  representatives: '村民代表会议',
  villagers: '村民会议',
};

export const STEP_BODIES: Record<DeliberationStep, VillageBody[]> = {
  proposal: ['party_branch'],
  discussion: ['two_committees'],
  review: ['party_members'],
  resolution: ['representatives', 'villagers'],
};
const NEXT_STEP: Record<DeliberationStep, VillageStatus> = {
  proposal: 'discussion',
  discussion: 'review',
  review: 'resolution',
  resolution: 'resolution_notice',
};

/** Matters that go through the procedure (村民委员会组织法 Art. 24 and local lists). */
export const MATTER_TYPES = [
  { code: 'cadre_allowance', name: '村干部误工补贴', money: true },
  { code: 'collective_income', name: '集体经济所得收益的使用', money: true },
  { code: 'public_works', name: '公益事业筹资筹劳及工程承包方案', money: true },
  { code: 'land_contracting', name: '土地承包经营方案', money: false },
  { code: 'collective_project', name: '村集体经济项目立项及承包方案', money: true },
  { code: 'homestead', name: '宅基地使用方案', money: false },
  { code: 'land_compensation', name: '征地补偿费的使用、分配方案', money: true },
  { code: 'collective_property', name: '以借贷、租赁或者其他方式处分村集体财产', money: true },
  { code: 'village_rules', name: '村规民约', money: false },
] as const;
export type MatterType = (typeof MATTER_TYPES)[number]['code'];
export const MATTER_TYPE_CODES = MATTER_TYPES.map((t) => t.code) as [MatterType, ...MatterType[]];
export const findMatterType = (code: string) => MATTER_TYPES.find((t) => t.code === code);

// ---------------------------------------------------------------------------------------------------------------
// Quorum and majority

/** count/whole reaches the share: "以上" (>=) when not strict, "过半数"-style (>) when strict. Integers only. */
export function reaches(count: number, whole: number, share: Share): boolean {
  if (whole <= 0) return false;
  const lhs = count * share.den;
  const rhs = whole * share.num;
  return share.strict ? lhs > rhs : lhs >= rhs;
}

export interface Attendance {
  /** Members entitled to attend (for the villagers' assembly: villagers aged 18 and over). */
  entitled: number;
  present: number;
  /** Villagers' assembly: the village's households, and how many of them sent a representative. */
  households?: number;
  householdsRepresented?: number;
}

export interface Votes {
  for: number;
  against: number;
  abstain: number;
}

export function villagePolicyOf(policy: Policy): VillagePolicy {
  if (!policy.village) throw new InvalidTransition('the policy has no village section (四议两公开); set `village` in POLICY_FILE');
  return policy.village;
}

export function quorumRule(policy: Policy, body: VillageBody): QuorumRule {
  return villagePolicyOf(policy).bodies[body].value;
}

/** Whether a meeting of `body` could be held: attendance against the members entitled (or the households). */
export function hasQuorum(rule: QuorumRule, a: Attendance): boolean {
  if (reaches(a.present, a.entitled, rule.attendance)) return true;
  if (rule.householdAttendance && a.households !== undefined && a.householdsRepresented !== undefined) {
    return reaches(a.householdsRepresented, a.households, rule.householdAttendance);
  }
  return false;
}

/** Whether the votes carry the decision: a share of those present (or of those entitled, per the rule). */
export function isPassed(rule: QuorumRule, a: Attendance, v: Votes): boolean {
  return reaches(v.for, rule.approvalBase === 'present' ? a.present : a.entitled, rule.approval);
}

export type MeetingOutcome = 'no_quorum' | 'passed' | 'rejected';

export function meetingOutcome(rule: QuorumRule, a: Attendance, v: Votes): MeetingOutcome {
  if (!hasQuorum(rule, a)) return 'no_quorum';
  return isPassed(rule, a, v) ? 'passed' : 'rejected';
}

/** Counts that do not add up (more present than entitled, more votes than present): refused before any rule runs. */
export function meetingCountsProblem(m: Attendance & Votes): string | null {
  const ints = [m.entitled, m.present, m.for, m.against, m.abstain, m.households ?? 0, m.householdsRepresented ?? 0];
  if (!ints.every((n) => Number.isInteger(n) && n >= 0)) return '人数和票数须为非负整数 (counts must be non-negative integers)';
  if (m.entitled < 1) return '应到人数至少为1 (entitled must be at least 1)';
  if (m.present > m.entitled) return `实到人数 ${m.present} 超过应到人数 ${m.entitled} (present exceeds entitled)`;
  if (m.for + m.against + m.abstain > m.present) return '赞成、反对、弃权票数之和超过实到人数 (votes exceed those present)';
  if ((m.households === undefined) !== (m.householdsRepresented === undefined)) {
    return '户数与到会户代表数须同时填写 (households and householdsRepresented go together)';
  }
  if (m.households !== undefined && m.householdsRepresented! > m.households) return '到会户代表数超过总户数 (householdsRepresented exceeds households)';
  return null;
}

const shareText = (s: Share) => {
  if (s.num * 2 === s.den && s.strict) return '过半数';
  const frac = s.num === s.den ? '全部' : s.num === 2 && s.den === 3 ? '三分之二' : `${s.num}/${s.den}`;
  return s.strict ? `超过${frac}` : `${frac}以上`;
};
/** The rule in words, as notices and the board show it: "应到会人员三分之二以上到会；到会人员过半数同意". */
export function describeRule(rule: QuorumRule): string {
  const attendance = rule.householdAttendance
    ? `十八周岁以上村民${shareText(rule.attendance)}，或${shareText(rule.householdAttendance)}的户的代表参加`
    : `应到会人员${shareText(rule.attendance)}到会`;
  return `${attendance}；${rule.approvalBase === 'present' ? '到会人员' : '应到会人员'}${shareText(rule.approval)}同意`;
}

// ---------------------------------------------------------------------------------------------------------------
// Notice before a meeting (村民委员会组织法 Art. 21: 10 days for the villagers' assembly; local rule: 3 days for the
// party members' assembly)

/**
 * How many days' notice a meeting had, counted as the law counts a period in days: the day the notice is given is not
 * counted (开始的当日不计入), the day of the meeting is. Notice on 1 November for a meeting on 11 November is 10 days'
 * notice; for one on 10 November, 9. Asia/Shanghai calendar dates: the time of day does not matter. With a calendar,
 * only its working days are counted.
 */
export function noticeDays(givenAt: number, heldAt: number, workingDaysOf?: WorkCalendar): number {
  const end = shanghaiDate(heldAt);
  let date = shanghaiDate(givenAt);
  let days = 0;
  while (date < end) {
    date = nextDate(date);
    if (!workingDaysOf || isWorkingDay(date, workingDaysOf)) days += 1;
  }
  return days;
}

const UNIT_MS: Partial<Record<Duration['unit'], number>> = { seconds: 1000, minutes: 60_000, hours: 3_600_000 };

/** Whether notice given at `givenAt` is at least `period` before a meeting at `heldAt` (day periods count dates). */
export function noticeSuffices(givenAt: number, heldAt: number, period: Duration, cal: WorkCalendar): boolean {
  if (period.unit === 'calendarDays') return noticeDays(givenAt, heldAt) >= period.value;
  if (period.unit === 'workingDays') return noticeDays(givenAt, heldAt, cal) >= period.value;
  return heldAt - givenAt >= period.value * UNIT_MS[period.unit]!;
}

/** The notice rule of a body in words ("村民会议应当提前10天通知（村民委员会组织法第二十一条）"); null when it needs none. */
export function meetingNoticeRule(policy: Policy, body: VillageBody): string | null {
  const notice = villagePolicyOf(policy).meetingNotice?.[body];
  if (!notice) return null;
  return `${quorumRule(policy, body).name}应当提前${durationText(notice.value.period)}通知（${notice.value.rule}）`;
}

/** The refusal for a meeting announced too late (or without saying when), naming the rule; null when it may count. */
export function meetingNoticeProblem(policy: Policy, body: VillageBody, heldAt: string, noticeGivenAt?: string): string | null {
  const held = Date.parse(heldAt);
  const given = noticeGivenAt === undefined ? undefined : Date.parse(noticeGivenAt);
  if (given !== undefined) {
    if (Number.isNaN(given)) return 'noticeGivenAt: 通知时间无效 (not a date)';
    if (given > held) return `通知时间晚于会议时间 (noticeGivenAt ${noticeGivenAt} is after heldAt ${heldAt})`;
  }
  const notice = villagePolicyOf(policy).meetingNotice?.[body];
  if (!notice) return null;
  const { period } = notice.value;
  const need = meetingNoticeRule(policy, body)!;
  if (given === undefined) return `${need}，请填写通知时间 (noticeGivenAt: a ${body} meeting needs ${durationTextEn(period)} notice)`;
  if (noticeSuffices(given, held, period, policy.calendar.value)) return null;
  const days = period.unit === 'calendarDays' || period.unit === 'workingDays';
  const gave = days ? `，仅提前${durationText({ value: noticeDays(given, held, period.unit === 'workingDays' ? policy.calendar.value : undefined), unit: period.unit })}` : '';
  return (
    `${need}：本次会议于 ${shanghaiDate(given)} 通知、${shanghaiDate(held)} 召开（通知当日不计入）${gave}，通知期限不足，不能登记 ` +
    `(a ${body} meeting needs ${durationTextEn(period)} notice; the day notice is given is not counted)`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The matter

/** Who did something. Villagers filing objections on the public board act as `public`. */
export interface VillageActorRef {
  id: string;
  name: string;
  role: ActorRef['role'] | 'public';
}

/** The staff member acting, with the area the rules check. */
export interface VillageStaff extends ActorRef {
  area: string;
}

export interface MeetingInput extends Attendance, Votes {
  body: VillageBody;
  /** When the meeting was held (ISO 8601). */
  heldAt: string;
  /** When the meeting was announced (ISO 8601); required for the bodies the policy gives a notice rule. */
  noticeGivenAt?: string;
  minutes: string;
}

export interface MeetingRecord extends MeetingInput {
  seq: number;
  step: DeliberationStep;
  /** 1 for the first proposal; one more every time a rejected matter returns to the proposal step. */
  round: number;
  bodyName: string;
  rule: string;
  quorum: boolean;
  passed: boolean;
  outcome: MeetingOutcome;
  recordedAt: string;
  recordedBy: VillageActorRef;
}

export type NoticeKind = 'resolution' | 'result';
export const NOTICE_NAMES: Record<NoticeKind, string> = { resolution: '决议公开', result: '实施结果公开' };

export interface PublicNotice {
  id: string;
  kind: NoticeKind;
  startsAt: string;
  endsAt: string;
  ended: boolean;
}

export interface Objection {
  id: string;
  noticeId: string;
  filedAt: string;
  /** As the villager gave them; contact details are for the village's answer, never shown on the board. */
  name: string | null;
  email: string | null;
  phone: string | null;
  text: string;
  answer: { text: string; at: string; by: VillageActorRef } | null;
}

export interface VillageEvent {
  seq: number;
  at: string;
  actor: VillageActorRef;
  action: string;
  from: { status: VillageStatus } | null;
  to: { status: VillageStatus };
  details?: Record<string, unknown>;
}

export interface VillageDeadlines {
  /** The current deliberation step must be held by then; past it the clerk is reminded. */
  stepDeadline?: string;
  /** The resolution must be reached by then; past it the township is alerted. */
  procedureDeadline?: string;
  /** The notice on the board ends then. */
  noticeEndsAt?: string;
}

export interface VillageMatter {
  /** Deadlines counted in a year whose holidays the calendar lacks (weekends only): provisional. */
  provisional?: string[];
  id: string;
  kind: 'village_decision';
  policyVersion: string;
  type: MatterType;
  typeName: string;
  title: string;
  description: string;
  /** Yuan, where money is involved. */
  amount: number | null;
  attachments: string[];
  /** The village: county/township/village. */
  area: string;
  status: VillageStatus;
  round: number;
  stepEnteredAt: string;
  openedAt: string;
  openedBy: VillageActorRef;
  meetings: MeetingRecord[];
  /** The step at which a valid meeting did not pass (status `rejected`). */
  rejectedAt: { step: DeliberationStep; meetingSeq: number } | null;
  notices: PublicNotice[];
  objections: Objection[];
  progress: { at: string; note: string; by: VillageActorRef }[];
  result: { summary: string; at: string; by: VillageActorRef } | null;
  outcome: 'completed' | 'ended_after_rejection' | null;
  deadlines: VillageDeadlines;
  /** The procedure limit has passed and the township was alerted. */
  overdue: boolean;
  remindersSent: string[];
  finished: boolean;
  timeline: VillageEvent[];
  version: number;
}

export interface OpenVillageInput {
  matterId: string;
  type: string;
  title: string;
  description: string;
  amount?: number | null;
  attachments?: string[];
  area: string;
  openedBy: VillageStaff;
  openedAt: number;
  policy: Policy;
}

export type VillageStaffAction =
  | { type: 'recordMeeting'; actor: VillageStaff; meeting: MeetingInput }
  | { type: 'decideAfterRejection'; actor: VillageStaff; choice: 'end' | 'return'; reason: string }
  | { type: 'answerObjection'; actor: VillageStaff; objectionId: string; answer: string }
  | { type: 'recordProgress'; actor: VillageStaff; note: string }
  | { type: 'completeImplementation'; actor: VillageStaff; result: string };

export type VillagePublicAction = {
  type: 'fileObjection';
  actor: VillageActorRef;
  objection: { id: string; noticeId: string; name?: string; email?: string; phone?: string; text: string };
};

export type VillageSystemAction =
  | { type: 'stepReminder'; actor: ActorRef }
  | { type: 'townshipAlert'; actor: ActorRef }
  | { type: 'endNotice'; actor: ActorRef };

export type VillageAction = VillageStaffAction | VillagePublicAction | VillageSystemAction;

export interface VillageNotice {
  template: string;
  recipients: Recipients;
}

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

/** The side effects the village workflow asks for (activities/village.ts implements them; idempotent). */
export interface RecordVillageInput {
  /** The matter after the transition; without its timeline when the transition is compact (the register appends `event`). */
  snapshot: VillageMatter | Omit<VillageMatter, 'timeline'>;
  event: VillageEvent;
}

export interface VillageActivities {
  /** The register row, the audit event, the public notices and the objections, in one transaction. */
  recordVillageMatter(input: RecordVillageInput): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// The public view of a notice: what the board shows. No contact details, no staff ids.

export const OUTCOME_NAMES: Record<MeetingOutcome, string> = {
  passed: '通过',
  rejected: '未通过',
  no_quorum: '到会人数不足，会议无效，须重新召开',
};

/** 350000 → "350,000.00" */
export function formatYuan(amount: number): string {
  const [int, dec] = amount.toFixed(2).split('.');
  return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${dec}`;
}

export interface PublicNoticeView {
  id: string;
  kind: NoticeKind;
  kindName: string;
  matterId: string;
  title: string;
  typeName: string;
  description: string;
  amountText: string | null;
  attachments: string[];
  area: string;
  county: string;
  township: string;
  village: string;
  startsAt: string;
  endsAt: string;
  ended: boolean;
  meetings: {
    step: string;
    round: number;
    bodyName: string;
    heldAt: string;
    noticeGivenAt: string | null;
    entitled: number;
    present: number;
    households: number | null;
    householdsRepresented: number | null;
    for: number;
    against: number;
    abstain: number;
    rule: string;
    outcome: MeetingOutcome;
    outcomeName: string;
  }[];
  progress: { at: string; note: string }[];
  result: { summary: string; at: string } | null;
  objections: { id: string; filedAt: string; text: string; answer: { text: string; at: string } | null }[];
}

export function publicNoticeView(m: VillageMatter, noticeId: string): PublicNoticeView {
  const n = m.notices.find((x) => x.id === noticeId);
  if (!n) throw new Error(`matter ${m.id} has no notice ${noticeId}`);
  const [county, township, village] = m.area.split('/');
  return {
    id: n.id,
    kind: n.kind,
    kindName: NOTICE_NAMES[n.kind],
    matterId: m.id,
    title: m.title,
    typeName: m.typeName,
    description: m.description,
    amountText: m.amount === null ? null : formatYuan(m.amount),
    attachments: m.attachments,
    area: m.area,
    county,
    township,
    village,
    startsAt: n.startsAt,
    endsAt: n.endsAt,
    ended: n.ended,
    meetings: m.meetings.map((x) => ({
      step: STATUS_NAMES[x.step],
      round: x.round,
      bodyName: x.bodyName,
      heldAt: x.heldAt,
      noticeGivenAt: x.noticeGivenAt ?? null,
      entitled: x.entitled,
      present: x.present,
      households: x.households ?? null,
      householdsRepresented: x.householdsRepresented ?? null,
      for: x.for,
      against: x.against,
      abstain: x.abstain,
      rule: x.rule,
      outcome: x.outcome,
      outcomeName: OUTCOME_NAMES[x.outcome],
    })),
    progress: n.kind === 'result' ? m.progress.map((p) => ({ at: p.at, note: p.note })) : [],
    result: n.kind === 'result' && m.result ? { summary: m.result.summary, at: m.result.at } : null,
    objections: m.objections
      .filter((o) => o.noticeId === n.id)
      .map((o) => ({ id: o.id, filedAt: o.filedAt, text: o.text, answer: o.answer ? { text: o.answer.text, at: o.answer.at } : null })),
  };
}

export const VILLAGE_BODIES_LIST = ['party_branch', 'two_committees', 'party_members', 'representatives', 'villagers'] as const;

/** What the mail templates (templates/village/*.hbs) get, besides the recipient. */
export function villageMailData(m: VillageMatter, event: VillageEvent): Record<string, unknown> {
  const last = m.meetings[m.meetings.length - 1];
  const objectionId = event.details?.objectionId;
  return {
    matter: m,
    event,
    statusName: STATUS_NAMES[m.status],
    fromStatusName: event.from ? STATUS_NAMES[event.from.status] : null,
    meeting: last ? { ...last, bodyName: BODY_NAMES[last.body] } : null,
    notice: currentNotice(m) ?? m.notices[m.notices.length - 1] ?? null,
    objection: typeof objectionId === 'string' ? (m.objections.find((o) => o.id === objectionId) ?? null) : null,
    openObjections: m.objections.filter((o) => !o.answer).length,
    amountText: m.amount === null ? null : formatYuan(m.amount),
    // A reminder never presents a passed deadline as still ahead: the procedure limit may have passed before the step's.
    procedureDeadlinePassed: !!m.deadlines.procedureDeadline && Date.parse(m.deadlines.procedureDeadline) <= Date.parse(event.at),
  };
}
