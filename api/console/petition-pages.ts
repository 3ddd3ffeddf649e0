import { Router, type Request, type Response } from 'express';
import type { Agenda, MeetingDirection } from '../../domain/ports';
import { DEADLINE_NAMES, DIRECTION_NAMES, STATUS_NAMES, type Direction, type Petition, type PetitionStatus } from '../../domain/petition';
import { petitionState } from '../../workflows/petition';
import { listRegister, liveOrRegistered } from '../register';
import { ApiError } from '../errors';
import { findMeeting, listMeetings, MINUTES_TAKERS, recordMeetingMinutes, type MeetingRow } from '../meetings';
import { parse } from '../mediations';
import { MinutesBody } from '../petition-schemas';
import { performPetitionAction, petitionListScope, requireReader, visiblePetition } from '../petitions';
import { actionsView, alreadyDone, formErrors, oneAtATime, PETITION_FORMS, type Errors, type Values } from './petition-actions';
import { chinese, display, timeLeft } from './format';
import { chosenAs, filterBox } from './case-list';
import { member, type ConsoleDeps, type pageRenderer } from './http';

/**
 * The petition register for petition officers (their area) and leaders (the petitions they are 包案领导 of), and a
 * page per petition with every step, every deadline and the reply. Who may read what is the API's rule
 * (api/petitions.ts: requireReader, petitionListScope, visiblePetition); a petition the member may not read is 404.
 */
type Page = ReturnType<typeof pageRenderer>;

const CHANNEL_NAMES: Record<string, string> = { letter: '来信', visit: '来访', online: '网上信访' };
const DECISION_NAMES: Record<string, string> = { supported: '支持', partially_supported: '部分支持', not_supported: '不支持' };

/** The steps of the timeline in words; an action the console does not know yet is shown by its name. */
const TIMELINE_NAMES: Record<string, string> = {
  registered: '登记信访事项',
  assigned: '转送交办',
  objected: '责任单位提出异议',
  leader_assigned: '确定包案领导',
  leader_reassigned: '更换包案领导',
  accepted: '受理并书面告知',
  extended: '延长办理期限',
  replied: '出具答复意见书',
  review_requested: '申请复查',
  review_answered: '复查答复',
  re_review_requested: '申请复核',
  hearing_started: '听证开始（期限暂停）',
  hearing_ended: '听证结束',
  re_review_answered: '复核答复',
  transferred_to_mediation: '转人民调解',
  mediation_outcome: '调解结果',
  resolved_by_mediation: '经调解化解',
  returned_from_mediation: '调解未成，恢复办理',
  weekly_review: '周调度会议定',
  deadline_warning: '期限预警',
  deadline_passed: '期限届满',
  closed: '办结',
};

const LIST_LIMIT = 200;

/** What a member typed into a form, so that a refusal loses nothing even when the form is no longer offered. */
const typedText = (v: Values) =>
  Object.entries(v)
    .filter(([k, x]) => k !== '_csrf' && k !== 'seen' && typeof x === 'string' && x.trim())
    .map(([, x]) => x as string);

/** The deadlines still running, nearest first, with the time left in words. */
function deadlinesOf(p: Petition, now: number) {
  return Object.entries(p.deadlines)
    .filter((e): e is [keyof typeof DEADLINE_NAMES, string] => typeof e[1] === 'string')
    .map(([key, at]) => ({ key, name: DEADLINE_NAMES[key], at, left: timeLeft(at, now) }))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function timelineText(e: Petition['timeline'][number]): string {
  const d = e.details ?? {};
  const parts: string[] = [];
  if (typeof d.direction === 'string') parts.push(DIRECTION_NAMES[d.direction as Direction] ?? d.direction);
  for (const k of ['note', 'reason', 'opinion', 'notice', 'reasons']) if (typeof d[k] === 'string' && d[k]) parts.push(d[k] as string);
  if (typeof d.unit === 'string') parts.push(d.unit);
  const unit = d.unit as { name?: string; headName?: string } | null | undefined;
  if (unit && typeof unit === 'object' && unit.name) parts.push(`${unit.name}（负责人 ${unit.headName ?? ''}）`);
  const leader = d.leader as { name?: string } | null | undefined;
  if (leader && typeof leader === 'object' && leader.name) parts.push(`包案领导 ${leader.name}`);
  if (typeof d.decision === 'string') parts.unshift(DECISION_NAMES[d.decision] ?? d.decision);
  if (typeof d.days === 'number') parts.push(`${d.days}天`);
  if (typeof d.deadline === 'string') parts.push(DEADLINE_NAMES[d.deadline as keyof typeof DEADLINE_NAMES] ?? d.deadline);
  return parts.join('；');
}

export function petitionPages(deps: ConsoleDeps, page: Page): Router {
  const { db, client } = deps;
  const router = Router();
  const statuses = Object.entries(STATUS_NAMES).map(([value, name]) => ({ value, name }));

  router.get('/petitions', async (req, res) => {
    const actor = member(req);
    requireReader(actor, 'petitions');
    const raw = typeof req.query.status === 'string' ? req.query.status : '';
    const status = raw in STATUS_NAMES ? (raw as PetitionStatus) : undefined;
    const rows = await listRegister<Petition>(db, 'petition', { ...petitionListScope(actor), status }, { limit: LIST_LIMIT, offset: 0 });
    const now = Date.now();
    const items = rows.map((p) => {
      const next = deadlinesOf(p, now)[0];
      return { id: p.id, subject: p.subject, petitioner: p.petitioner.name, area: p.area, statusName: STATUS_NAMES[p.status], overdue: p.overdue, leader: p.leader?.name, unit: p.unit?.name, next };
    });
    const title = actor.role === 'leader' ? '我包案的信访事项' : '信访登记簿';
    page(req, res, 'petitions', { title, items, statuses, status: status ?? '', full: rows.length === LIST_LIMIT, limit: LIST_LIMIT, mayRegister: actor.role === 'petition_officer',
      filters: filterBox('/console/petitions', [chosenAs('状态', status && STATUS_NAMES[status])], items.length > 0) });
  });

  /** The petition with every step and deadline, and a form for each step the domain allows now. */
  async function petitionPage(req: Request, res: Response, id: string, form?: { action: string; values: Values; errors: Errors }, status = 200) {
    const actor = member(req);
    const registered = await visiblePetition(db, actor, id);
    const p = await liveOrRegistered(client, registered, petitionState, req);
    const now = Date.now();
    const doc = p.reply
      ? (await db.query<{ title: string; body: string; created_at: Date }>('SELECT title, body, created_at FROM documents WHERE case_id = $1 AND id = $2', [p.id, p.reply.documentId])).rows[0]
      : undefined;
    const actions = await actionsView(db, deps.policy, p, actor, now);
    const done = req.query.done === 'registered'
      ? '信访事项已登记，请转送交办或确定包案领导。'
      : typeof req.query.done === 'string' && Object.hasOwn(PETITION_FORMS, req.query.done) ? PETITION_FORMS[req.query.done].done : undefined;
    page(req, res, 'petition', {
      title: `信访事项 ${p.id}`,
      p,
      statusName: STATUS_NAMES[p.status],
      channelName: CHANNEL_NAMES[p.channel] ?? p.channel,
      deadlines: deadlinesOf(p, now),
      reply: p.reply ? { ...p.reply, decisionName: DECISION_NAMES[p.reply.decision] ?? p.reply.decision } : null,
      document: doc ? { title: doc.title, body: doc.body, at: display(doc.created_at) } : null,
      direction: p.lastDirection ? { ...p.lastDirection, name: DIRECTION_NAMES[p.lastDirection.direction] } : null,
      timeline: p.timeline.map((e) => ({ ...e, name: TIMELINE_NAMES[e.action] ?? e.action, toName: STATUS_NAMES[e.to], text: timelineText(e) })),
      actions,
      // The form that was refused opens again with what was typed; otherwise the first step is open.
      open: form && actions.allowed[form.action] ? form.action : actions.first,
      val: form ? { [form.action]: form.values } : {},
      err: form ? { [form.action]: form.errors } : {},
      formError: form?.errors._form,
      formAction: form?.action,
      // Refused because the petition moved on meanwhile (its form is gone): the reason and what was typed, above.
      stale: form && !actions.allowed[form.action] ? { error: form.errors._form ?? Object.values(form.errors)[0], typed: typedText(form.values) } : null,
      seen: p.timeline.length,
      categories: deps.policy.mediation.categories.map((c) => ({ code: c.code, name: c.name, selected: form?.values.category === c.code })),
      decisions: Object.entries(DECISION_NAMES).map(([code, name]) => ({ code, name, checked: form?.values.decision === code })),
      done,
    }, status);
  }

  router.get('/petitions/:id', async (req, res) => {
    await petitionPage(req, res, req.params.id);
  });

  router.post('/petitions/:id/:action', async (req, res) => {
    const actor = member(req);
    const { id, action } = req.params;
    if (!Object.hasOwn(PETITION_FORMS, action)) throw new ApiError(404, 'not_found', 'no such action');
    const form = PETITION_FORMS[action];
    const values = req.body as Values;
    const seen = Number.parseInt(String(values.seen ?? ''), 10);
    const doneUrl = `/console/petitions/${id}?done=${action}`;
    // A second submission waits for the first, then finds the step done and answers as the first did.
    const repeated = async () => {
      if (!Number.isFinite(seen)) return false;
      const p = await liveOrRegistered(client, await visiblePetition(db, actor, id), petitionState, req);
      return alreadyDone(p, action, actor, seen);
    };
    const refusal = await oneAtATime(`${actor.id}:${id}`, async () => {
      if (await repeated()) return null;
      try {
        await performPetitionAction(deps, actor, id, action, form.body(values));
        return null;
      } catch (err) {
        if (!(err instanceof ApiError) || err.status >= 500 || err.status === 404) throw err;
        if (err.status === 403 && action !== 'transfer-to-mediation') throw err;
        return err;
      }
    });
    if (!refusal) return res.redirect(303, doneUrl);
    await petitionPage(req, res, id, { action, values, errors: formErrors(action, refusal) }, refusal.status === 403 ? 400 : refusal.status);
  });

  // ---- the weekly dispatch meeting: agenda, minutes with one direction per petition, past meetings
  const MEETING_STATUS: Record<string, string> = { preparing: '准备中', agenda_sent: '议程已发送，待录入纪要', minutes_recorded: '纪要已录入', closed_without_minutes: '未录入纪要即结束' };
  const directions = Object.entries(DIRECTION_NAMES).map(([value, name]) => ({ value, name }));
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

  router.get('/meetings', async (req, res) => {
    const rows = await listMeetings(db, member(req));
    const items = rows.map((m) => ({
      id: m.id, href: `/console/meetings/${encodeURIComponent(m.id)}`, heldOn: display(m.held_on), statusName: MEETING_STATUS[m.status] ?? m.status,
      count: (m.agenda as Agenda | null)?.items?.length ?? 0,
    }));
    const mayCall = MINUTES_TAKERS.includes(member(req).role);
    page(req, res, 'meetings', { title: '周调度会议', items, mayCall, called: req.query.done === 'called' });
  });

  function meetingPage(req: Request, res: Response, m: MeetingRow, extra: Record<string, unknown> = {}, status = 200) {
    const actor = member(req);
    const agenda = (m.agenda as Agenda | null)?.items ?? [];
    const given = new Map(((m.directions as MeetingDirection[] | null) ?? []).map((d) => [d.petitionId, d]));
    const v = (extra.values as Record<string, string> | undefined) ?? {};
    const open = m.status === 'agenda_sent' && MINUTES_TAKERS.includes(actor.role);
    page(req, res, 'meeting', {
      title: `周调度会议 ${display(m.held_on).slice(0, 10)}`,
      m: { ...m, heldOn: display(m.held_on), statusName: MEETING_STATUS[m.status] ?? m.status, action: `/console/meetings/${encodeURIComponent(m.id)}/minutes` },
      open,
      chair: v.chair ?? m.chair ?? '',
      attendees: v.attendees ?? (m.attendees ?? []).join('、'),
      items: agenda.map((i) => {
        const d = given.get(i.id);
        return {
          ...i, directionName: d ? DIRECTION_NAMES[d.direction] : null, note: d?.note,
          error: (extra.errors as Record<string, string> | undefined)?.[`note-${i.id}`], typed: v[`note-${i.id}`] ?? '',
          options: directions.map((o) => ({ ...o, selected: o.value === v[`direction-${i.id}`] })),
        };
      }),
      ...extra,
    }, status);
  }

  router.get('/meetings/:id', async (req, res) => {
    const m = await findMeeting(db, member(req), req.params.id);
    meetingPage(req, res, m, { done: req.query.done === 'minutes', called: req.query.done === 'called' });
  });

  router.post('/meetings/:id/minutes', async (req, res) => {
    const actor = member(req);
    const m = await findMeeting(db, actor, req.params.id);
    const values: Record<string, string> = {};
    for (const [k, val] of Object.entries(req.body ?? {})) if (k !== '_csrf') values[k] = str(val);
    const agenda = (m.agenda as Agenda | null)?.items ?? [];
    const errors: Record<string, string> = {};
    if (!values.chair) errors.chair = '请填写主持人。';
    const attendees = (values.attendees ?? '').split(/[、,，\n]+/).map((a) => a.trim()).filter(Boolean);
    if (attendees.length === 0) errors.attendees = '请填写参会人员。';
    const chosen = agenda.filter((i) => values[`direction-${i.id}`]);
    for (const i of chosen) if (!values[`note-${i.id}`]) errors[`note-${i.id}`] = '请填写指示内容。';
    if (Object.keys(errors).length === 0) {
      try {
        const body = parse(MinutesBody, {
          chair: values.chair, attendees,
          directions: chosen.map((i) => ({ petitionId: i.id, direction: values[`direction-${i.id}`], note: values[`note-${i.id}`] })),
        });
        await recordMeetingMinutes({ client, db }, actor, m.id, body);
        return res.redirect(303, `/console/meetings/${encodeURIComponent(m.id)}?done=minutes`);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status === 404 || err.status === 403) throw err;
        errors._form = chinese(err.message);
      }
    }
    meetingPage(req, res, m, { values, errors }, 400);
  });
  return router;
}
