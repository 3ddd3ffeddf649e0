import { createHash } from 'node:crypto';
import express from 'express';
import { errorHandler } from '../api/errors';
import { canonicalJson, idempotency } from '../api/idempotency';
import { countingPool } from './counting-pool';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/** Idempotency-Key on every staff action (issue 10): a retry gets the first answer and does nothing again. */
let sys: TestSystem;
const where = uniqueVillage('幂等');
type U = Awaited<ReturnType<TestSystem['user']>>;
let grid: U, mediator: U, officer: U;

beforeAll(async () => {
  sys = await startTestSystem();
  grid = await sys.user('grid_worker', where.village);
  mediator = await sys.user('mediator', where.village, { level: 'village' });
  officer = await sys.user('petition_officer', where.county);
});
afterAll(async () => {
  await sys?.stop();
});

const keyed = (key: string) => ({ 'idempotency-key': key });
const actions = async (kind: string, id: string, action: string) => {
  const r = await sys.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1 AND action = $2`, [id, action]);
  return { kind, n: r.rows[0].n };
};

test('an accept retried with the same key: the same answer, one timeline entry; another body with that key is 422', async () => {
  const opened = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'neighbourhood', summary: '排水沟堵塞', area: where.village, channel: 'grid', parties: [{ name: '张三', role: 'applicant' }, { name: '李四', role: 'respondent' }] },
  });
  expect(opened.status).toBe(201);
  const id = opened.body.id;
  const accept = () => sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: mediator.token, body: { note: '受理' }, headers: keyed('acc-1') });
  const first = await accept();
  expect(first.status).toBe(200);
  const again = await accept();
  expect(again.status).toBe(200);
  expect(again.body).toEqual(first.body);
  const timeline = (await sys.call('GET', `/api/v1/mediations/${id}`, { token: mediator.token })).body.timeline.map((e: any) => e.action);
  expect(timeline.filter((a: string) => a === 'accepted')).toHaveLength(1);
  expect(await actions('mediation', id, 'accepted')).toEqual({ kind: 'mediation', n: 1 });
  // Without the key the same call is a new request: the state refuses it.
  expect((await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: mediator.token, body: { note: '受理' } })).status).toBe(409);

  // The same key with another body (or another action) is refused and changes nothing.
  const reused = await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: mediator.token, body: { note: '另一个' }, headers: keyed('acc-1') });
  expect(reused.status).toBe(422);
  expect(reused.body.error.code).toBe('idempotency_key_reused');
  const elsewhere = await sys.call('POST', `/api/v1/mediations/${id}/sessions`, {
    token: mediator.token, body: { heldAt: new Date().toISOString(), summary: '第一次调解' }, headers: keyed('acc-1'),
  });
  expect(elsewhere.status).toBe(422);

  // Keys are the member's own: another member's identical key is its own request (refused here by the role table).
  expect((await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: grid.token, body: { note: '受理' }, headers: keyed('acc-1') })).status).toBe(403);

  // A refused request releases its key: the same key may carry the corrected request.
  const bad = await sys.call('POST', `/api/v1/mediations/${id}/sessions`, { token: mediator.token, body: { summary: 'x' }, headers: keyed('ses-1') });
  expect(bad.status).toBe(400);
  const session = { heldAt: new Date().toISOString(), summary: '第一次调解' };
  const ok = await sys.call('POST', `/api/v1/mediations/${id}/sessions`, { token: mediator.token, body: session, headers: keyed('ses-1') });
  expect(ok.status).toBe(200);
  // A body with its keys in another order is the same request.
  const reordered = await sys.call('POST', `/api/v1/mediations/${id}/sessions`, {
    token: mediator.token, body: `{"summary":"第一次调解","heldAt":"${session.heldAt}"}`, headers: keyed('ses-1'),
  });
  expect(reordered.status).toBe(200);
  expect(await actions('mediation', id, 'session_recorded')).toEqual({ kind: 'mediation', n: 1 });

  // While the first request with a key is in flight, a retry is told so (409) and does nothing.
  const inFlight = { note: '并发' };
  const hash = createHash('sha256').update(`POST\n/api/v1/mediations/${id}/escalate\n${canonicalJson(inFlight)}`).digest('hex');
  await sys.db.query(
    `INSERT INTO idempotency_keys (actor_id, key, method, path, request_hash, expires_at) VALUES ($1, 'esc-1', 'POST', $2, $3, now() + interval '1 hour')`,
    [mediator.id, `/api/v1/mediations/${id}/escalate`, hash],
  );
  const busy = await sys.call('POST', `/api/v1/mediations/${id}/escalate`, { token: mediator.token, body: inFlight, headers: keyed('esc-1') });
  expect(busy.status).toBe(409);
  expect(busy.body.error.code).toBe('idempotency_in_progress');
  // An over-long key is invalid input.
  expect((await sys.call('POST', `/api/v1/mediations/${id}/escalate`, { token: mediator.token, body: {}, headers: keyed('k'.repeat(201)) })).status).toBe(400);
});

test('a petition reply retried with the same key: one reply, one timeline entry, the same answer', async () => {
  const r = await sys.call('POST', '/api/v1/petitions', {
    token: officer.token,
    body: { petitioner: { name: '周某', phone: '13800000000' }, subject: `补偿款-${where.county}`, content: '补偿款只发放一半。', channel: 'visit', area: where.township },
  });
  expect(r.status).toBe(201);
  const id = r.body.id;
  expect((await sys.call('POST', `/api/v1/petitions/${id}/assign`, { token: officer.token, body: { unit: '县自然资源局', unitHead: '王局长' } })).status).toBe(200);
  expect((await sys.call('POST', `/api/v1/petitions/${id}/accept`, { token: officer.token, body: { notice: '依法予以受理' } })).status).toBe(200);
  const reply = () =>
    sys.call('POST', `/api/v1/petitions/${id}/reply`, { token: officer.token, body: { decision: 'supported', opinion: '补偿款于月底前足额发放。' }, headers: keyed('reply-1') });
  const [first, second] = [await reply(), await reply()];
  expect(first.status).toBe(200);
  expect(second.status).toBe(200);
  expect(second.body).toEqual(first.body);
  const p = (await sys.call('GET', `/api/v1/petitions/${id}`, { token: officer.token })).body;
  expect(p.timeline.filter((e: any) => e.action === 'replied')).toHaveLength(1);
  const docs = (await sys.call('GET', `/api/v1/petitions/${id}/documents`, { token: officer.token })).body.items;
  expect(docs.filter((d: any) => d.kind === 'reply')).toHaveLength(1);
});

test('answers that carry a token shown once are never kept', async () => {
  const created = await sys.call('POST', '/api/v1/users', {
    token: sys.adminToken, headers: keyed('user-1'),
    body: { name: '新成员', email: `idem-${Date.now()}@test.pingan.cn`, role: 'grid_worker', area: where.village },
  });
  expect(created.status).toBe(201);
  const rotated = await sys.call('POST', `/api/v1/users/${created.body.user.id}/tokens`, { token: created.body.token, headers: keyed('rot-1') });
  expect(rotated.status).toBe(201);
  for (const secret of [created.body.token, rotated.body.token, created.body.invitation.url.split('/').pop()]) {
    const kept = await sys.db.query('SELECT 1 FROM idempotency_keys WHERE response::text LIKE $1', [`%${secret}%`]);
    expect(kept.rowCount).toBe(0);
  }
});

test('the OpenAPI document names Idempotency-Key on every staff action', async () => {
  const doc = (await sys.call('GET', '/api/v1/openapi.json')).body;
  const missing: string[] = [];
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      if (!['post', 'patch', 'put', 'delete'].includes(method) || !op.security) continue;
      if (!(op.parameters ?? []).some((p: any) => p.in === 'header' && p.name === 'Idempotency-Key')) missing.push(`${method} ${path}`);
    }
  }
  expect(missing).toEqual([]);
});

test('round trips: a keyed action claims its key in one statement and keeps its answer in one more; an expired or abandoned key is taken over', async () => {
  // The middleware on its own, before a handler that counts how often the action is done (real PostgreSQL and HTTP).
  const { pool, count } = countingPool();
  let done = 0;
  const app = express();
  app.use(express.json());
  app.use((req, _res, next) => {
    req.actor = { id: mediator.id, name: '调解员', email: 'm@x.cn', role: 'mediator', area: where.village, level: 'village' };
    next();
  });
  const router = express.Router();
  router.use(idempotency(pool));
  router.post('/mediations/:id/accept', (_req, res) => void res.json({ done: ++done }));
  app.use('/api/v1', router);
  app.use(errorHandler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/api/v1/mediations/MED-000000000001/accept`;
  const post = async (key: string) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: '{}' });
    return { status: r.status, body: await r.json(), replayed: r.headers.get('idempotent-replayed') };
  };
  const key = `rt-${Date.now()}`;
  try {
    let r: Awaited<ReturnType<typeof post>> | undefined;
    expect(await count(async () => (r = await post(key)))).toBe(2); // claim, then keep the answer
    expect(r).toMatchObject({ status: 200, body: { done: 1 }, replayed: null });
    expect(await count(async () => (r = await post(key)))).toBe(2); // claim refused, then the kept answer read
    expect(r).toMatchObject({ status: 200, body: { done: 1 }, replayed: 'true' });
    // An expired answer: the key is a new request again.
    await sys.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE actor_id = $1 AND key = $2`, [mediator.id, key]);
    expect(await count(async () => (r = await post(key)))).toBe(2);
    expect(r).toMatchObject({ status: 200, body: { done: 2 }, replayed: null });
    // A first request that died while answering (pending past staleSeconds) is taken over; a recent one is not.
    await sys.db.query(`UPDATE idempotency_keys SET status = NULL, response = NULL WHERE actor_id = $1 AND key = $2`, [mediator.id, key]);
    expect((await post(key)).status).toBe(409);
    await sys.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '1 hour' WHERE actor_id = $1 AND key = $2`, [mediator.id, key]);
    expect(await post(key)).toMatchObject({ status: 200, body: { done: 3 }, replayed: null });
    expect(done).toBe(3);
  } finally {
    server.close();
    await pool.end();
  }
});
