import { randomUUID } from 'node:crypto';
import express from 'express';
import { calendarHealth } from '../domain/calendar';
import type { Logger } from '../platform/logger';
import { findUserByToken } from '../platform/users';
import { consoleRoutes } from './console';
import { authenticate } from './auth';
import { apiAccessGuard, assertEveryRouteDeclared } from './access';
import { idempotency } from './idempotency';
import { errorHandler, notFoundHandler } from './errors';
import { createMetrics } from './metrics';
import { noticeRoutes } from './notices';
import { refuseUnstorablePath, refuseUnstorableText, requireJsonBody } from './input-guard';
import { bodyLimits } from './body-limits';
import { buildOpenApi } from './openapi';
import { mountRoutes, type RouteDeps } from './route';
import { API_ROUTES } from './routes';

/** The API's dependencies: the staff routes' (client, database, policy, task queue, token lifetime, SEARCH_ATTRIBUTES), and: */
export interface ApiDeps extends RouteDeps {
  logger: Logger;
  version: string;
  /** Express's `trust proxy` (platform/config.ts trustProxy): false unless TRUST_PROXY names the proxy. */
  trustProxy?: false | number | string;
  /** The clock of health checks (tests pin it); Date.now by default. */
  now?: () => number;
  /** METRICS_TOKEN: who may scrape /metrics from elsewhere than this machine's loopback (api/metrics.ts). */
  metricsToken?: string;
}

/** The longest a request waits for Temporal, a backstop: updates and queries have shorter bounds (platform/temporal.ts). */
export const REQUEST_DEADLINE_MS = 65_000;

/** The HTTP API: validate, authorise, call Temporal, answer. */
export function createApp(deps: ApiDeps): express.Express {
  const { client, db, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  const metrics = createMetrics(db, { token: deps.metricsToken });
  app.use(metrics.observe);
  app.use((req, res, next) => {
    const id = req.header('x-request-id') ?? randomUUID();
    req.log = logger.child({ reqId: id });
    res.setHeader('x-request-id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      req.log?.info(
        { method: req.method, path: req.originalUrl, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, actor: req.actor?.id },
        'request',
      );
    });
    next();
  });
  // The JSON API reads JSON bodies only (415 otherwise) and refuses text the register cannot store (400 naming the
  // field); the public board's HTML form applies the same text check to its form body (api/notices.ts).
  app.use(refuseUnstorablePath);
  app.use('/api', requireJsonBody);
  // Body limits computed from the documented maxima, so that a body within them is never refused with 413.
  const openapi = buildOpenApi(deps.version);
  const limits = bodyLimits(openapi);
  app.use('/api/v1/notices', express.json({ limit: limits.publicJson }));
  app.use(express.json({ limit: limits.staff }));
  app.use('/api', refuseUnstorableText);
  // Every Temporal call of a request ends by one deadline, so that an outage is answered (503), not waited out.
  app.use((_req, _res, next) => void client.connection.withDeadline(Date.now() + REQUEST_DEADLINE_MS, async () => next()));

  // Anonymous callers (load balancers) get the status alone; the database's address and error, the calendar and the
  // version are for staff with a valid token (and for the server log).
  app.get('/healthz', async (req, res) => {
    const timeout = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 3 s')), 3000))]);
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
    const [staff, temporal, database] = await Promise.all([
      bearer ? timeout(findUserByToken(db, bearer)).then(Boolean, () => false) : false,
      timeout(client.connection.workflowService.getSystemInfo({})).then(() => 'ok', (e: Error) => `down: ${e.message}`),
      timeout(db.query('SELECT 1')).then(() => 'ok', (e: Error) => `down: ${e.message}`),
    ]);
    const ok = temporal === 'ok' && database === 'ok';
    // A missing holiday calendar degrades the service without stopping it: still HTTP 200.
    const calendar = calendarHealth(deps.policy.calendar.value, (deps.now ?? Date.now)(), deps.policy.calendarLead?.value ?? 60);
    const status = ok && calendar.missing.length === 0 ? 'ok' : 'degraded';
    if (!ok) req.log?.warn({ temporal, database }, 'health check degraded');
    res.status(ok ? 200 : 503).json(staff ? { status, temporal, database, calendar, version: deps.version } : { status });
  });

  app.use(metrics.router); // GET /metrics, for operators (Prometheus)

  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  // The public notice board (村务公开栏): /notices and /api/v1/notices, unauthenticated, before the staff API.
  app.use(noticeRoutes({ ...deps, formLimit: limits.publicForm }));

  const api = express.Router();
  api.use(authenticate(db));
  api.use(apiAccessGuard()); // the access table (api/access.ts): an undeclared route is 404, a role it does not name 403
  api.use(idempotency(db)); // Idempotency-Key on every staff action (api/idempotency.ts)
  mountRoutes(api, API_ROUTES, deps); // every staff route, each declared once with its OpenAPI entry (api/routes.ts)
  app.use('/api/v1', api);
  app.use('/console', consoleRoutes(deps));

  app.use(notFoundHandler);
  app.use(errorHandler);
  assertEveryRouteDeclared(app);
  return app;
}
