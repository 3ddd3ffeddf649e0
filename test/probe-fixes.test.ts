import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createApp } from '../api/app';
import { OBJECTION_RATE_LIMIT } from '../api/notices';
import { buildOpenApi } from '../api/openapi';
import { loadConfig, trustProxy } from '../platform/config';
import { createLogger } from '../platform/logger';
import { bodyLimits, requestBodies, unbounded } from '../api/body-limits';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Issue 11, "found by the probe": 4xx instead of 500 for bodies and paths the server cannot read; /healthz tells
 * strangers the status alone; another area's record answers 404 exactly as an unknown id does; /users/me answers
 * what its schema requires; a body at the documented maxima is not refused with 413.
 */
let sys: TestSystem;
const where = uniqueVillage('探测');
const west = `${where.township}/西村`;

const raw = async (method: string, route: string, init: { token?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {}) => {
  const res = await fetch(`${sys.url}${route}`, {
    method,
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers ?? {}) },
    body: init.body,
  });
  const text = await res.text();
  return { status: res.status, json: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
};

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

test('bodies and paths the server cannot read get 4xx with the error shape, never 500', async () => {
  const grid = await sys.user('grid_worker', where.village);
  const post = (headers: Record<string, string>, body: string | Uint8Array) =>
    raw('POST', '/api/v1/mediations', { token: grid.token, headers: { 'content-type': 'application/json', ...headers }, body });
  const cases: [string, Promise<{ status: number; json: any }>, number][] = [
    ['unsupported charset', post({ 'content-type': 'application/json; charset=latin-9000' }, '{}'), 415],
    ['Content-Encoding: br that is not brotli', post({ 'content-encoding': 'br' }, 'not brotli'), 400],
    ['an unknown Content-Encoding', post({ 'content-encoding': 'compress' }, '{}'), 415],
    ['invalid gzip', post({ 'content-encoding': 'gzip' }, 'this is not gzip'), 400],
    ['truncated gzip', post({ 'content-encoding': 'gzip' }, gzipSync('{"a":1}').subarray(0, 12)), 400],
    ['NUL in a path', raw('GET', '/api/v1/meetings/%00', { token: sys.adminToken }), 400],
    ['NUL in a public path', raw('GET', '/notices/VIL%00', {}), 400],
    ['NUL in a query', raw('GET', '/api/v1/meetings?county=%00', { token: sys.adminToken }), 400],
    ['a path that does not decode', raw('GET', '/api/v1/meetings/%E4%B8', { token: sys.adminToken }), 400],
  ];
  for (const [what, call, status] of cases) {
    const r = await call;
    expect([what, r.status]).toEqual([what, status]);
    expect(r.json?.error?.code).toEqual(expect.any(String));
  }
});

test('the API listens on 127.0.0.1 unless HOST says otherwise; X-Forwarded-For is trusted only when TRUST_PROXY names the proxy', () => {
  expect(sys.config.HOST).toBe('127.0.0.1');
  expect((sys.api.server.address() as AddressInfo).address).toBe('127.0.0.1');
  expect(trustProxy(loadConfig({}))).toBe(false);
  expect(trustProxy(loadConfig({ TRUST_PROXY: '1' }))).toBe(1);
  expect(trustProxy(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16' }))).toBe('10.0.0.5, 10.1.0.0/16');
  expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
  expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
});

test('/healthz gives anonymous callers the status alone; a member with a token gets the details', async () => {
  const anonymous = await raw('GET', '/healthz');
  expect(anonymous.status).toBe(200);
  expect(anonymous.json).toEqual({ status: anonymous.json.status });
  expect(['ok', 'degraded']).toContain(anonymous.json.status);
  expect((await raw('GET', '/healthz', { token: 'pgn_not-a-real-token-at-all' })).json).toEqual({ status: anonymous.json.status });
  const staff = await raw('GET', '/healthz', { token: sys.adminToken });
  expect(staff.json).toMatchObject({ status: anonymous.json.status, temporal: 'ok', database: 'ok', calendar: expect.any(Object), version: expect.any(String) });
});

test("a record of another area answers 404, word for word as an unknown id does", async () => {
  const grid = await sys.user('grid_worker', where.village);
  const clerk = await sys.user('village_clerk', where.village);
  const officer = await sys.user('petition_officer', where.county);
  const westGrid = await sys.user('grid_worker', west);
  const westMediator = await sys.user('mediator', west, { level: 'village' });
  const westClerk = await sys.user('village_clerk', west);
  const otherOfficer = await sys.user('petition_officer', `${where.county}外`);

  const med = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'neighbourhood', summary: '排水沟堵塞', area: where.village, channel: 'grid', parties: [{ name: '张三', role: 'applicant' }] },
  });
  expect(med.status).toBe(201);
  const vil = await sys.call('POST', '/api/v1/village-decisions', { token: clerk.token, body: { type: 'public_works', title: '修桥', description: '护栏更换', amount: 100 } });
  expect(vil.status).toBe(201);
  const pet = await sys.call('POST', '/api/v1/petitions', {
    token: officer.token,
    body: { petitioner: { name: '周某', phone: '13800000000' }, subject: `补偿款-${where.county}`, content: '补偿款只发放一半。', channel: 'visit', area: where.township },
  });
  expect(pet.status).toBe(201);

  const pairs: [string, string, string, string, object?][] = [
    ['GET', `/api/v1/mediations/${med.body.id}`, '/api/v1/mediations/MED-000000000000', westGrid.token],
    ['POST', `/api/v1/mediations/${med.body.id}/accept`, '/api/v1/mediations/MED-000000000000/accept', westMediator.token, {}],
    ['GET', `/api/v1/village-decisions/${vil.body.id}`, '/api/v1/village-decisions/VIL-000000000000', westClerk.token],
    ['POST', `/api/v1/village-decisions/${vil.body.id}/progress`, '/api/v1/village-decisions/VIL-000000000000/progress', westClerk.token, { note: '开工' }],
    ['GET', `/api/v1/petitions/${pet.body.id}`, '/api/v1/petitions/PET-000000000000', otherOfficer.token],
    ['POST', `/api/v1/petitions/${pet.body.id}/assign`, '/api/v1/petitions/PET-000000000000/assign', otherOfficer.token, { unit: 'x', unitHead: 'y' }],
  ];
  for (const [method, existing, unknown, token, body] of pairs) {
    const a = await sys.call(method, existing, { token, body });
    const b = await sys.call(method, unknown, { token, body });
    expect([existing, a.status]).toEqual([existing, 404]);
    const unknownId = unknown.split('/')[4];
    expect(a.body.error.message.replace(existing.split('/')[4], unknownId)).toBe(b.body.error.message);
  }
});

test('/api/v1/users/me answers every field its schema requires', async () => {
  const doc: any = buildOpenApi('test');
  const required: string[] = doc.components.schemas.User.required;
  for (const token of [sys.adminToken, (await sys.user('grid_worker', where.village)).token]) {
    const me = await sys.call('GET', '/api/v1/users/me', { token });
    expect(me.status).toBe(200);
    for (const field of required) expect([field, me.body[field] === undefined]).toEqual([field, false]);
  }
});

test('every documented body has a largest size, and a body at the documented maxima is not refused with 413', async () => {
  const doc: any = buildOpenApi('test');
  const open = requestBodies(doc).flatMap((b) => unbounded(b.schema, doc.components.schemas).map((at) => `${b.operation} ${at}`));
  expect(open).toEqual([]);
  const limits = bodyLimits(doc);
  const clerk = await sys.user('village_clerk', where.village);
  const chars = (n: number) => '中'.repeat(n); // 3 bytes each in UTF-8
  const body = { type: 'public_works', title: chars(200), description: chars(8000), amount: 1, attachments: Array.from({ length: 20 }, () => chars(8000)) };
  expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(200 * 1024); // over the old fixed limit
  expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(limits.staff);
  const r = await sys.call('POST', '/api/v1/village-decisions', { token: clerk.token, body });
  expect(r.status).toBe(201);
  // Beyond the largest documented body: still 413.
  const over = await raw('POST', '/api/v1/village-decisions', { token: clerk.token, headers: { 'content-type': 'application/json' }, body: `"${'x'.repeat(limits.staff + 10)}"` });
  expect(over.status).toBe(413);
  // The board's objection form at its maxima (each character percent-encoded in 9 bytes) is read, not refused.
  const form = new URLSearchParams({ text: chars(2000), name: chars(50), email: `${'a'.repeat(240)}@pingan.cn`, phone: '+86 138-0000-0000' }).toString();
  expect(form.length).toBeLessThanOrEqual(limits.publicForm);
  const f = await fetch(`${sys.url}/notices/VIL-000000000000-R/objections`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  expect(f.status).toBe(404); // read and answered (no such notice), not 413
});

/** Another API process on the same database and Temporal: its own Express app and port. */
async function secondApi(trustProxy?: string) {
  const app = createApp({ client: sys.client, db: sys.db, policy: sys.policy, taskQueue: sys.config.TEMPORAL_TASK_QUEUE, logger: createLogger('silent'), version: 'test', trustProxy });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

test('the objection rate limit ignores X-Forwarded-For unless TRUST_PROXY is set, is shared by API processes, and counts accepted objections only', async () => {
  const clerk = await sys.user('village_clerk', where.village);
  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  const meeting = (body: string, entitled: number, present: number, votesFor: number, minutesAgo: number) => ({
    body, heldAt: ago(minutesAgo), noticeGivenAt: ago(minutesAgo + 11 * 24 * 60), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: `${body} 会议记录`,
  });
  const created = await sys.call('POST', '/api/v1/village-decisions', { token: clerk.token, body: { type: 'public_works', title: '修缮村西小桥', description: '小桥护栏更换', amount: 20000 } });
  expect(created.status).toBe(201);
  const matterId = created.body.id;
  for (const m of [meeting('party_branch', 5, 4, 4, 60), meeting('two_committees', 7, 6, 6, 50), meeting('party_members', 30, 20, 11, 40), meeting('representatives', 30, 20, 11, 30)]) {
    expect((await sys.call('POST', `/api/v1/village-decisions/${matterId}/meetings`, { token: clerk.token, body: m })).status).toBe(200);
  }
  const noticeId = `${matterId}-R`;
  const route = `/api/v1/notices/${noticeId}/objections`;
  for (let i = 0; i < 50 && (await sys.call('GET', `/api/v1/notices/${noticeId}`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 200));

  const other = await secondApi();
  const behindProxy = await secondApi('loopback');
  try {
    const object = (base: string, body: object, forwardedFor: string) =>
      fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify(body) }).then((r) => r.status);
    // Refusals first: invalid bodies and unknown notices take no place in the window.
    for (let i = 0; i < OBJECTION_RATE_LIMIT.limit + 2; i++) {
      expect(await object(sys.url, { text: '' }, '198.51.100.1')).toBe(400);
      expect(await sys.call('POST', '/api/v1/notices/VIL-FFFFFFFFFFFF-R/objections', { body: { text: '有异议' } }).then((r) => r.status)).toBe(404);
    }
    // Twelve valid objections from one connection address, spread over two processes, each with a new forwarded address.
    const statuses: number[] = [];
    for (let i = 0; i < OBJECTION_RATE_LIMIT.limit + 2; i++) {
      statuses.push(await object(i % 2 ? other.url : sys.url, { text: `异议${i}：造价偏高` }, `203.0.113.${i + 1}`));
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(OBJECTION_RATE_LIMIT.limit);
    expect(statuses.slice(OBJECTION_RATE_LIMIT.limit)).toEqual([429, 429]);
    const limited = await fetch(`${sys.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: '又一条异议' }) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as any).error.code).toBe('rate_limited');
    // Behind a configured proxy, the forwarded address is the client's: another household is not limited.
    expect(await object(behindProxy.url, { text: '另一户的异议' }, '198.51.100.77')).toBe(201);
    const rows = await sys.db.query<{ client: string; accepted: number }>('SELECT client, accepted FROM objection_rate WHERE notice_id = $1 ORDER BY client', [noticeId]);
    expect(rows.rows.map((r) => [r.client, r.accepted])).toEqual([['127.0.0.1', OBJECTION_RATE_LIMIT.limit], ['198.51.100.77', 1]]);
  } finally {
    await other.close();
    await behindProxy.close();
  }
});
