import { actorRef, type Actor } from '../../domain/actors';
import { areaKind, areaSegments } from '../../domain/areas';
import { periodEnd } from '../../domain/calendar';
import { durationText } from '../../domain/duration-text';
import { extensionEnds, nextPetitionDeadline, type Petition } from '../../domain/petition';
import { availablePetitionActions, type AvailablePetitionAction, type PetitionActionPath } from '../../domain/petition-available';
import type { Policy } from '../../domain/policy';
import { toShanghaiIso } from '../../domain/time';
import { sqlAreaWithin } from '../../platform/area-sql';
import type { Db } from '../../platform/db';
import { ApiError } from '../errors';
import { chinese, timeLeft } from './format';
import type { ConsoleDeps } from './http';
import type { TaskSource, WorkItem } from './worklist';

/**
 * The staff steps on a petition page (/console/petitions/:id): one form per step the domain allows now
 * (availablePetitionActions), each posting to /console/petitions/:id/<path> with the API's path, whose handler calls
 * performPetitionAction (api/petitions.ts), the API's own code path. Also the petition tasks of 待办.
 */
export type Values = Record<string, string | string[]>;
export type Errors = Record<string, string>;

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const int = (v: unknown) => (/^\d{1,4}$/.test(str(v)) ? Number(str(v)) : str(v) === '' ? undefined : str(v));

interface PetitionForm {
  /** The domain's name of the step (availablePetitionActions). */
  type: AvailablePetitionAction;
  /** The timeline actions the step records: a second submission finds its step already there. */
  events: string[];
  done: string;
  body(v: Values): unknown;
}

/**
 * Keyed by the API's path (POST /api/v1/petitions/:id/<path>, the domain's PETITION_ACTION_PATHS); the console posts to
 * the same path under /console. Typed by that list, so a step without a form (or a form without a step) fails to build.
 */
const FORMS: Record<PetitionActionPath, PetitionForm> = {
  leader: { type: 'assignLeader', events: ['leader_assigned', 'leader_reassigned'], done: '已确定包案领导。', body: (v) => ({ leaderId: str(v.leaderId) }) },
  assign: { type: 'assign', events: ['assigned'], done: '已转送交办。', body: (v) => ({ unit: str(v.unit), unitHead: str(v.unitHead) }) },
  accept: { type: 'accept', events: ['accepted'], done: '已受理，并书面告知信访人。', body: (v) => ({ notice: str(v.notice) }) },
  objection: { type: 'object', events: ['objected'], done: '异议已登记，信访事项退回重新交办。', body: (v) => ({ reasons: str(v.reasons) }) },
  extension: {
    type: 'extend',
    events: ['extended'],
    done: '办理期限已延长，并告知信访人。',
    body: (v) => ({ days: int(v.days), reason: str(v.reason), approvedBy: str(v.approvedBy) }),
  },
  reply: { type: 'reply', events: ['replied'], done: '答复意见书已出具。', body: (v) => ({ decision: str(v.decision), opinion: str(v.opinion) }) },
  'review-request': { type: 'requestReview', events: ['review_requested'], done: '复查申请已登记。', body: (v) => ({ reason: str(v.reason) }) },
  'review-answer': { type: 'answerReview', events: ['review_answered'], done: '复查意见已出具。', body: (v) => ({ opinion: str(v.opinion) }) },
  're-review-request': { type: 'requestReReview', events: ['re_review_requested'], done: '复核申请已登记。', body: (v) => ({ reason: str(v.reason) }) },
  'hearing-start': { type: 'startHearing', events: ['hearing_started'], done: '听证已开始，复核答复期限暂停。', body: () => ({}) },
  'hearing-end': { type: 'endHearing', events: ['hearing_ended'], done: '听证已结束，复核答复期限恢复计算。', body: () => ({}) },
  're-review-answer': { type: 'answerReReview', events: ['re_review_answered'], done: '复核意见已出具，信访事项终结。', body: (v) => ({ opinion: str(v.opinion) }) },
  'transfer-to-mediation': {
    type: 'transferToMediation',
    events: ['transferred_to_mediation'],
    done: '已转人民调解，调解案件已登记。',
    body: (v) => ({
      category: str(v.category),
      area: str(v.area),
      ...(str(v.summary) ? { summary: str(v.summary) } : {}),
      respondents: [1, 2, 3].map((i) => str(v[`respondent${i}`])).filter(Boolean).map((name) => ({ name })),
    }),
  },
};
export const PETITION_FORMS: Readonly<Record<string, PetitionForm>> = FORMS;

/** The order the forms appear in: the step that moves the petition on first. */
const ORDER = [
  'assign', 'accept', 'reply', 'review-answer', 're-review-answer', 'hearing-end', 'review-request', 're-review-request',
  'hearing-start', 'extension', 'objection', 'leader', 'transfer-to-mediation',
];

const FIELD_MESSAGES: Record<string, string> = {
  leaderId: '请选择包案领导。',
  unit: '请填写责任单位。',
  unitHead: '请填写责任单位负责人。',
  notice: '请填写书面告知内容。',
  reasons: '请填写异议理由。',
  days: '请填写延长的天数（正整数）。',
  reason: '请填写理由。',
  approvedBy: '请填写批准延期的单位负责人。',
  decision: '请选择答复意见。',
  opinion: '请填写意见。',
  category: '请选择纠纷类别。',
  area: '请填写纠纷发生的村（县/乡镇/村）。',
  summary: '纠纷概况过长。',
  respondents: '请至少填写一名被申请人的姓名。',
};

/**
 * A refusal as errors next to the fields: the API's 400s name their field; the domain's refusals of an extension
 * (too long, not approved by the unit head) belong to the days and the approval; the rest stand above the form.
 */
export function formErrors(path: string, err: ApiError): Errors {
  const out: Errors = {};
  const details = Array.isArray(err.details) ? (err.details as { field: string }[]) : [];
  for (const d of details) {
    const field = d.field.split('.')[0];
    out[field === 'respondents' ? 'respondent1' : field] ??= FIELD_MESSAGES[field] ?? '填写有误。';
  }
  const named = /^(\w+): /.exec(err.message)?.[1];
  if (Object.keys(out).length === 0 && err.status === 400 && named && named in FIELD_MESSAGES) out[named] = FIELD_MESSAGES[named];
  if (Object.keys(out).length === 0 && err.status === 403 && path === 'transfer-to-mediation') out.area = '只能转交本辖区内的村。';
  if (Object.keys(out).length === 0 && path === 'extension' && err.status === 409) {
    if (/批准/.test(err.message)) out.approvedBy = chinese(err.message);
    else if (/不得超过/.test(err.message)) out.days = chinese(err.message);
  }
  if (Object.keys(out).length === 0) out._form = chinese(err.message);
  return out;
}

/**
 * A second submission of the same form (a double click, a reload after the answer was lost): the member's latest step
 * on the petition since the form was shown is this step. The page answers as for the first, and nothing changes.
 */
export function alreadyDone(p: Petition, path: string, actor: Actor, seen: number): boolean {
  const mine = p.timeline.filter((e) => e.seq > seen && e.actor.id === actor.id);
  const last = mine[mine.length - 1];
  return !!last && PETITION_FORMS[path].events.includes(last.action);
}

/** One submission at a time per member and petition in this process, so that a double click finds its first half done. */
const queues = new Map<string, Promise<unknown>>();
export async function oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
  const before = queues.get(key) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(run);
  queues.set(key, mine);
  try {
    return await mine;
  } finally {
    if (queues.get(key) === mine) queues.delete(key);
  }
}

/** What the petition page needs for its forms: the steps allowed now, the rules in words, the leaders to choose from. */
export async function actionsView(db: Db, policy: Policy, p: Petition, actor: Actor, now: number) {
  const can = new Set(availablePetitionActions(p, actorRef(actor), now, policy));
  const forms = ORDER.filter((path) => can.has(PETITION_FORMS[path].type));
  const allowed = Object.fromEntries(forms.map((f) => [f, true]));
  const cfg = policy.petition!;
  const county = areaSegments(p.area)[0];
  const leaders = allowed.leader
    ? (
        await db.query<{ id: string; name: string }>(
          `SELECT id, name FROM users WHERE role = 'leader' AND deactivated_at IS NULL AND ${sqlAreaWithin('area', '$1')} ORDER BY name`,
          [county],
        )
      ).rows.map((u) => ({ ...u, current: u.id === p.leader?.id }))
    : [];
  const deadline = (at: string | undefined) => (at ? { at, left: timeLeft(at, now) } : null);
  const ext = allowed.extension ? extensionEnds(p, 1, policy) : null;
  return {
    forms,
    allowed,
    first: forms[0],
    any: forms.length > 0,
    leaders,
    deadlines: {
      assignBy: deadline(p.deadlines.assignBy),
      acceptanceNoticeBy: deadline(p.deadlines.acceptanceNoticeBy),
      objectionBy: deadline(p.deadlines.objectionBy),
      handleBy: deadline(p.deadlines.handleBy),
      reviewRequestBy: deadline(p.deadlines.reviewRequestBy),
      reviewAnswerBy: deadline(p.deadlines.reviewAnswerBy),
      reReviewRequestBy: deadline(p.deadlines.reReviewRequestBy),
      reReviewAnswerBy: deadline(p.deadlines.reReviewAnswerBy),
    },
    rules: {
      assign: `登记之日起${durationText(cfg.assignLimit.value)}内转送、交办（信访工作条例第二十二条）。`,
      accept: `责任单位应在${durationText(cfg.acceptanceNoticeLimit.value)}内书面告知信访人是否受理；受理后${durationText(cfg.handlingLimit.value)}内办结。`,
      objection: `不属于本单位职权范围的，应在交办后${durationText(cfg.objectionLimit.value)}内提出异议并说明理由（信访工作条例第二十三条）。`,
      reply: `答复意见书出具后寄送信访人；信访人可在${durationText(cfg.reviewWindow.value)}内申请复查。`,
      extension:
        `办理期限为受理之日起${durationText(cfg.handlingLimit.value)}；情况复杂的，经承办单位负责人` +
        `${p.unit ? `（${p.unit.headName}）` : ''}批准可以延长一次，延长期限不得超过${durationText(cfg.maxExtension.value)}，并告知信访人延期理由。`,
      extensionLimit: ext ? toShanghaiIso(ext.limit) : null,
      review: `复查机关自收到复查申请之日起${durationText(cfg.reviewAnswerLimit.value)}内提出复查意见。`,
      reReview: `复核机关自收到复核申请之日起${durationText(cfg.reReviewAnswerLimit.value)}内提出复核意见；听证所需时间不计算在内。复核意见作出后，信访人以同一事实和理由提出的信访事项不再受理。`,
    },
    maxDays: cfg.maxExtension.value.unit === 'calendarDays' ? cfg.maxExtension.value.value : undefined,
    villageArea: areaKind(p.area) === 'village' ? p.area : '',
  };
}

/** The task a petition sets this member, decided from the steps the domain allows now. */
export function petitionTask(p: Petition, actor: Actor, now: number, policy: Policy): string | null {
  const can = new Set(availablePetitionActions(p, actorRef(actor), now, policy));
  const task = can.has('assign')
    ? '待交办'
    : can.has('accept')
      ? '待受理'
      : can.has('reply')
        ? '待答复'
        : can.has('answerReview')
          ? '待复查答复'
          : can.has('endHearing')
            ? '听证中'
            : can.has('answerReReview')
              ? '待复核答复'
              : null;
  if (task) return p.overdue ? `${task}（已逾期）` : task;
  return p.leader || p.finished || p.status === 'in_mediation' || !can.has('assignLeader') ? null : '待确定包案领导';
}

/** A meeting waits for its minutes until its minutes deadline (policy petition.meeting.minutesWithin). */
interface OpenMeeting {
  id: string;
  held_on: Date;
  county: string | null;
}

export const petitionTasks: TaskSource = async (deps: ConsoleDeps, actor, now) => {
  if (actor.role !== 'petition_officer' && actor.role !== 'leader') return [];
  const { db, policy } = deps;
  const mine = actor.role === 'leader';
  const r = await db.query<{ snapshot: Petition }>(
    `SELECT snapshot FROM cases
      WHERE kind = 'petition' AND status <> 'closed'
        AND ${mine ? `snapshot->'leader'->>'id' = $1` : `($1 = '*' OR ${sqlAreaWithin('area', '$1')})`}
      ORDER BY next_deadline NULLS LAST LIMIT 1000`,
    [mine ? actor.id : actor.area],
  );
  const items: WorkItem[] = [];
  for (const { snapshot: p } of r.rows) {
    const task = petitionTask(p, actor, now, policy);
    if (!task) continue;
    const deadline = nextPetitionDeadline(p);
    items.push({
      kind: 'petition', kindName: '信访事项', id: p.id, title: `${p.subject}（${p.petitioner.name}）`, area: p.area, task,
      deadline, left: deadline ? timeLeft(deadline, now) : null, url: `/console/petitions/${p.id}`,
    });
  }
  if (actor.role === 'petition_officer' && actor.area !== '*') items.push(...(await meetingTasks(deps, actor, now)));
  return items;
};

/** The weekly meetings of the officer's county whose agenda waits for minutes, until the minutes deadline. */
async function meetingTasks({ db, policy }: ConsoleDeps, actor: Actor, now: number): Promise<WorkItem[]> {
  const county = areaSegments(actor.area)[0];
  const r = await db.query<OpenMeeting>(`SELECT id, held_on, county FROM meetings WHERE county = $1 AND status = 'agenda_sent' ORDER BY held_on`, [county]);
  const within = policy.petition!.meeting.value.minutesWithin;
  const out: WorkItem[] = [];
  for (const m of r.rows) {
    const by = periodEnd(m.held_on.getTime(), within, policy.calendar.value).at;
    if (by <= now) continue; // the meeting no longer takes minutes
    const deadline = toShanghaiIso(by);
    out.push({
      kind: 'petition', kindName: '周调度会议', id: m.id, title: `${county}信访稳定集中办公会议（${toShanghaiIso(m.held_on).slice(0, 10)}）`,
      area: county, task: '待录入会议纪要', deadline, left: timeLeft(deadline, now), url: `/console/meetings/${encodeURIComponent(m.id)}`,
    });
  }
  return out;
}
