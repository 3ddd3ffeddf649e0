import { isWorkingDay, type Duration, type WorkCalendar } from '../calendar';
import { durationText, durationTextEn } from '../duration-text';
import { InvalidTransition } from '../errors';
import type { Policy } from '../policy';
import { nextDate, shanghaiDate } from '../time';
import type { QuorumRule, Share, VillageBody, VillagePolicy } from '../village-policy';

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
