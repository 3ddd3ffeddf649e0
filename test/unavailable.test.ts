import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { caseIdFor } from '../api/mediations';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { freePort } from '../platform/net';
import { runApi, runWorker, type RunningWorker } from '../platform/system';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../platform/throwaway-postgres';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Requests answer within a bounded time: while PostgreSQL is down every route answers 503 database_unavailable with
 * Retry-After; with no worker, or a worker gone while an action is sent, a staff action answers 503 worker_unavailable
 * within a few seconds instead of hanging. Once the outage ends, the same requests work again.
 * This file runs its own PostgreSQL cluster, so that stopping it leaves the other suites alone.
 */
let pg: ThrowawayPostgres;
let sys: TestSystem;
let worker: RunningWorker | undefined;
const where = uniqueVillage('停服');
let grid: Awaited<ReturnType<TestSystem['user']>>;
let mediator: Awaited<ReturnType<TestSystem['user']>>;
const logger = createLogger('silent');

async function call(route: string, token: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) {
  const started = Date.now();
  const res = await fetch(`${sys.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
}

const report = () => ({
  category: 'neighbourhood',
  summary: '两户因宅前排水沟堵塞发生争执，需调解',
  parties: [{ name: '张三', role: 'applicant' }, { name: '李四', role: 'respondent' }],
  area: where.village,
  channel: 'grid',
});

async function newCase(): Promise<string> {
  const r = await call('/api/v1/mediations', grid.token, 'POST', report());
  expect(r.status).toBe(201);
  return r.body.id;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  pg = startThrowawayPostgres(await freePort());
  sys = await startTestSystem({ env: { DATABASE_URL: pg.url } });
  grid = await sys.user('grid_worker', where.village);
  mediator = await sys.user('mediator', where.village, { level: 'village' });
});
afterAll(async () => {
  await worker?.stop();
  await sys?.stop();
  pg?.stop();
});

test('while PostgreSQL is down every route answers 503 database_unavailable with Retry-After, quickly; afterwards it works', async () => {
  const id = await newCase();
  pg.halt();
  try {
    for (const [route, method] of [
      [`/api/v1/mediations/${id}`, 'GET'],
      ['/api/v1/mediations', 'GET'],
      [`/api/v1/mediations/${id}/accept`, 'POST'],
      ['/api/v1/users/me', 'GET'],
    ] as const) {
      const r = await call(route, mediator.token, method, method === 'POST' ? {} : undefined);
      expect({ route, status: r.status, code: r.body?.error?.code }).toEqual({ route, status: 503, code: 'database_unavailable' });
      expect(r.body.error.message).toMatch(/database/);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(r.ms).toBeLessThan(6_000);
    }
    expect((await call('/healthz', mediator.token)).status).toBe(503);
    // The console answers with a page saying so, also 503 with Retry-After.
    const page = await call('/console', mediator.token, 'GET', undefined, { cookie: 'pingan_console=some-session' });
    expect(page.status).toBe(503);
    expect(page.retryAfter).toMatch(/^\d+$/);
    expect(page.body).toContain('系统暂时不可用');
  } finally {
    pg.resume();
  }
  // The pool reconnects by itself; the action refused during the outage now goes through, once.
  await until('the API to read the register again', async () => ((await call(`/api/v1/mediations/${id}`, mediator.token)).status === 200 ? true : undefined));
  const accepted = await call(`/api/v1/mediations/${id}/accept`, mediator.token, 'POST', {});
  expect(accepted.status).toBe(200);
  expect(accepted.body.status).toBe('in_mediation');
});

test('a staff action sent while the worker is gone answers 503 worker_unavailable within a few seconds; after a restart it is applied once', async () => {
  const id = await newCase();
  await sys.worker.stop();
  const r = await call(`/api/v1/mediations/${id}/accept`, mediator.token, 'POST', {});
  expect(r.status).toBe(503);
  expect(r.body.error.code).toBe('worker_unavailable');
  // The client is told that the action may still be applied and how to retry safely.
  expect(r.body.error.message).toMatch(/may still be applied.*Idempotency-Key/);
  expect(Number(r.retryAfter)).toBeGreaterThan(0);
  expect(r.ms).toBeLessThan(9_000); // the 5 s update deadline, not the 25 s of before

  // Reading the case while the worker is gone answers from the register instead of waiting for a query.
  const read = await call(`/api/v1/mediations/${id}`, mediator.token);
  expect(read.status).toBe(200);
  expect(read.ms).toBeLessThan(5_000);

  const mailer = createMailer({ smtpUrl: sys.config.SMTP_URL, outboxDir: path.join(sys.config.dataDir, 'outbox'), logger });
  worker = await runWorker({ address: sys.config.TEMPORAL_ADDRESS!, config: sys.config, db: sys.db, mailer, logger });
  // A retry after the restart either finds the action already applied (409) or applies it; never twice.
  const retried = await until('the worker to answer again', async () => {
    const x = await call(`/api/v1/mediations/${id}/accept`, mediator.token, 'POST', {});
    return x.status === 503 ? undefined : x;
  });
  expect([200, 409]).toContain(retried.status);
  const c = await call(`/api/v1/mediations/${id}`, mediator.token);
  expect(c.body.status).toBe('in_mediation');
  const audit = await sys.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1 AND action = 'accepted'`, [id]);
  expect(audit.rows[0].n).toBe(1);
});

test('with no worker polling the task queue an intake is refused at once with 503 and starts nothing', async () => {
  const config = { ...sys.config, TEMPORAL_TASK_QUEUE: `nobody-polls-${randomBytes(4).toString('hex')}` };
  const api = await runApi({ address: sys.config.TEMPORAL_ADDRESS!, config, db: sys.db, policy: sys.policy, logger, port: 0 });
  try {
    const key = `k-${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    const res = await fetch(`${api.url}/api/v1/mediations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grid.token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(report()),
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(503);
    expect(body.error.code).toBe('worker_unavailable');
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(Date.now() - started).toBeLessThan(4_000);
    const id = caseIdFor({ id: grid.id } as Parameters<typeof caseIdFor>[0], key);
    await expect(sys.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  } finally {
    await api.stop();
  }
});
