import { Router } from 'express';
import type { Duration, WorkCalendar } from '../../domain/calendar';
import { durationText } from '../../domain/duration-text';
import { LEVEL_NAMES } from '../../domain/mediation';
import type { Policy } from '../../domain/policy';
import { describeRule } from '../../domain/village';
import type { MeetingNoticeRule, QuorumRule } from '../../domain/village-policy';
import { ApiError } from '../errors';
import { member, type ConsoleDeps, type pageRenderer } from './http';

/**
 * 现行政策 (/console/policy): every sourced setting of the policy in force (domain/policy.ts, domain/village-policy.ts,
 * POLICY_FILE, the calendars loaded), read-only, grouped by process, each with its source. The rows are found by
 * walking the policy for every `{ value, source }`, so a setting added to the policy appears without touching this
 * page; the labels below only name them in Chinese.
 */
export const POLICY_READERS = ['admin', 'supervisor'] as const;

export interface PolicyRow {
  path: string;
  label: string;
  value: string;
  source: string;
}

export interface PolicyGroup {
  key: string;
  title: string;
  rows: PolicyRow[];
}

const GROUPS: Record<string, string> = { general: '通用：期间计算与日历', mediation: '矛盾纠纷调解', petition: '信访（5+N）', village: '村务决策（四议两公开）' };

const LABELS: Record<string, string> = {
  calendar: '工作日历（周末与节假日）',
  calendarLead: '缺少下一年节假日安排的提前提示',
  'mediation.acceptanceLimit': '受理期限',
  'mediation.levelLimits.village': '村级办结期限',
  'mediation.levelLimits.township': '乡镇级办结期限',
  'mediation.levelLimits.county': '县级办结期限',
  'mediation.reminderShare': '期限提醒时点',
  'mediation.triageBySeriousness': '分级诊疗：按严重程度的起始层级',
  'mediation.judicialConfirmationWindow': '申请司法确认的期限',
  'mediation.followUpDelay': '回访时间',
  'petition.assignLimit': '转送、交办期限',
  'petition.acceptanceNoticeLimit': '书面告知受理期限',
  'petition.objectionLimit': '有权处理机关异议期限',
  'petition.handlingLimit': '办理期限',
  'petition.maxExtension': '延期上限',
  'petition.reviewWindow': '申请复查期限',
  'petition.reviewAnswerLimit': '复查答复期限',
  'petition.reReviewWindow': '申请复核期限',
  'petition.reReviewAnswerLimit': '复核答复期限',
  'petition.warnShare': '期限预警时点',
  'petition.leadingGroup': '五人领导小组',
  'petition.meeting': '信访稳定集中办公会议（每周）',
  'village.noticePeriod': '决议公开、实施结果公开的公示期',
  'village.stepLimit': '步骤间最长间隔',
  'village.procedureLimit': '决议程序期限',
  'village.meetingNotice.villagers': '村民会议提前通知',
  'village.meetingNotice.party_members': '党员大会提前送达方案',
};

const SERIOUSNESS: Record<string, string> = { simple: '简单', ordinary: '一般', major: '重大' };
const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

const isDuration = (v: unknown): v is Duration =>
  !!v && typeof v === 'object' && typeof (v as Duration).value === 'number' && typeof (v as Duration).unit === 'string';
const isSourced = (v: unknown): v is { value: unknown; source: string } =>
  !!v && typeof v === 'object' && !Array.isArray(v) && 'value' in v && typeof (v as { source?: unknown }).source === 'string';

/** A setting's value in words. */
function valueText(path: string, v: unknown): string {
  if (isDuration(v)) return durationText(v);
  if (path.endsWith('Share') && typeof v === 'number') return `期限经过${Math.round(v * 100)}%时`;
  if (path === 'calendarLead' && typeof v === 'number') return `每年开始前${v}天`;
  if (path === 'calendar') {
    const cal = v as WorkCalendar;
    const weekend = cal.weekendDays.map((d) => `周${WEEKDAYS[d]}`).join('、');
    const years = (cal.years ?? []).map((y) => `${y.year}年（节假日${y.holidays.length}天，调休上班${y.workedWeekendDays.length}天）`);
    return `周末：${weekend}；已载入节假日安排：${years.length > 0 ? years.join('、') : '无（只按周末计算，期限标为暂定）'}`;
  }
  if (path === 'mediation.triageBySeriousness') {
    return Object.entries(v as Record<string, string>).map(([k, l]) => `${SERIOUSNESS[k] ?? k}→${LEVEL_NAMES[l as keyof typeof LEVEL_NAMES] ?? l}`).join('；');
  }
  if (path === 'petition.leadingGroup') return (v as { title: string; name: string }[]).map((p) => p.title).join('、');
  if (path === 'petition.meeting') {
    const m = v as { dayOfWeek: number; hour: number; minute: number; chair: { name: string }; minutesWithin: Duration };
    return `每周${WEEKDAYS[m.dayOfWeek % 7]} ${m.hour}:${String(m.minute).padStart(2, '0')}，${m.chair.name}主持；会议记录${durationText(m.minutesWithin)}内登记`;
  }
  if (path.startsWith('village.bodies.')) return describeRule(v as QuorumRule);
  if (path.startsWith('village.meetingNotice.')) {
    const n = v as MeetingNoticeRule;
    return `提前${durationText(n.period)}（${n.rule}）`;
  }
  return typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** Every `{ value, source }` of the policy, with its path (arrays by index). */
function sourcedOf(v: unknown, path: string[], out: { path: string[]; s: { value: unknown; source: string } }[]): void {
  if (isSourced(v)) {
    out.push({ path, s: v });
    return;
  }
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) sourcedOf(x, [...path, k], out);
}

/** The policy in force as groups of rows: every sourced setting, labelled in Chinese, with its source. */
export function policyGroups(policy: Policy): PolicyGroup[] {
  const found: { path: string[]; s: { value: unknown; source: string } }[] = [];
  sourcedOf(policy, [], found);
  const groups = new Map<string, PolicyRow[]>(Object.keys(GROUPS).map((k) => [k, []]));
  for (const { path, s } of found) {
    const key = path.join('.');
    const group = path[0] in GROUPS && path.length > 1 ? path[0] : 'general';
    let label = LABELS[key];
    if (!label && path[0] === 'village' && path[1] === 'bodies') label = `${(s.value as QuorumRule).name}：到会与表决`;
    if (!label && path[1] === 'categories') {
      // A category's own limit (mediation.categories.N.levelLimits.LEVEL).
      const c = policy.mediation.categories[Number(path[2])];
      label = `${c?.name ?? path[2]}：${LEVEL_NAMES[path[4] as keyof typeof LEVEL_NAMES] ?? path[4]}办结期限${c?.limitFromAcceptance ? '（自受理起算）' : ''}`;
    }
    groups.get(group)!.push({ path: key, label: label ?? key, value: valueText(key, s.value), source: s.source });
  }
  // The calendars of each year, with the notice each comes from.
  for (const y of policy.calendar.value.years ?? []) {
    groups.get('general')!.push({
      path: `calendar.years.${y.year}`,
      label: `${y.year}年节假日安排`,
      value: `节假日${y.holidays.length}天，调休上班${y.workedWeekendDays.length}天`,
      source: y.source,
    });
  }
  return Object.entries(GROUPS).map(([key, title]) => ({ key, title, rows: groups.get(key)! })).filter((g) => g.rows.length > 0);
}

export function policyPages(deps: ConsoleDeps, page: ReturnType<typeof pageRenderer>): Router {
  const router = Router();
  router.get('/policy', (req, res) => {
    const actor = member(req);
    if (!(POLICY_READERS as readonly string[]).includes(actor.role)) throw new ApiError(404, 'not_found', 'the policy page is for administrators and supervisors');
    const p = deps.policy;
    page(req, res, 'policy', {
      title: '现行政策',
      version: p.version,
      groups: policyGroups(p),
      categories: p.mediation.categories.map((c) => ({
        ...c,
        committeeName: p.mediation.committees[c.committee] ?? c.committee,
        levelName: LEVEL_NAMES[c.triageLevel ?? 'village'],
      })),
    });
  });
  return router;
}
