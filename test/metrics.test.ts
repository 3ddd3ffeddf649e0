import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../api/app';
import { createLogger } from '../platform/logger';
import { freePort } from '../platform/net';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Prometheus metrics (api/metrics.ts): the API's request histogram by route template, the register's counts read from
 * PostgreSQL on scrape, who may scrape, and the worker's Temporal SDK metrics on their own port.
 */
let sys: TestSystem;
let workerMetrics: string;
beforeAll(async () => {
  workerMetrics = `127.0.0.1:${await freePort()}`;
  sys = await startTestSystem({ env: { WORKER_METRICS_ADDRESS: workerMetrics } });
});
afterAll(async () => {
  await sys?.stop();
});

const scrape = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};
/** The value of a sample whose labels include `labels`; 0 when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}
/** The register's figures are cached for 5 s, so that several scrapers cost one set of queries. */
const pastCache = () => new Promise((r) => setTimeout(r, 5200));

test('after a request and a case, the scrape shows the request histogram and the register counts', async () => {
  const where = uniqueVillage('指标');
  const grid = await sys.user('grid_worker', where.village);
  const before = await scrape(sys.url);
  expect(before.status).toBe(200);
  expect(before.type).toContain('text/plain');
  expect(sample(before.text, 'pingan_register_up')).toBe(1);

  const created = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'neighbourhood', summary: '排水沟堵塞', area: where.village, channel: 'grid', parties: [{ name: '张三', role: 'applicant' }] },
  });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  expect((await sys.call('GET', `/api/v1/mediations/${id}`, { token: grid.token })).status).toBe(200);
  // A refusal still counts under the route's template, not under the path with the id: one the access guard answers
  // before the route runs (a grid worker may not accept: 403; no token: 401) as well as one inside the route (404).
  expect((await sys.call('POST', '/api/v1/mediations/MED-000000000000/accept', { token: grid.token, body: {} })).status).toBe(403);
  expect((await sys.call('POST', '/api/v1/mediations/MED-000000000000/accept', { body: {} })).status).toBe(401);
  const mediator = await sys.user('mediator', where.village, { level: 'village' });
  expect((await sys.call('POST', '/api/v1/mediations/MED-000000000000/accept', { token: mediator.token, body: {} })).status).toBe(404);
  expect((await sys.call('GET', '/api/v1/no-such-route', { token: grid.token })).status).toBe(404);
  await sys.db.query('UPDATE cases SET overdue = true WHERE id = $1', [id]);
  await sys.db.query(
    `INSERT INTO mail_outbox (key, recipient, template, subject, body, status, message_id) VALUES ($1, 'x@example.cn', 't', 's', 'b', 'failed', $1)`,
    [`metrics-test-${id}`],
  );
  await pastCache();

  const after = await scrape(sys.url);
  expect(after.status).toBe(200);
  const count = (labels: Record<string, string>) => sample(after.text, 'pingan_http_request_duration_seconds_count', labels);
  expect(count({ route: '/api/v1/mediations', method: 'POST', status: '201' })).toBeGreaterThanOrEqual(1);
  expect(count({ route: '/api/v1/mediations/:id', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
  expect(count({ route: '/api/v1/users', method: 'POST', status: '201' })).toBeGreaterThanOrEqual(1);
  expect(count({ route: 'unmatched', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(1);
  expect(after.text).not.toContain(id); // no ids in labels: templates only
  expect(after.text).not.toContain('MED-000000000000');
  expect(after.text).toMatch(/pingan_http_request_duration_seconds_bucket\{le="0.1",route="\/api\/v1\/mediations",method="POST",status="201"\}/);
  const refused = after.text.split('\n').filter((l) => l.startsWith('pingan_http_request_duration_seconds_count') && l.includes('method="POST"') && l.includes('accept'));
  expect(refused.length).toBeGreaterThanOrEqual(3);
  for (const line of refused) expect(line).toMatch(/route="\/api\/v1\/mediations\/:id\/accept"/);
  for (const status of ['403', '401', '404']) expect(count({ route: '/api/v1/mediations/:id/accept', method: 'POST', status })).toBeGreaterThanOrEqual(1);

  // The register's counts moved by exactly what this test did (the suite's database is shared, so compare).
  const by = (name: string, labels: Record<string, string>) => sample(after.text, name, labels) - sample(before.text, name, labels);
  const opened = (await sys.db.query('SELECT status FROM cases WHERE id = $1', [id])).rows[0].status;
  expect(by('pingan_cases', { kind: 'mediation', status: opened })).toBe(1);
  expect(by('pingan_cases_overdue', { kind: 'mediation' })).toBe(1);
  expect(by('pingan_outbox_messages', { status: 'failed' })).toBe(1);
  const pending = (await sys.db.query(`SELECT count(*)::int AS n FROM mail_outbox WHERE status = 'pending'`)).rows[0].n;
  expect(sample(after.text, 'pingan_outbox_messages', { status: 'pending' })).toBe(pending);
  expect(after.text).toContain('pingan_cases_deadline_passed');
  expect(after.text).toContain('pingan_api_process_cpu_seconds_total');
});

test('without METRICS_TOKEN only loopback callers that came through no proxy may scrape; with it, the token is needed', async () => {
  expect((await scrape(sys.url)).status).toBe(200);
  const proxied = await scrape(sys.url, { 'x-forwarded-for': '203.0.113.9' });
  expect(proxied.status).toBe(403);
  expect(JSON.parse(proxied.text).error.code).toBe('forbidden');
  expect(proxied.text).not.toContain('pingan_');
  // A staff token is no key to the metrics.
  const staff = await scrape(sys.url, { 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${sys.adminToken}` });
  expect(staff.status).toBe(403);

  const token = 'metrics-token-0123456789';
  const app = createApp({
    client: sys.client, db: sys.db, policy: sys.policy, taskQueue: sys.config.TEMPORAL_TASK_QUEUE, logger: createLogger('silent'),
    version: 'test', metricsToken: token,
  });
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const none = await scrape(url);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text).error.code).toBe('unauthenticated');
    expect((await scrape(url, { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    expect((await scrape(url, { authorization: `Bearer ${sys.adminToken}` })).status).toBe(401);
    const ok = await scrape(url, { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('pingan_cases');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test("the worker serves the Temporal SDK's metrics on WORKER_METRICS_ADDRESS", async () => {
  let text = '';
  for (let i = 0; i < 50 && !text.includes(sys.config.TEMPORAL_TASK_QUEUE); i++) {
    await new Promise((r) => setTimeout(r, 200));
    text = await fetch(`http://${workerMetrics}/metrics`).then((r) => r.text(), () => '');
  }
  expect(text).toMatch(/^temporal_\w+/m);
  expect(text).toContain(`task_queue="${sys.config.TEMPORAL_TASK_QUEUE}"`);
  expect(text).toMatch(/temporal_num_pollers|temporal_worker_task_slots_available/);
});
