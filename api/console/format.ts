import type { Role } from '../../domain/actors';
import { DAY_MS, HOUR_MS, toShanghaiDisplay } from '../../domain/time';

/** Words and labels for the console, in Simplified Chinese. Times are shown in Asia/Shanghai. */
export const ROLE_NAMES: Record<Role, string> = {
  grid_worker: '网格员',
  mediator: '调解员',
  supervisor: '督导人员',
  petition_officer: '信访干部',
  leader: '包案领导',
  village_clerk: '村务文书',
  admin: '系统管理员',
};

export const STATUS_NAMES: Record<string, string> = {
  awaiting_acceptance: '待受理',
  in_mediation: '调解中',
  closed: '已结案',
};

export const OUTCOME_NAMES: Record<string, string> = {
  agreement: '达成协议',
  failed: '调解不成',
  withdrawn: '当事人撤回',
  refused: '当事人拒绝调解',
  referred_to_court: '引导诉讼',
};

export { PARTY_ROLE_NAMES } from '../../domain/mediation';

export const JUDICIAL_NAMES: Record<string, string> = {
  not_applied: '未申请', applied: '已申请', confirmed: '已确认有效', refused: '法院不予确认',
};

export const TIMELINE_NAMES: Record<string, string> = {
  opened: '登记受理申请',
  accepted: '受理',
  assigned: '指派调解员',
  session_recorded: '调解记录',
  escalation_requested: '申请上交',
  agreement_recorded: '达成调解协议',
  failure_recorded: '调解不成',
  withdrawn: '当事人撤回',
  refused: '当事人拒绝调解',
  urged: '督办',
  explained: '情况说明',
  judicial_confirmation_applied: '申请司法确认',
  judicial_confirmation_confirmed: '司法确认有效',
  judicial_confirmation_refused: '司法确认被驳回',
  follow_up_recorded: '回访',
  reopened: '重新调解',
  acceptance_reminder: '受理期限提醒',
  level_reminder: '办理期限提醒',
  followUp_reminder: '回访提醒',
  escalated: '逾期自动上交',
  overdue: '逾期预警',
};

export const DEADLINE_NAMES: Record<string, string> = {
  acceptBy: '受理期限',
  levelDeadline: '本级办结期限',
  targetDate: '承诺办结日期',
  judicialConfirmationBy: '司法确认申请期限',
  followUpDue: '回访日期',
};

/** "剩余2天", "剩余5小时", "已超期3天": whole units, rounded towards the deadline's side a reader expects. */
export function timeLeft(deadline: string | number, now: number): { text: string; overdue: boolean } {
  const at = typeof deadline === 'number' ? deadline : Date.parse(deadline);
  const diff = at - now;
  const abs = Math.abs(diff);
  const words =
    abs >= DAY_MS ? `${Math.floor(abs / DAY_MS)}天` : abs >= HOUR_MS ? `${Math.floor(abs / HOUR_MS)}小时` : `${Math.max(1, Math.floor(abs / 60_000))}分钟`;
  return diff >= 0 ? { text: `剩余${words}`, overdue: false } : { text: `已超期${words}`, overdue: true };
}

export const display = (v: string | number | Date) => toShanghaiDisplay(new Date(v));

/** The Chinese part of a message written "中文 (English)". */
export function chinese(message: string): string {
  const m = /^(.*?[^\x00-\x7f].*?) \(/.exec(message);
  return m ? m[1] : message;
}
