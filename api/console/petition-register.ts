import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Actor } from '../../domain/actors';
import { ApiError } from '../errors';
import { callMeeting, MINUTES_TAKERS } from '../meetings';
import { registerPetition } from '../petitions';
import { countyScheduleEnsurer } from '../../platform/schedules';
import { chinese } from './format';
import { member, type ConsoleDeps, type pageRenderer } from './http';

/**
 * The petition officer's two ways into the petition process that were only in the API: registering a petition (登记信访
 * 事项, the same registerPetition as POST /api/v1/petitions) and holding the county's dispatch meeting now (the same
 * callMeeting as POST /api/v1/meetings), so that the week's meeting can be prepared without waiting for its schedule.
 */
type Page = ReturnType<typeof pageRenderer>;
type Values = Record<string, string>;

export const CHANNELS = [
  { code: 'visit', name: '来访' },
  { code: 'letter', name: '来信' },
  { code: 'online', name: '网上信访' },
];

/** Chinese messages next to each field, by the API's field path. */
const FIELD: Record<string, [string, string]> = {
  'petitioner.name': ['name', '请填写信访人姓名。'],
  'petitioner.phone': ['phone', '电话号码格式不正确（5至20位数字）。'],
  'petitioner.email': ['email', '邮箱格式不正确。'],
  'petitioner.address': ['address', '地址过长。'],
  subject: ['subject', '请填写信访事项（不超过200字）。'],
  content: ['content', '请填写信访内容。'],
  channel: ['channel', '请选择信访形式。'],
  area: ['area', '请填写事项所在地（县/乡镇/村）。'],
};

function errorsOf(err: ApiError): Record<string, string> {
  const out: Record<string, string> = {};
  const details = Array.isArray(err.details) ? (err.details as { field: string }[]) : [];
  for (const d of details) {
    const f = FIELD[d.field] ?? FIELD[d.field.split('.')[0]];
    if (f) out[f[0]] ??= f[1];
  }
  if (err.status === 403) out.area = '只能登记本辖区内的信访事项。';
  if (Object.keys(out).length === 0) out._form = chinese(err.message);
  return out;
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const optional = (v: unknown) => str(v) || undefined;

export function petitionRegisterPages(deps: ConsoleDeps, page: Page): Router {
  const router = Router();
  const ensureMeeting = countyScheduleEnsurer(deps.client, deps.taskQueue, deps.policy);
  const officer = (req: Request): Actor => {
    const actor = member(req);
    if (actor.role !== 'petition_officer') throw new ApiError(404, 'not_found', 'no registration form for this role');
    return actor;
  };
  const form = (req: Request, res: Response, values: Values, errors: Record<string, string>, status = 200) =>
    page(req, res, 'petition-new', {
      title: '登记信访事项',
      values: { channel: 'visit', ...values },
      channels: CHANNELS.map((c) => ({ ...c, selected: c.code === (values.channel ?? 'visit') })),
      errors,
      hasErrors: Object.keys(errors).length > 0,
      key: values.key || randomBytes(12).toString('hex'),
    }, status);

  router.get('/petitions/new', (req, res) => {
    const actor = officer(req);
    form(req, res, { area: actor.area === '*' ? '' : actor.area }, {});
  });

  router.post('/petitions/new', async (req, res) => {
    const actor = officer(req);
    const b = req.body as Record<string, unknown>;
    const values: Values = {};
    for (const k of ['key', 'name', 'phone', 'email', 'address', 'subject', 'content', 'channel', 'area']) values[k] = str(b[k]);
    const body = {
      petitioner: { name: values.name, phone: optional(values.phone), email: optional(values.email), address: optional(values.address) },
      subject: values.subject, content: values.content, channel: values.channel, area: values.area,
    };
    try {
      // The form's key makes a double submit find the petition the first one registered.
      const { petition } = await registerPetition(deps, actor, `console:${values.key || randomBytes(12).toString('hex')}`, body, ensureMeeting);
      res.redirect(303, `/console/petitions/${petition.id}?done=registered`);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500 || err.status === 404) throw err;
      form(req, res, values, errorsOf(err), 400);
    }
  });

  /** Holds the county's dispatch meeting now; opens it once its agenda is written (the meeting workflow writes it). */
  router.post('/meetings', async (req, res) => {
    const actor = member(req);
    if (!MINUTES_TAKERS.includes(actor.role)) throw new ApiError(404, 'not_found', 'no meeting for this role');
    const { id } = await callMeeting(deps, actor);
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const r = await deps.db.query(`SELECT 1 FROM meetings WHERE id = $1`, [id]);
      if (r.rowCount) return res.redirect(303, `/console/meetings/${encodeURIComponent(id)}?done=called`);
      await new Promise((r) => setTimeout(r, 250));
    }
    res.redirect(303, '/console/meetings?done=called');
  });
  return router;
}
