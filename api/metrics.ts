import type { Request, RequestHandler, Router } from 'express';
import express from 'express';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PoolClient } from 'pg';
import { DAY_MS } from '../domain/time';
import type { Db } from '../platform/db';
import { declaredRoute } from './access';
import { ApiError } from './errors';

/**
 * Prometheus metrics of an API process, for operators: request durations by route template (the route that served the
 * request, else the access table's declared template it matched), method and status; the mail outbox's backlog and
 * failures; cases by kind and status; overdue cases and cases whose deadline has passed without the worker acting on it.
 * The register's figures are read from PostgreSQL when scraped (at most every `cacheMs`, 5 s by default), so several
 * scrapers cost one set of queries.
 *
 * Who may scrape: with METRICS_TOKEN set, a caller sending `Authorization: Bearer <METRICS_TOKEN>`; without it, only a
 * caller on this machine's loopback that did not come through a proxy (no X-Forwarded-For / Forwarded header).
 */
export interface ApiMetrics {
  /** Times every request; mount first. */
  observe: RequestHandler;
  /** GET /metrics. */
  router: Router;
  registry: Registry;
}

const ROUTE = Symbol('pingan.route');
type Timed = Request & { [ROUTE]?: string };

/**
 * The route template that served the request (`/api/v1/mediations/:id/accept`), captured when Express matches the
 * route: at that moment `req.baseUrl` is the whole mount path, which an error passed on afterwards resets.
 */
function captureRouteTemplate(req: Timed): void {
  let route: unknown;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: { path?: unknown } | undefined) {
      route = value;
      if (value && typeof value.path === 'string') req[ROUTE] = `${req.baseUrl}${value.path}`.replace(/(.)\/$/, '$1');
    },
  });
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function createMetrics(db: Db, opts: { token?: string; cacheMs?: number } = {}): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pingan_api_' });
  const requests = new Histogram({
    name: 'pingan_http_request_duration_seconds',
    help: 'API requests by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  let cached: { at: number; figures: Promise<Figures> } | undefined;
  const figures = () => {
    const now = Date.now();
    if (!cached || now - cached.at > (opts.cacheMs ?? 5000)) cached = { at: now, figures: readFigures(db) };
    const mine = cached;
    // A failed read is not kept: the next scrape tries again.
    mine.figures.catch(() => {
      if (cached === mine) cached = undefined;
    });
    return mine.figures;
  };
  const up = new Gauge({ name: 'pingan_register_up', help: '1 when the register (PostgreSQL) answered this scrape', registers: [registry] });
  const outbox = gauge(registry, 'pingan_outbox_messages', 'mail outbox rows not yet sent, by status (pending: backlog; failed: given up)', ['status']);
  const oldest = new Gauge({ name: 'pingan_outbox_oldest_pending_seconds', help: 'age of the oldest unsent mail', registers: [registry] });
  const cases = gauge(registry, 'pingan_cases', 'cases in the register by kind and status', ['kind', 'status']);
  const overdue = gauge(registry, 'pingan_cases_overdue', 'open cases marked overdue, by kind', ['kind']);
  const late = gauge(registry, 'pingan_cases_deadline_passed', 'open cases whose next deadline passed more than 5 minutes ago (the worker has not acted on it), by kind', ['kind']);
  const readTime = new Gauge({ name: 'pingan_metrics_register_read_seconds', help: 'time the last read of the register figures took', registers: [registry] });
  /** Sets the register gauges before a scrape is rendered. */
  const refresh = async () => {
    const started = process.hrtime.bigint();
    try {
      const f = await figures();
      up.set(1);
      outbox.reset();
      for (const s of ['pending', 'failed']) outbox.set({ status: s }, 0);
      for (const r of f.outbox) outbox.set({ status: r.status }, r.n);
      oldest.set(f.oldestPendingSeconds);
      cases.reset();
      for (const r of f.cases) cases.set({ kind: r.kind, status: r.status }, r.n);
      overdue.reset();
      late.reset();
      for (const r of f.overdue) {
        overdue.set({ kind: r.kind }, r.overdue);
        late.set({ kind: r.kind }, r.late);
      }
    } catch {
      up.set(0);
    }
    readTime.set(Number(process.hrtime.bigint() - started) / 1e9);
  };

  const observe: RequestHandler = (req, res, next) => {
    const timed = req as Timed;
    captureRouteTemplate(timed);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // A request refused before its route ran (the access guard's 403, an authentication 401) counts under the
      // declared template it asked for, so operators see refusals per route; only paths no entry declares are unmatched.
      const route = timed[ROUTE] ?? declaredRoute(req.method, req.originalUrl.split('?')[0]) ?? 'unmatched';
      requests.observe({ route, method: req.method, status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  const router = express.Router();
  router.get('/metrics', async (req, res) => {
    if (opts.token) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
      if (bearer !== opts.token) throw new ApiError(401, 'unauthenticated', 'metrics need Authorization: Bearer <METRICS_TOKEN>');
    } else {
      const proxied = req.header('x-forwarded-for') !== undefined || req.header('forwarded') !== undefined;
      if (proxied || !LOOPBACK.has(req.socket.remoteAddress ?? '')) {
        throw new ApiError(403, 'forbidden', 'metrics are served to this machine only; set METRICS_TOKEN to scrape from elsewhere');
      }
    }
    await refresh();
    res.setHeader('content-type', registry.contentType);
    res.setHeader('cache-control', 'no-store');
    res.send(await registry.metrics());
  });
  return { observe, router, registry };
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[]) {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

export interface Figures {
  outbox: { status: string; n: number }[];
  oldestPendingSeconds: number;
  cases: { kind: string; status: string; n: number }[];
  overdue: { kind: string; overdue: number; late: number }[];
}

/** A pool, or a client inside a transaction (the tests compare both readings in one snapshot). */
type Queryable = Pick<PoolClient, 'query'>;

/** A case counts as "deadline passed" when its next deadline is this much behind now (the worker has not acted on it). */
const LATE_AFTER_MS = 5 * 60_000;

/**
 * The register's figures without counting the cases: by kind and status from the daily summary (db/migrations/0018);
 * overdue and "deadline passed" from the summary of open cases by deadline day (0020), whose days before the
 * threshold's (UTC) day are wholly past, plus the unclosed cases whose deadline falls between the start of that day and
 * the threshold (cases_unclosed: at most a day of deadlines). Equal to readFiguresDirect (test/overview-summary.test.ts).
 */
export async function readFigures(db: Queryable, now = Date.now()): Promise<Figures> {
  const threshold = now - LATE_AFTER_MS;
  const dayStart = Math.floor(threshold / DAY_MS) * DAY_MS;
  const [outbox, oldest, cases, open, today] = await Promise.all([
    ...outboxFigures(db),
    db.query<{ kind: string; status: string; n: number }>(
      `SELECT kind, value AS status, sum(n)::int AS n FROM case_stats_daily WHERE field = 'status' GROUP BY 1, 2 HAVING sum(n) <> 0`,
    ),
    db.query<{ kind: string; overdue: number; late: number }>(
      `SELECT kind, coalesce(sum(n) FILTER (WHERE overdue), 0)::int AS overdue, coalesce(sum(n) FILTER (WHERE day < $1::date), 0)::int AS late
         FROM case_open_deadlines WHERE NOT closed GROUP BY kind`,
      [new Date(dayStart).toISOString().slice(0, 10)],
    ),
    db.query<{ kind: string; late: number }>(
      `SELECT kind, count(*)::int AS late FROM cases
        WHERE closed_at IS NULL AND kind = ANY(ARRAY(SELECT DISTINCT kind FROM case_open_deadlines WHERE NOT closed))
          AND next_deadline >= $1 AND next_deadline < $2
        GROUP BY kind`,
      [new Date(dayStart), new Date(threshold)],
    ),
  ]);
  const lateToday = new Map(today.rows.map((r) => [r.kind, r.late]));
  const overdue = open.rows
    .map((r) => ({ kind: r.kind, overdue: r.overdue, late: r.late + (lateToday.get(r.kind) ?? 0) }))
    .filter((r) => r.overdue > 0 || r.late > 0);
  return { outbox: outbox.rows, oldestPendingSeconds: oldest.rows[0]?.s ?? 0, cases: cases.rows, overdue };
}

function outboxFigures(db: Queryable) {
  return [
    db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM mail_outbox WHERE status <> 'sent' GROUP BY status`),
    db.query<{ s: number | null }>(`SELECT extract(epoch FROM now() - min(created_at))::float8 AS s FROM mail_outbox WHERE status = 'pending'`),
  ] as const;
}

/** The same figures counted over the cases (what a scrape read before db/migrations/0020), for the tests and the benchmark. */
export async function readFiguresDirect(db: Queryable, now = Date.now()): Promise<Figures> {
  const [outbox, oldest, cases, overdue] = await Promise.all([
    ...outboxFigures(db),
    db.query<{ kind: string; status: string; n: number }>('SELECT kind, status, count(*)::int AS n FROM cases GROUP BY kind, status'),
    db.query<{ kind: string; overdue: number; late: number }>(
      `SELECT kind, count(*) FILTER (WHERE overdue)::int AS overdue,
              count(*) FILTER (WHERE next_deadline < $1)::int AS late
         FROM cases WHERE closed_at IS NULL AND (overdue OR next_deadline < $1) GROUP BY kind`,
      [new Date(now - LATE_AFTER_MS)],
    ),
  ]);
  return { outbox: outbox.rows, oldestPendingSeconds: oldest.rows[0]?.s ?? 0, cases: cases.rows, overdue: overdue.rows };
}
