import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { toShanghaiIso } from '../../domain/time';
import {
  BODY_NAMES,
  DELIBERATION_STEPS,
  describeRule,
  formatYuan,
  MATTER_TYPES,
  meetingNoticeRule,
  nextVillageDeadline,
  NOTICE_NAMES,
  OUTCOME_NAMES,
  quorumRule,
  STATUS_NAMES,
  STEP_BODIES,
  unansweredObjections,
  type DeliberationStep,
  type VillageMatter,
  type VillageStatus,
} from '../../domain/village';
import { sqlAreaWithin } from '../../platform/area-sql';
import { villageState } from '../../workflows/village-decision';
import { ApiError } from '../errors';
import { liveOrRegistered } from '../register';
import { openVillageDecision, performVillageAction, visibleMatter } from '../village-decisions';
import { chinese, timeLeft } from './format';
import { chosenAs, commonFilters, filterBox, pageLink, pageNumber, pageOfCases, periodChosen } from './case-list';
import { sharedFilters } from './mediation-pages';
import { member, type ConsoleDeps, type pageRenderer } from './http';
import type { TaskSource, WorkItem } from './worklist';

/**
 * 四议两公开 for the village clerk (/console/village): its village's matters, a page per matter with the meeting form
 * (the quorum, majority and notice rules of each body the current step accepts, in the domain's words), objections to
 * answer, and the link to the public board. Every form calls the API's functions (api/village-decisions.ts).
 */
type Page = ReturnType<typeof pageRenderer>;
type Values = Record<string, string | string[]>;
type Errors = Record<string, string>;

const DEADLINE_NAMES: Record<string, string> = { stepDeadline: '本步骤期限', procedureDeadline: '决议期限', noticeEndsAt: '公示结束' };

const TIMELINE_NAMES: Record<string, string> = {
  opened: '登记事项',
  meeting_without_quorum: '会议到会人数不足（无效）',
  meeting_rejected: '表决未通过',
  proposal_passed: '党支部会提议通过',
  discussion_passed: '村"两委"会商议通过',
  review_passed: '党员大会审议通过',
  resolution_passed: '决议通过',
  ended_after_rejection: '否决后终止',
  returned_to_proposal: '否决后重新提议',
  objection_filed: '收到异议',
  objection_answered: '答复异议',
  progress_recorded: '实施进展',
  implementation_completed: '实施完成',
  resolution_notice_ended: '决议公示期满',
  result_notice_ended: '结果公示期满',
  step_reminder: '步骤期限提醒',
  township_alerted: '逾期报乡镇',
};

/** The procedure in order: 四议 then 两公开 with the implementation between them. */
const STEPS: { status: VillageStatus; name: string }[] = [
  ...DELIBERATION_STEPS.map((s) => ({ status: s as VillageStatus, name: STATUS_NAMES[s] })),
  { status: 'resolution_notice', name: STATUS_NAMES.resolution_notice },
  { status: 'implementation', name: STATUS_NAMES.implementation },
  { status: 'result_notice', name: STATUS_NAMES.result_notice },
];

const FIELD_MESSAGES: Record<string, string> = {
  type: '请选择事项类型。',
  title: '请填写事项名称。',
  description: '请填写事项内容。',
  amount: '涉及资金的事项请填写金额（元）。',
  attachments: '附件内容过长。',
  body: '请选择会议。',
  heldAt: '请填写会议时间。',
  noticeGivenAt: '请填写通知时间。',
  entitled: '请填写应到人数。',
  present: '请填写实到人数。',
  for: '请填写赞成票数。',
  against: '请填写反对票数。',
  abstain: '请填写弃权票数。',
  households: '请填写总户数。',
  householdsRepresented: '请填写到会户代表数。',
  minutes: '请填写会议记录。',
  answer: '请填写答复内容。',
  choice: '请选择终止或重新提议。',
  reason: '请填写理由。',
  note: '请填写实施进展。',
  result: '请填写实施结果。',
};

/** Field errors from the API's refusal: the domain's own Chinese message where it gave one, else the field's. */
function fieldErrors(err: ApiError): Errors {
  const out: Errors = {};
  const details = Array.isArray(err.details) ? (err.details as { field: string; message: string }[]) : [];
  for (const d of details) {
    const field = d.field.split('.')[0];
    out[field] ??= /[^\x00-\x7f]/.test(d.message) ? chinese(d.message) : FIELD_MESSAGES[field] ?? '填写有误。';
  }
  // A refusal without details names its field first ("amount: a matter of type … involves money").
  const named = /^(\w+): /.exec(err.message)?.[1];
  if (Object.keys(out).length === 0 && named && named in FIELD_MESSAGES) out[named] = FIELD_MESSAGES[named];
  if (Object.keys(out).length === 0) out._form = chinese(err.message);
  return out;
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const num = (v: unknown) => (str(v) === '' ? undefined : Number(str(v)));
const localToIso = (v: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? `${v}:00+08:00` : v || undefined);
const isoToLocal = (ms: number) => toShanghaiIso(ms).slice(0, 16);

function meetingBody(v: Values) {
  const out: Record<string, unknown> = {
    body: str(v.body),
    heldAt: localToIso(str(v.heldAt)),
    entitled: num(v.entitled),
    present: num(v.present),
    for: num(v.for),
    against: num(v.against),
    abstain: num(v.abstain),
    minutes: str(v.minutes),
  };
  const notice = localToIso(str(v.noticeGivenAt));
  if (notice) out.noticeGivenAt = notice;
  if (str(v.households) !== '' || str(v.householdsRepresented) !== '') {
    out.households = num(v.households);
    out.householdsRepresented = num(v.householdsRepresented);
  }
  return out;
}

/** The console's forms: form fields → the API's action path and body. */
const ACTIONS: Record<string, { path: string; body(v: Values): unknown }> = {
  meeting: { path: 'meetings', body: meetingBody },
  decision: { path: 'rejection-decision', body: (v) => ({ choice: str(v.choice) || undefined, reason: str(v.reason) }) },
  progress: { path: 'progress', body: (v) => ({ note: str(v.note) }) },
  completion: { path: 'completion', body: (v) => ({ result: str(v.result) }) },
};

const DONE_MESSAGES: Record<string, string> = {
  opened: '事项已登记，请召开党支部会议提议。',
  answer: '答复已登记，并在公示栏公开。',
  decision: '已登记处理决定。',
  progress: '实施进展已登记。',
  completion: '实施结果已登记，进入实施结果公开。',
};

/** What the clerk must do next on this matter, in words; null when it waits for the clock (a notice period). */
export function villageTask(m: VillageMatter): string | null {
  if (m.finished) return null;
  const open = unansweredObjections(m).length;
  if (open > 0) return `${open}条异议待答复`;
  if ((DELIBERATION_STEPS as readonly string[]).includes(m.status)) {
    const bodies = STEP_BODIES[m.status as DeliberationStep].map((b) => BODY_NAMES[b]).join('或');
    return `待召开${bodies}${m.overdue ? '（已逾期）' : ''}`;
  }
  if (m.status === 'rejected') return '表决未通过，待决定终止或重新提议';
  if (m.status === 'implementation') return '组织实施，待登记实施结果';
  return null;
}

async function mattersIn(deps: ConsoleDeps, area: string, openOnly: boolean, limit = 500): Promise<VillageMatter[]> {
  const r = await deps.db.query<{ snapshot: VillageMatter }>(
    `SELECT snapshot FROM cases
      WHERE kind = 'village_decision' AND ($1 = '*' OR ${sqlAreaWithin('area', '$1')})
        AND (NOT $2 OR NOT coalesce((snapshot->>'finished')::boolean, false))
      ORDER BY opened_at DESC LIMIT $3`,
    [area, openOnly, limit],
  );
  return r.rows.map((x) => x.snapshot);
}

/** 待办: the clerk's matters waiting for its next step or with objections unanswered. */
export const villageTasks: TaskSource = async (deps, actor, now) => {
  if (actor.role !== 'village_clerk') return [];
  const items: WorkItem[] = [];
  for (const m of await mattersIn(deps, actor.area, true)) {
    const task = villageTask(m);
    if (!task) continue;
    const deadline = nextVillageDeadline(m);
    items.push({
      kind: 'village_decision',
      kindName: '四议两公开',
      id: m.id,
      title: `${m.typeName}：${m.title}`,
      area: m.area,
      task,
      deadline,
      left: deadline ? timeLeft(deadline, now) : null,
      url: `/console/village/${m.id}`,
    });
  }
  return items;
};

/** The matter as a list row and a page show it. */
function matterView(m: VillageMatter, now: number) {
  const deadline = nextVillageDeadline(m);
  return {
    ...m,
    statusName: STATUS_NAMES[m.status],
    amountText: m.amount === null ? null : `${formatYuan(m.amount)} 元`,
    task: villageTask(m),
    open: unansweredObjections(m).length,
    next: deadline ? { at: deadline, left: timeLeft(deadline, now) } : null,
    deadlines: Object.entries(m.deadlines)
      .filter(([k, v]) => k in DEADLINE_NAMES && v)
      .map(([k, v]) => ({ name: DEADLINE_NAMES[k], at: v, left: timeLeft(v as string, now) })),
  };
}

function stepsOf(m: VillageMatter) {
  const here = m.status === 'rejected' ? m.rejectedAt?.step ?? 'proposal' : m.status;
  const at = m.status === 'closed' ? (m.outcome === 'completed' ? STEPS.length : -1) : STEPS.findIndex((s) => s.status === here);
  const lastPassed = (s: VillageStatus) => m.meetings.filter((x) => x.step === s && x.round === m.round && x.passed).at(-1);
  return STEPS.map((s, i) => {
    const done = at === -1 ? !!lastPassed(s.status) : i < at;
    const current = i === at;
    return { ...s, state: done ? '已完成' : current ? (m.status === 'rejected' ? '表决未通过' : '进行中') : m.outcome === 'ended_after_rejection' ? '已终止' : '待办', done, current };
  });
}

export function villagePages(deps: ConsoleDeps, page: Page): Router {
  const { db, policy } = deps;
  const router = Router();
  const types = MATTER_TYPES.map((t) => ({ code: t.code, name: t.name, money: t.money }));

  const board = (area: string) => `/notices?area=${encodeURIComponent(area)}`;

  // Clerks see their village's matters; supervisors those of their area, read-only (the matter page offers them no
  // clerk action: its forms are computed for the clerk of the matter's village alone).
  // Filters (status, area, overdue, text, registration dates) and pages, as the mediation list has them.
  router.get('/village', async (req, res) => {
    const actor = member(req);
    if (actor.role !== 'village_clerk' && actor.role !== 'supervisor') throw new ApiError(404, 'not_found', 'the village pages are for village clerks and supervisors');
    const q = req.query as Record<string, unknown>;
    if (q.kind === 'mediation' && actor.role === 'supervisor') return res.redirect(303, `/console/mediations?${sharedFilters(q)}`);
    const status = typeof q.status === 'string' && q.status.trim() in STATUS_NAMES ? q.status.trim() : '';
    const f = { status, ...commonFilters(q) };
    const pageNo = pageNumber(q);
    const { items, total, pages } = await pageOfCases<VillageMatter>(db, {
      kind: 'village_decision', actor, f, pageNo, textColumns: ['summary', 'id', `snapshot->>'title'`],
      more: (add) => {
        if (f.status) add('status = ?', f.status);
      },
    });
    const now = Date.now();
    const link = (n: number) => pageLink('/console/village', q, n);
    const clerk = actor.role === 'village_clerk';
    page(req, res, 'villages', {
      title: clerk ? '本村事项' : '辖区村务事项',
      clerk,
      items: items.map((x) => matterView(x, now)),
      board: board(actor.area),
      f,
      statuses: Object.entries(STATUS_NAMES).map(([code, name]) => ({ code, name })),
      filtered: Object.entries(f).some(([, v]) => v),
      filters: filterBox('/console/village', [
        chosenAs('关键词', f.text),
        chosenAs('当前步骤', STATUS_NAMES[f.status as keyof typeof STATUS_NAMES]),
        chosenAs('区域', f.area),
        periodChosen(f.from, f.to),
        f.overdue && '只看已逾期',
      ], items.length > 0),
      total,
      pageNo,
      pages,
      prev: pageNo > 1 ? link(pageNo - 1) : null,
      next: pageNo < pages ? link(pageNo + 1) : null,
    });
  });

  // ---- open a matter: the same fields as POST /api/v1/village-decisions
  const newPage = (req: Request, res: Response, values: Values, errors: Errors, status = 200) =>
    page(req, res, 'village-new', {
      title: '登记村级事项',
      types,
      values,
      errors,
      hasErrors: Object.keys(errors).length > 0,
      key: str(values.key) || randomBytes(12).toString('hex'),
    }, status);

  router.get('/village/new', (req, res) => {
    member(req);
    newPage(req, res, {}, {});
  });
  router.post('/village/new', async (req, res) => {
    const actor = member(req);
    const v = req.body as Values;
    const attachments = str(v.attachments) ? [str(v.attachments)] : undefined;
    const input = { type: str(v.type), title: str(v.title), description: str(v.description), amount: num(v.amount), ...(attachments ? { attachments } : {}) };
    try {
      const { matter } = await openVillageDecision(deps, actor, str(v.key) || undefined, input);
      res.redirect(303, `/console/village/${matter.id}?done=opened`);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500 || err.status === 404) throw err;
      newPage(req, res, v, err.status === 400 ? fieldErrors(err) : { _form: chinese(err.message) }, err.status === 403 ? 400 : err.status);
    }
  });

  // ---- the matter
  async function matterPage(req: Request, res: Response, id: string, form?: { action: string; values: Values; errors: Errors }, status = 200) {
    const actor = member(req);
    const registered = await visibleMatter(db, actor, id);
    const m = await liveOrRegistered(deps.client, registered, villageState, req);
    const now = Date.now();
    const clerk = actor.role === 'village_clerk' && actor.area === m.area && !m.finished;
    const step = (DELIBERATION_STEPS as readonly string[]).includes(m.status) ? (m.status as DeliberationStep) : null;
    // The rules of exactly the bodies this step accepts, in the domain's words.
    const bodies = clerk && step
      ? STEP_BODIES[step].map((b) => ({
          code: b,
          name: BODY_NAMES[b],
          rule: describeRule(quorumRule(policy, b)),
          notice: meetingNoticeRule(policy, b) ?? '无提前通知的要求',
          households: !!quorumRule(policy, b).householdAttendance,
        }))
      : [];
    const last = m.meetings.at(-1);
    let done = typeof req.query.done === 'string' ? DONE_MESSAGES[req.query.done] : undefined;
    if (req.query.done === 'meeting' && last) {
      done = last.outcome === 'no_quorum' ? undefined : `会议已登记：${OUTCOME_NAMES[last.outcome]}。`;
    }
    const meetings = [...m.meetings].reverse().map((x) => ({
      ...x,
      outcomeName: OUTCOME_NAMES[x.outcome],
      stepName: STATUS_NAMES[x.step],
      why: x.outcome === 'no_quorum'
        ? `应到${x.entitled}人，实到${x.present}人${x.households !== undefined ? `；总户数${x.households}户，到会户代表${x.householdsRepresented}户` : ''}，` +
          `到会人数未达到本会议的法定要求（${x.rule}）：${OUTCOME_NAMES.no_quorum}。`
        : null,
    }));
    page(req, res, 'village', {
      title: `事项 ${m.id}`,
      listName: actor.role === 'village_clerk' ? '本村事项' : '辖区村务事项',
      readOnly: actor.role !== 'village_clerk',
      m: matterView(m, now),
      steps: stepsOf(m),
      meetings,
      justFailed: req.query.done === 'meeting' && last?.outcome === 'no_quorum' ? meetings[0] : null,
      notices: m.notices.map((n) => ({ ...n, kindName: NOTICE_NAMES[n.kind], url: `/notices/${n.id}` })),
      objections: m.objections.map((o) => {
        const mine = form?.action === `answer-${o.id}` ? form : undefined;
        return { ...o, canAnswer: clerk && !o.answer, value: mine ? str(mine.values.answer) : '', error: mine ? mine.errors.answer ?? mine.errors._form : undefined };
      }),
      timeline: [...m.timeline].reverse().map((e) => ({ ...e, name: TIMELINE_NAMES[e.action] ?? e.action, toName: STATUS_NAMES[e.to.status] })),
      bodies,
      withHouseholds: bodies.some((b) => b.households),
      canDecide: clerk && m.status === 'rejected',
      canImplement: clerk && m.status === 'implementation',
      form: form ? { ...form, [form.action]: true } : { values: {}, errors: {} },
      nowLocal: isoToLocal(now),
      done,
      board: board(m.area),
    }, status);
  }

  router.get('/village/:id', async (req, res) => {
    await matterPage(req, res, req.params.id);
  });

  const refused = async (req: Request, res: Response, id: string, action: string, values: Values, err: unknown) => {
    if (!(err instanceof ApiError) || err.status >= 500 || err.status === 404) throw err;
    if (err.status === 403 && /outside your area/.test(err.message)) throw err;
    const errors = err.status === 400 ? fieldErrors(err) : { _form: chinese(err.message) };
    await matterPage(req, res, id, { action, values, errors }, err.status === 403 ? 409 : err.status);
  };

  router.post('/village/:id/objections/:objectionId/answer', async (req, res) => {
    const actor = member(req);
    const { id, objectionId } = req.params;
    const values = req.body as Values;
    try {
      await performVillageAction(deps, actor, id, 'objections/{objectionId}/answer', { answer: str(values.answer) }, { objectionId });
      res.redirect(303, `/console/village/${id}?done=answer`);
    } catch (err) {
      await refused(req, res, id, `answer-${objectionId}`, values, err);
    }
  });

  router.post('/village/:id/:action', async (req, res) => {
    const actor = member(req);
    const { id, action } = req.params;
    const a = ACTIONS[action];
    if (!a) throw new ApiError(404, 'not_found', 'no such action');
    const values = req.body as Values;
    try {
      await performVillageAction(deps, actor, id, a.path, a.body(values));
      res.redirect(303, `/console/village/${id}?done=${action}#${action === 'meeting' ? 'h-meetings' : 'main'}`);
    } catch (err) {
      await refused(req, res, id, action, values, err);
    }
  });

  return router;
}
