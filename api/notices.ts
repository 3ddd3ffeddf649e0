import { randomBytes } from 'node:crypto';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { z } from 'zod';
import { ApplicationFailure, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { TEMPLATES_DIR } from '../activities/templates';
import { toShanghaiIso } from '../domain/time';
import type { PublicNoticeView, VillagePublicAction } from '../domain/village';
import { sqlAreaWithin } from '../platform/area-sql';
import type { Db } from '../platform/db';
import { OBJECTION_LIMIT, OBJECTION_TOO_LONG, villageAction } from '../workflows/village-decision';
import { ApiError, conflict, fromTemporal, fromZod, notFound } from './errors';
import { loadHtmlPages, type Render } from './html-pages';
import { assertStorableText } from './input-guard';
import * as S from './village-schemas';

/**
 * The public notice board (村务公开栏): unauthenticated, server-rendered HTML in Simplified Chinese from
 * templates/board/ (Handlebars with HTML escaping on: everything a clerk or a villager typed is shown as text),
 * printable; the same notices as JSON for other systems; and the public objection endpoint, rate-limited in PostgreSQL
 * (the client address is the connection's unless TRUST_PROXY names the proxy in front).
 *
 *   GET  /notices, /notices/:id                        HTML
 *   POST /notices/:id/objections                       the HTML form (application/x-www-form-urlencoded)
 *   GET  /api/v1/notices, /api/v1/notices/:id          JSON
 *   POST /api/v1/notices/:id/objections                JSON
 */
export interface NoticeDeps {
  client: Client;
  db: Db;
  /** Bytes of the largest objection form the schema admits (api/body-limits.ts). */
  formLimit?: number;
}

export const NOTICE_ID = /^VIL-[0-9A-F]{12}-[RS]$/;
/** Objections per client address and notice: enough for a household, too few to flood the village's answer list. */
export const OBJECTION_RATE_LIMIT = { windowMs: 10 * 60_000, limit: 10 };

const RATE_LIMITED = '提交过于频繁，请稍后再试 (too many objections from this address; try again later)';

/**
 * Takes one place in the client's window for this notice, atomically across API processes (one row per client,
 * notice and fixed window), or the seconds until the next window when this one is full. The caller gives the place
 * back if the objection is not accepted, so that only accepted objections count.
 */
async function takePlace(db: Db, client: string, noticeId: string): Promise<{ release(): Promise<void> } | { retryAfter: number }> {
  const seconds = OBJECTION_RATE_LIMIT.windowMs / 1000;
  const windowStart = `to_timestamp(floor(extract(epoch FROM now()) / ${seconds}) * ${seconds})`;
  await db.query(`DELETE FROM objection_rate WHERE window_start < now() - interval '${2 * seconds} seconds'`);
  const r = await db.query<{ window_start: Date }>(
    `INSERT INTO objection_rate (client, notice_id, window_start, accepted) VALUES ($1, $2, ${windowStart}, 1)
     ON CONFLICT (client, notice_id, window_start) DO UPDATE SET accepted = objection_rate.accepted + 1
       WHERE objection_rate.accepted < $3
     RETURNING window_start`,
    [client, noticeId, OBJECTION_RATE_LIMIT.limit],
  );
  if (!r.rows[0]) return { retryAfter: Math.ceil(seconds - ((Date.now() / 1000) % seconds)) };
  const at = r.rows[0].window_start;
  return {
    async release() {
      await db.query(
        'UPDATE objection_rate SET accepted = accepted - 1 WHERE client = $1 AND notice_id = $2 AND window_start = $3 AND accepted > 0',
        [client, noticeId, at],
      );
    },
  };
}

const BOARD_DIR = path.join(TEMPLATES_DIR, 'board');

/**
 * Board templates end in `.handlebars`, not `.hbs`: the mail loader (activities/templates.ts) compiles every `.hbs`
 * under templates/ as a plain-text mail with a Subject line and no escaping; these are HTML pages and escape.
 */
export function loadBoardTemplates(dir = BOARD_DIR): Render {
  return loadHtmlPages(dir, 'board');
}

interface NoticeRow {
  id: string;
  matter_id: string;
  kind: string;
  area: string;
  title: string;
  body: string;
  starts_at: Date;
  ends_at: Date;
  view: PublicNoticeView;
}

/** A notice as the public sees it: the view, the text, and whether objections are still open. */
function publicNotice(r: NoticeRow, now: number) {
  const open = r.ends_at.getTime() > now;
  return { ...r.view, noticeTitle: r.title, text: r.body, open, status: open ? '公示中' : '公示期满' };
}

export function noticeRoutes(deps: NoticeDeps): Router {
  const { client, db } = deps;
  const render = loadBoardTemplates();
  const router = Router();

  /**
   * An area the board knows: some village matter, or some staff member, is registered in it or below it. An area
   * nobody has heard of is most likely a typing mistake, which an empty board would hide.
   */
  async function requireKnownArea(area: string) {
    const r = await db.query<{ known: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM cases WHERE kind = 'village_decision' AND ${sqlAreaWithin('area', '$1')})
           OR EXISTS (SELECT 1 FROM users WHERE ${sqlAreaWithin('area', '$1')}) AS known`,
      [area],
    );
    if (!r.rows[0].known) throw notFound(`未找到地区“${area}” (no village matter or staff member is registered in area ${area})`);
  }

  async function list(area: string | undefined, all: boolean) {
    if (area) await requireKnownArea(area);
    const r = await db.query<NoticeRow>(
      `SELECT * FROM public_notices
        WHERE ($1::text IS NULL OR ${sqlAreaWithin('area', '$1')}) AND ($2 OR ends_at > now())
        ORDER BY area, starts_at DESC LIMIT 500`,
      [area ?? null, all],
    );
    const now = Date.now();
    return r.rows.map((row) => publicNotice(row, now));
  }

  async function one(id: string) {
    if (!NOTICE_ID.test(id)) throw notFound(`notice ${id} does not exist`);
    const r = await db.query<NoticeRow>('SELECT * FROM public_notices WHERE id = $1', [id]);
    if (!r.rows[0]) throw notFound(`notice ${id} does not exist`);
    return { row: r.rows[0], notice: publicNotice(r.rows[0], Date.now()) };
  }

  /** Notices grouped for the board: township, then village. */
  function grouped(items: ReturnType<typeof publicNotice>[]) {
    const townships = new Map<string, Map<string, typeof items>>();
    for (const n of items) {
      const t = `${n.county} ${n.township}`;
      if (!townships.has(t)) townships.set(t, new Map());
      const villages = townships.get(t)!;
      if (!villages.has(n.village)) villages.set(n.village, []);
      villages.get(n.village)!.push(n);
    }
    return [...townships].map(([name, villages]) => ({ name, villages: [...villages].map(([village, notices]) => ({ name: village, notices })) }));
  }

  const page = (res: Response, status: number, name: string, data: Record<string, unknown>) => {
    res.status(status).type('html').send(render(name, { ...data, generatedAt: toShanghaiIso(Date.now()) }));
  };
  const htmlError = (res: Response, err: unknown) => {
    if (!(err instanceof ApiError)) throw err;
    const title = err.status === 404 ? '未找到公告' : err.status === 429 ? '提交过于频繁' : '无法提交';
    page(res, err.status, 'message', { title, message: err.message });
  };

  /**
   * Files the objection through the matter's workflow: the period is checked there, durably. Only an objection that
   * is valid, for a notice that exists and is open, and that the workflow accepts counts against the rate limit.
   */
  async function fileObjection(req: Request, res: Response, id: string, input: unknown) {
    assertStorableText(input, 'body');
    const parsed = S.ObjectionBody.safeParse(input ?? {});
    if (!parsed.success) throw fromZod(parsed.error, 'body');
    const { row } = await one(id);
    if (row.ends_at.getTime() <= Date.now()) throw conflict('公示期已结束，不能再提出异议 (the notice period is over)');
    const place = await takePlace(db, ipKeyGenerator(req.ip ?? ''), id);
    if ('retryAfter' in place) {
      res.setHeader('retry-after', String(place.retryAfter));
      throw new ApiError(429, 'rate_limited', RATE_LIMITED);
    }
    try {
      return await fileAccepted(id, row, parsed.data);
    } catch (err) {
      await place.release();
      throw err;
    }
  }

  async function fileAccepted(id: string, row: NoticeRow, b: z.infer<typeof S.ObjectionBody>) {
    const objectionId = `OBJ-${randomBytes(5).toString('hex').toUpperCase()}`;
    const action: VillagePublicAction = {
      type: 'fileObjection',
      actor: { id: 'public', name: b.name || '村民', role: 'public' },
      objection: { id: objectionId, noticeId: id, text: b.text, name: b.name || undefined, email: b.email || undefined, phone: b.phone || undefined },
    };
    try {
      await client.workflow.getHandle(row.matter_id).executeUpdate(villageAction, { args: [action] });
    } catch (err) {
      // Past the policy's bounds on objections (domain/village-policy.ts): the notice is full, or the text too long.
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === OBJECTION_LIMIT) throw new ApiError(409, 'objection_limit', err.cause.message);
        if (err.cause.type === OBJECTION_TOO_LONG) throw new ApiError(422, 'objection_too_long', err.cause.message);
      }
      throw fromTemporal(err, row.matter_id);
    }
    return { objectionId, noticeId: id, filedAt: toShanghaiIso(Date.now()), status: 'received' as const };
  }

  // ---- HTML
  router.get('/notices', async (req, res) => {
    let q, items;
    try {
      assertStorableText(req.query, 'query');
      const parsed = S.NoticeListQuery.safeParse(req.query);
      if (!parsed.success) throw fromZod(parsed.error, 'query');
      q = parsed.data;
      items = await list(q.area, q.all === 'true');
    } catch (err) {
      return htmlError(res, err);
    }
    page(res, 200, 'list', { townships: grouped(items), count: items.length, area: q.area ?? null, all: q.all === 'true' });
  });
  router.get('/notices/:id', async (req, res) => {
    try {
      const { notice } = await one(req.params.id);
      page(res, 200, 'notice', { notice });
    } catch (err) {
      htmlError(res, err);
    }
  });
  router.post('/notices/:id/objections', express.urlencoded({ extended: false, limit: deps.formLimit ?? '32kb' }), async (req: Request, res) => {
    const id = String(req.params.id);
    try {
      const filed = await fileObjection(req, res, id, req.body);
      page(res, 201, 'objection-received', { ...filed, noticeUrl: `/notices/${id}` });
    } catch (err) {
      htmlError(res, err);
    }
  });

  // ---- JSON
  router.get('/api/v1/notices', async (req, res) => {
    const q = S.NoticeListQuery.safeParse(req.query);
    if (!q.success) throw fromZod(q.error, 'query');
    res.json({ items: await list(q.data.area, q.data.all === 'true') });
  });
  router.get('/api/v1/notices/:id', async (req, res) => {
    res.json((await one(req.params.id)).notice);
  });
  router.post('/api/v1/notices/:id/objections', async (req, res) => {
    res.status(201).json(await fileObjection(req, res, String(req.params.id), req.body));
  });

  return router;
}
