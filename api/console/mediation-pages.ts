import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Actor } from '../../domain/actors';
import { areaKind, areaSegments } from '../../domain/areas';
import { CHANNEL_NAMES, LEVEL_NAMES, nextDeadline, ROUTE_NAMES, type MediationCase } from '../../domain/mediation';
import { durationText } from '../../domain/duration-text';
import { availableMediationActions, type AvailableAction } from '../../domain/mediation-available';
import { toShanghaiIso } from '../../domain/time';
import { agreementDocumentId, fileAgreementDocument } from '../../activities/agreement-document';
import { SYSTEM_ACTOR } from '../../domain/actors';
import { ApiError } from '../errors';
import { performMediationAction, reportDispute, staff, visibleCase } from '../mediations';
import { liveOrRegistered } from '../register';
import { mediationState } from '../../workflows/mediation';
import {
  chinese,
  DEADLINE_NAMES,
  display,
  JUDICIAL_NAMES,
  OUTCOME_NAMES,
  PARTY_ROLE_NAMES,
  STATUS_NAMES,
  timeLeft,
  TIMELINE_NAMES,
} from './format';
import { member, requireCsrf, type ConsoleDeps, type pageRenderer } from './http';
import { chosenAs, commonFilters, filterBox, pageLink, pageNumber, pageOfCases, periodChosen } from './case-list';
import { attachPending, checkPhotos, countPhotos, findPhoto, isMultipart, listPhotos, parseMultipart, pendingKey, PHOTO_LIMITS, savePhotos } from './photos';

type Page = ReturnType<typeof pageRenderer>;
type Values = Record<string, string | string[]>;
type Errors = Record<string, string>;

/** Chinese messages next to each field, by form field name (the API's messages name the field in English). */
const FIELD_MESSAGES: Record<string, string> = {
  category: '请选择纠纷类别。',
  summary: '请填写纠纷概况，至少5个字。',
  area: '请填写纠纷发生的村（县/乡镇/村）。',
  channel: '请选择来源渠道。',
  parties: '请至少填写一名当事人的姓名。',
  note: '备注过长。',
  mediatorIds: '请至少选择一名调解员。',
  heldAt: '请填写调解的日期和时间。',
  reason: '请填写原因。',
  terms: '请填写协议内容。',
  performance: '请填写履行方式和期限。',
  facts: '纠纷事实过长。',
  route: '请选择告知当事人的救济途径。',
  party: '请选择当事人。',
  message: '请填写督办意见。',
  explanation: '请填写情况说明。',
  targetDate: '请填写新的办结日期和时间。',
  notes: '请填写回访情况。',
  performed: '请选择协议是否已履行。',
  next: '协议未履行的，请选择重新调解或引导诉讼。',
  form: '请选择协议形式。',
};

/** Field errors from an ApiError's details (field paths like "parties.0.name" become the form's field names). */
function fieldErrors(err: ApiError, fieldMap: Record<string, string> = {}): Errors {
  const out: Errors = {};
  const details = Array.isArray(err.details) ? (err.details as { field: string; message: string }[]) : [];
  for (const d of details) {
    const top = d.field.split('.')[0];
    const field = fieldMap[d.field] ?? fieldMap[top] ?? top;
    if (d.field.startsWith('parties.') && d.field.endsWith('.phone')) out[`party${Number(d.field.split('.')[1]) + 1}_phone`] = '电话号码格式不正确。';
    else out[field] ??= FIELD_MESSAGES[field] ?? '填写有误。';
  }
  if (Object.keys(out).length === 0) out._form = chinese(err.message);
  return out;
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : []);
/** A datetime-local value (YYYY-MM-DDTHH:mm, Beijing time) as ISO 8601 with its offset. */
const localToIso = (v: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? `${v}:00+08:00` : v);
const isoToLocal = (ms: number) => toShanghaiIso(ms).slice(0, 16);

export const PARTY_ROWS = 3;

// ---- the report form

function reportBody(v: Values) {
  const parties = [];
  for (let i = 1; i <= PARTY_ROWS; i++) {
    const name = str(v[`party${i}_name`]);
    if (!name) continue;
    const phone = str(v[`party${i}_phone`]);
    parties.push({ name, role: str(v[`party${i}_role`]) || 'other', ...(phone ? { phone } : {}) });
  }
  return { category: str(v.category), summary: str(v.summary), area: str(v.area), channel: str(v.channel) || 'grid', parties };
}

// ---- the action forms: form fields → the API's body

const ACTIONS: Record<string, { path: string; label: string; body(v: Values): unknown }> = {
  accept: { path: 'accept', label: '受理', body: (v) => (str(v.note) ? { note: str(v.note) } : {}) },
  assign: { path: 'assign', label: '指派调解员', body: (v) => ({ mediatorIds: list(v.mediatorIds) }) },
  session: { path: 'sessions', label: '登记调解', body: (v) => ({ heldAt: localToIso(str(v.heldAt)), summary: str(v.summary) }) },
  escalate: { path: 'escalate', label: '申请上交', body: (v) => ({ reason: str(v.reason) }) },
  agreement: {
    path: 'agreement',
    label: '登记调解协议',
    body: (v) => ({
      form: str(v.form) || 'written',
      terms: str(v.terms),
      parties: list(v.parties),
      ...(str(v.facts) ? { facts: str(v.facts) } : {}),
      performance: str(v.performance),
    }),
  },
  failure: { path: 'failure', label: '调解不成', body: (v) => ({ reason: str(v.reason), ...(str(v.route) ? { route: str(v.route) } : {}) }) },
  withdrawal: { path: 'withdrawal', label: '当事人撤回', body: (v) => ({ party: str(v.party), reason: str(v.reason) }) },
  refusal: { path: 'refusal', label: '当事人拒绝调解', body: (v) => ({ party: str(v.party), reason: str(v.reason) }) },
  urge: { path: 'urge', label: '督办', body: (v) => ({ message: str(v.message) }) },
  explanation: { path: 'explanation', label: '情况说明', body: (v) => ({ explanation: str(v.explanation), targetDate: localToIso(str(v.targetDate)) }) },
  judicial: { path: 'judicial-confirmation', label: '司法确认', body: (v) => ({ status: str(v.status) }) },
  'follow-up': {
    path: 'follow-up',
    label: '回访',
    body: (v) => ({
      performed: str(v.performed) === 'yes' ? true : str(v.performed) === 'no' ? false : undefined,
      notes: str(v.notes),
      ...(str(v.next) ? { next: str(v.next) } : {}),
    }),
  },
};

const DONE_MESSAGES: Record<string, string> = {
  reported: '已上报，案件已登记。',
  accept: '已受理。',
  assign: '已指派。',
  session: '调解记录已登记。',
  escalate: '已上交上一级调解组织。',
  agreement: '调解协议已登记，可打印协议书。',
  failure: '已登记调解不成。',
  withdrawal: '已登记撤回，案件结案。',
  refusal: '已登记拒绝调解，案件结案。',
  urge: '督办已发出，并记入时间线。',
  explanation: '情况说明已提交。',
  judicial: '司法确认情况已登记。',
  'follow-up': '回访已登记。',
};

/** The case as a page shows it: labels in Chinese, deadlines with time left, the timeline newest first. */
export function caseView(c: MediationCase, now: number) {
  const deadlines = Object.entries(c.deadlines)
    .filter(([k]) => k in DEADLINE_NAMES)
    .map(([k, v]) => ({ name: DEADLINE_NAMES[k], at: v, left: timeLeft(v as string, now) }));
  const next = nextDeadline(c);
  return {
    ...c,
    statusName: STATUS_NAMES[c.status],
    levelName: LEVEL_NAMES[c.level],
    channelName: CHANNEL_NAMES[c.channel],
    parties: c.parties.map((p) => ({ ...p, roleName: PARTY_ROLE_NAMES[p.role] })),
    outcomeName: c.outcome ? OUTCOME_NAMES[c.outcome.kind] : null,
    routeName: c.outcome?.kind === 'failed' ? ROUTE_NAMES[c.outcome.route] : null,
    judicialName: c.judicialConfirmation ? JUDICIAL_NAMES[c.judicialConfirmation] : null,
    deadlines,
    next: next ? { at: next, left: timeLeft(next, now) } : null,
    timeline: [...c.timeline].reverse().map((e) => ({
      ...e,
      name: TIMELINE_NAMES[e.action] ?? e.action,
      toName: `${LEVEL_NAMES[e.to.level]} · ${STATUS_NAMES[e.to.status]}`,
      text: describe(e.details),
    })),
    hasAgreement: c.outcome?.kind === 'agreement',
  };
}

/** The filters the mediation and village lists share (text, area, dates, overdue), as a query string. */
export function sharedFilters(q: Record<string, unknown>): string {
  return new URLSearchParams(
    Object.entries(q).filter((e): e is [string, string] => ['text', 'area', 'from', 'to', 'overdue'].includes(e[0]) && typeof e[1] === 'string' && e[1] !== ''),
  ).toString();
}

/** The details of a timeline event in a sentence or two. */
function describe(d: Record<string, unknown> | undefined): string {
  if (!d) return '';
  const parts: string[] = [];
  const s = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : '');
  if (s('message')) parts.push(`督办意见：${s('message')}`);
  if (s('reason') && !['acceptance_limit', 'level_limit'].includes(s('reason'))) parts.push(`原因：${s('reason')}`);
  if (s('summary')) parts.push(s('summary'));
  if (s('terms')) parts.push(`协议内容：${s('terms')}`);
  if (s('explanation')) parts.push(`说明：${s('explanation')}；新办结日期 ${display(s('targetDate'))}`);
  if (s('notes')) parts.push(`回访情况：${s('notes')}`);
  if (s('party')) parts.push(`当事人：${s('party')}`);
  if (s('note')) parts.push(`备注：${s('note')}`);
  if (Array.isArray(d.mediators)) parts.push(`调解员：${(d.mediators as { name: string }[]).map((m) => m.name).join('、')}`);
  if (s('toArea')) parts.push(`转至 ${s('toArea')}`);
  if (d.explanationRequired === true) parts.push('案件已逾期，须作情况说明并承诺新的办结日期');
  return parts.join('；');
}

export function mediationPages(deps: ConsoleDeps, page: Page): Router {
  const { db, policy } = deps;
  const router = Router();
  const categories = policy.mediation.categories.map((c) => ({ code: c.code, name: c.name }));
  const channels = Object.entries(CHANNEL_NAMES).map(([code, name]) => ({ code, name }));

  // ---- report (grid worker; a mediator registers a walk-in the same way)
  const reportPage = (req: Request, res: Response, actor: Actor, values: Values, errors: Errors, status = 200, keptPhotos = 0) => {
    const rows = Array.from({ length: PARTY_ROWS }, (_, i) => ({
      n: i + 1,
      name: values[`party${i + 1}_name`] ?? '',
      role: values[`party${i + 1}_role`] ?? (i === 0 ? 'applicant' : i === 1 ? 'respondent' : 'other'),
      phone: values[`party${i + 1}_phone`] ?? '',
      error: errors[`party${i + 1}_phone`],
    }));
    page(req, res, 'report', {
      title: '上报纠纷',
      categories,
      channels,
      values: { channel: actor.role === 'grid_worker' ? 'grid' : 'walk_in', ...values, area: values.area ?? (areaKind(actor.area) === 'village' ? actor.area : '') },
      areaFixed: areaKind(actor.area) === 'village',
      rows,
      roles: Object.entries(PARTY_ROLE_NAMES).map(([code, name]) => ({ code, name })),
      errors,
      hasErrors: Object.keys(errors).length > 0,
      keptPhotos,
      photoLimits: { count: PHOTO_LIMITS.count, mb: PHOTO_LIMITS.bytes / 1024 / 1024 },
      key: values.key || randomBytes(12).toString('hex'),
    }, status);
  };
  router.get('/report', (req, res) => {
    const actor = member(req);
    reportPage(req, res, actor, {}, {});
  });
  router.post('/report', async (req, res) => {
    const actor = member(req);
    let values = req.body as Values;
    let files: { name: string; data: Buffer }[] = [];
    if (isMultipart(req)) {
      const parsed = await parseMultipart(req);
      requireCsrf(req, parsed.fields._csrf);
      values = parsed.fields;
      files = parsed.files.filter((f) => f.name === 'photos');
    }
    const key = str(values.key) || randomBytes(12).toString('hex');
    values = { ...values, key };
    const pending = pendingKey(actor.id, key);
    const kept = await countPhotos(db, pending);
    const photoError = checkPhotos(files, kept);
    if (photoError) return reportPage(req, res, actor, values, { photos: photoError }, 400, kept);
    try {
      const { case: c } = await reportDispute(deps, actor, key, reportBody(values));
      await savePhotos(db, c.id, files, actor);
      await attachPending(db, pending, c.id, actor);
      res.redirect(303, `/console/mediations/${c.id}?done=reported`);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500) throw err;
      // The photos wait for the corrected form, so nothing is lost.
      await savePhotos(db, pending, files, actor);
      const errors = fieldErrors(err);
      if (err.status === 403) errors.area = '只能上报本辖区内的纠纷。';
      reportPage(req, res, actor, values, errors, err.status === 403 ? 400 : err.status, await countPhotos(db, pending));
    }
  });

  router.get('/mediations/:id/photos/:photo', async (req, res) => {
    const actor = member(req);
    const c = await visibleCase(db, actor, req.params.id);
    const photo = await findPhoto(db, c.id, req.params.photo);
    if (!photo) throw new ApiError(404, 'not_found', 'no such photo');
    res.setHeader('Cache-Control', 'private, max-age=3600');
    res.setHeader('Content-Disposition', 'inline');
    res.type(photo.content_type).send(photo.bytes);
  });

  // ---- my reports (grid worker)
  router.get('/reports', async (req, res) => {
    const actor = member(req);
    const r = await db.query<{ snapshot: MediationCase }>(
      `SELECT snapshot FROM cases WHERE kind = 'mediation' AND snapshot->'openedBy'->>'id' = $1 ORDER BY opened_at DESC LIMIT 200`,
      [actor.id],
    );
    const now = Date.now();
    page(req, res, 'reports', { title: '我的上报', items: r.rows.map((x) => caseView(x.snapshot, now)) });
  });

  // ---- the case list (mediators: their unit; supervisors: their area), filters and pagination
  router.get('/mediations', async (req, res) => {
    const actor = member(req);
    const q = req.query as Record<string, string>;
    // The kind filter: a supervisor's village matters are listed on /console/village, with the filters both lists share.
    if (q.kind === 'village_decision' && actor.role === 'supervisor') return res.redirect(303, `/console/village?${sharedFilters(q)}`);
    const f = {
      status: ['awaiting_acceptance', 'in_mediation', 'closed'].includes(q.status) ? q.status : '',
      level: ['village', 'township', 'county'].includes(q.level) ? q.level : '',
      category: categories.some((c) => c.code === q.category) ? q.category : '',
      ...commonFilters(q),
      mine: actor.role === 'mediator' && q.all !== '1',
    };
    const pageNo = pageNumber(q);
    const { items, total, pages } = await pageOfCases<MediationCase>(db, {
      kind: 'mediation', actor, f, pageNo, textColumns: ['summary', 'id', `snapshot->>'parties'`],
      more: (add) => {
        if (f.mine) {
          add(`snapshot->>'responsibleArea' = ?`, actor.area);
          add('level = ?', actor.level ?? '');
          if (actor.level === 'county') add(`snapshot->>'committee' = ?`, actor.committee ?? '');
        }
        if (f.status) add('status = ?', f.status);
        if (f.level) add('level = ?', f.level);
        if (f.category) add('category = ?', f.category);
      },
    });
    const now = Date.now();
    const link = (n: number) => pageLink('/console/mediations', q, n);
    page(req, res, 'mediations', {
      title: f.mine ? '本单位案件' : '案件列表',
      items: items.map((x) => caseView(x, now)),
      f,
      total,
      pageNo,
      pages,
      prev: pageNo > 1 ? link(pageNo - 1) : null,
      next: pageNo < pages ? link(pageNo + 1) : null,
      categories,
      isMediator: actor.role === 'mediator',
      kindFilter: actor.role === 'supervisor',
      filters: filterBox('/console/mediations', [
        actor.role === 'mediator' && !f.mine && '辖区内全部案件',
        chosenAs('关键词', f.text),
        chosenAs('状态', STATUS_NAMES[f.status]),
        chosenAs('层级', LEVEL_NAMES[f.level as keyof typeof LEVEL_NAMES]),
        chosenAs('类别', categories.find((c) => c.code === f.category)?.name),
        chosenAs('区域', f.area),
        periodChosen(f.from, f.to),
        f.overdue && '只看已超期',
      ], items.length > 0),
    });
  });

  // ---- the case page with exactly the actions the domain allows this member now
  async function casePage(req: Request, res: Response, id: string, form?: { action: string; values: Values; errors: Errors }, status = 200) {
    const actor = member(req);
    const registered = await visibleCase(db, actor, id);
    const c = await liveOrRegistered(deps.client, registered, mediationState, req);
    const now = Date.now();
    const can = availableMediationActions(c, staff(actor), now, deps.policy);
    const allowed = Object.fromEntries(can.map((a) => [a, true])) as Partial<Record<AvailableAction, boolean>>;
    let colleagues: { id: string; name: string }[] = [];
    if (allowed.assign) {
      const r = await db.query<{ id: string; name: string }>(
        `SELECT id, name FROM users WHERE role = 'mediator' AND area = $1 AND level = $2 AND ($3::text IS NULL OR committee = $3)
           AND deactivated_at IS NULL ORDER BY name`,
        [c.responsibleArea, c.level, c.level === 'county' ? c.committee : null],
      );
      colleagues = r.rows.map((u) => ({ ...u, assigned: c.assignees.some((a) => a.id === u.id) }));
    }
    const anyAction = can.length > 0;
    const photos = (await listPhotos(db, c.id)).map((p, i) => ({ url: `/console/mediations/${c.id}/photos/${p.id}`, n: i + 1 }));
    page(req, res, 'case', {
      title: `案件 ${c.id}`,
      c: caseView(c, now),
      photos,
      allowed,
      anyAction,
      judicial: allowed.judicialApplied || allowed.judicialConfirmed || allowed.judicialRefused,
      colleagues,
      routes: Object.entries(ROUTE_NAMES).map(([code, name]) => ({ code, name })),
      atCounty: c.level === 'county',
      form: form ? { ...form, [form.action]: true } : { values: {}, errors: {} },
      nowLocal: isoToLocal(now),
      done: typeof req.query.done === 'string' ? DONE_MESSAGES[req.query.done] : undefined,
      township: areaSegments(c.area).slice(0, 2).join(' '),
    }, status);
  }

  router.get('/mediations/:id', async (req, res) => {
    await casePage(req, res, req.params.id);
  });

  router.post('/mediations/:id/:action', async (req, res) => {
    const actor = member(req);
    const { id, action } = req.params;
    const a = ACTIONS[action];
    if (!a) throw new ApiError(404, 'not_found', 'no such action');
    const values = req.body as Values;
    try {
      await performMediationAction(deps, actor, id, a.path, a.body(values));
      res.redirect(303, `/console/mediations/${id}?done=${action}`);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500 || err.status === 404) throw err;
      if (err.status === 403 && err.code === 'forbidden' && /outside your area/.test(err.message)) throw err;
      const errors = err.status === 400 ? fieldErrors(err) : { _form: chinese(err.message) };
      await casePage(req, res, id, { action, values, errors }, err.status === 403 ? 409 : err.status);
    }
  });

  // ---- 人民调解协议书 (人民调解法 Art. 29), printable. Filed with the case when the agreement is recorded (the register
  // activity, activities/agreement-document.ts); this page serves the filed document, as filed, whatever changes in
  // the template afterwards. A case agreed before filing existed gets its document filed on the first view, the same way.
  router.get('/mediations/:id/agreement', async (req, res) => {
    const actor = member(req);
    const registered = await visibleCase(db, actor, req.params.id);
    const c = await liveOrRegistered(deps.client, registered, mediationState, req);
    if (c.outcome?.kind !== 'agreement') throw new ApiError(404, 'not_found', 'no agreement');
    const recorded = [...c.timeline].reverse().find((e) => e.action === 'agreement_recorded');
    const seq = recorded?.seq ?? 0;
    const docId = agreementDocumentId(c.id, seq);
    const find = async () => (await db.query<{ body: string }>('SELECT body FROM documents WHERE id = $1', [docId])).rows[0]?.body;
    let doc = await find();
    if (doc === undefined) {
      // The window the case's own policy gave (in the event since messages took their periods from the policy).
      const judicialWindow =
        (recorded?.details?.judicialConfirmationWindow as string | undefined) ?? durationText(deps.policy.mediation.judicialConfirmationWindow.value);
      await fileAgreementDocument(db, c, seq, judicialWindow, SYSTEM_ACTOR, toShanghaiIso(Date.now()));
      doc = (await find())!;
    }
    // The document was rendered by the escaping template; it is inserted as HTML.
    page(req, res, 'agreement', { title: `人民调解协议书 ${c.id}`, id: c.id, document: doc });
  });

  return router;
}
