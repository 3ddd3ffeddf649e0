import { execFileSync } from 'node:child_process';
import { createApp } from '../api/app';
import { createPool } from '../platform/db';
import { createLogger } from '../platform/logger';
import { freePort } from '../platform/net';
import { listedUntil, startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { expectLegalEnd } from './law';

/** The first vertical slice over HTTP, against the real Temporal dev server, PostgreSQL and SMTP. */
let sys: TestSystem;
const where = uniqueVillage();
const otherVillage = `${where.township}/西村`;
let grid: Awaited<ReturnType<TestSystem['user']>>;
let med1: Awaited<ReturnType<TestSystem['user']>>;
let med2: Awaited<ReturnType<TestSystem['user']>>;
let medOther: Awaited<ReturnType<TestSystem['user']>>;
let supervisor: Awaited<ReturnType<TestSystem['user']>>;

const report = (extra: Record<string, unknown> = {}) => ({
  category: 'neighbourhood',
  summary: '两户因宅前排水沟堵塞发生争执，需调解',
  parties: [
    { name: '张三', role: 'applicant', email: 'zhangsan@example.cn' },
    { name: '李四', role: 'respondent' },
  ],
  area: where.village,
  channel: 'grid',
  ...extra,
});

async function countCases(): Promise<number> {
  const r = await sys.db.query(`SELECT count(*)::int AS n FROM cases WHERE area LIKE $1`, [`${where.county}%`]);
  return r.rows[0].n;
}

beforeAll(async () => {
  sys = await startTestSystem();
  grid = await sys.user('grid_worker', where.village, { name: '王网格' });
  med1 = await sys.user('mediator', where.village, { level: 'village', name: '李调解' });
  med2 = await sys.user('mediator', where.village, { level: 'village', name: '赵调解' });
  medOther = await sys.user('mediator', otherVillage, { level: 'village', name: '钱调解' });
  supervisor = await sys.user('supervisor', where.county, { name: '孙督导' });
});
afterAll(async () => {
  await sys?.stop();
});

test('a grid worker reports a dispute; the village mediators are mailed; accept and agreement close it with its record', async () => {
  const created = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report() });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  expect(id).toMatch(/^MED-[0-9A-F]{12}$/);
  expect(created.body).toMatchObject({ status: 'awaiting_acceptance', level: 'village', area: where.village, channel: 'grid' });
  // Deadlines from the policy, counted as the law counts periods: accept within 1 day, village level 7 days, each
  // ending at 24:00 of its last day (moved past rest days), shown in Asia/Shanghai.
  const opened = Date.parse(created.body.openedAt);
  expect(created.body.openedAt).toMatch(/\+08:00$/);
  expectLegalEnd(opened, created.body.deadlines.acceptBy, 1, sys.policy.calendar.value);
  expectLegalEnd(opened, created.body.deadlines.levelDeadline, 7, sys.policy.calendar.value);

  // The case is in the register as soon as the API answers.
  const row = await sys.db.query('SELECT status, level, area FROM cases WHERE id = $1', [id]);
  expect(row.rows[0]).toEqual({ status: 'awaiting_acceptance', level: 'village', area: where.village });

  // Both village mediators get the notice over SMTP, in Chinese; the other village's mediator does not.
  const m1 = await sys.smtp.waitFor((m) => m.to.includes(med1.email) && m.subject.includes(id));
  const m2 = await sys.smtp.waitFor((m) => m.to.includes(med2.email) && m.subject.includes(id));
  expect(m1.subject).toContain('新纠纷待受理');
  expect(m1.text).toContain('李调解，您好');
  expect(m1.text).toContain('张三、李四');
  expect(m2.text).toContain('赵调解，您好');
  expect(sys.smtp.messages.some((m) => m.to.includes(medOther.email))).toBe(false);

  const accepted = await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: med1.token, body: { note: '已电话联系双方' } });
  expect(accepted.status).toBe(200);
  expect(accepted.body.status).toBe('in_mediation');
  expect(accepted.body.assignees).toEqual([{ id: med1.id, name: '李调解', role: 'mediator' }]);

  const agreed = await sys.call('POST', `/api/v1/mediations/${id}/agreement`, {
    token: med1.token,
    body: { form: 'written', terms: '双方共同疏通排水沟，费用平摊', parties: ['张三', '李四'] },
  });
  expect(agreed.status).toBe(200);
  expect(agreed.body.status).toBe('closed');
  expect(agreed.body.outcome).toMatchObject({ kind: 'agreement', agreement: { form: 'written' } });

  const read = await sys.call('GET', `/api/v1/mediations/${id}`, { token: supervisor.token });
  expect(read.status).toBe(200);
  expect(read.body.timeline.map((e: any) => [e.action, e.actor.name, e.to.status])).toEqual([
    ['opened', '王网格', 'awaiting_acceptance'],
    ['accepted', '李调解', 'in_mediation'],
    ['agreement_recorded', '李调解', 'closed'],
  ]);

  // The audit trail in PostgreSQL: actor, time, action, before and after, once each.
  const audit = await sys.db.query(
    'SELECT seq, actor_id, action, before, after, at FROM audit_events WHERE case_id = $1 ORDER BY seq',
    [id],
  );
  expect(audit.rows.map((r) => [r.seq, r.actor_id, r.action, r.before?.status ?? null, r.after.status])).toEqual([
    [1, grid.id, 'opened', null, 'awaiting_acceptance'],
    [2, med1.id, 'accepted', 'awaiting_acceptance', 'in_mediation'],
    [3, med1.id, 'agreement_recorded', 'in_mediation', 'closed'],
  ]);
  // The party who gave an address is told the outcome, with the judicial-confirmation window.
  const told = await sys.smtp.waitFor((m) => m.to.includes('zhangsan@example.cn') && m.subject.includes(id));
  expect(told.text).toContain('共同疏通排水沟');
  expect(told.text).toContain('司法确认');
  const reg = await sys.db.query('SELECT status, closed_at, version FROM cases WHERE id = $1', [id]);
  expect(reg.rows[0]).toMatchObject({ status: 'closed', version: 3 });
  expect(reg.rows[0].closed_at).toBeInstanceOf(Date);

  // The follow-up visit finds the agreement performed: the workflow completes, and visibility (Web UI,
  // `temporal workflow list`) finds it by its search attributes.
  const visit = await sys.call('POST', `/api/v1/mediations/${id}/follow-up`, { token: med1.token, body: { performed: true, notes: '排水沟已疏通' } });
  expect(visit.status).toBe(200);
  expect(visit.body.finished).toBe(true);
  await sys.client.workflow.getHandle(id).result();
  const query = `PinganKind = 'mediation' AND PinganStatus = 'closed' AND PinganArea = '${where.township}'`;
  expect(await listedUntil(sys, query, id)).toEqual([id]);
  const cli = execFileSync(
    process.env.TEMPORAL_CLI_PATH!,
    ['workflow', 'list', '--address', sys.config.TEMPORAL_ADDRESS!, '--query', query, '--output', 'json'],
    { encoding: 'utf8' },
  );
  expect(cli).toContain(id);
});

test('an agreement before acceptance is refused with 409 and changes nothing', async () => {
  const created = await sys.call('POST', '/api/v1/mediations', { token: med2.token, body: report({ channel: 'walk_in' }) });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const early = await sys.call('POST', `/api/v1/mediations/${id}/agreement`, {
    token: med1.token,
    body: { form: 'oral', terms: '口头协议', parties: ['张三', '李四'] },
  });
  expect(early.status).toBe(409);
  expect(early.body.error.code).toBe('invalid_state');
  expect(early.body.error.message).toContain('尚未受理');
  const after = await sys.call('GET', `/api/v1/mediations/${id}`, { token: med1.token });
  expect(after.body).toMatchObject({ status: 'awaiting_acceptance', version: 1 });
  expect(after.body.timeline).toHaveLength(1);

  expect((await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: med2.token, body: {} })).status).toBe(200);
  const again = await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: med1.token, body: {} });
  expect(again.status).toBe(409);
  expect(again.body.error.message).toContain('已受理');

  // An agreement must name every party.
  const partial = await sys.call('POST', `/api/v1/mediations/${id}/agreement`, {
    token: med1.token,
    body: { form: 'oral', terms: '口头协议', parties: ['张三'] },
  });
  expect(partial.status).toBe(409);
  expect(partial.body.error.message).toContain('李四');
  const audit = await sys.db.query('SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1', [id]);
  expect(audit.rows[0].n).toBe(2);

  const done = await sys.call('POST', `/api/v1/mediations/${id}/agreement`, {
    token: med1.token,
    body: { form: 'oral', terms: '口头协议：互相道歉', parties: ['张三', '李四'] },
  });
  expect(done.status).toBe(200);
  const closed = await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: med1.token, body: {} });
  expect(closed.status).toBe(409);
  expect(closed.body.error.message).toContain('已结案');
  await sys.call('POST', `/api/v1/mediations/${id}/follow-up`, { token: med1.token, body: { performed: true, notes: '已履行' } });
  await sys.client.workflow.getHandle(id).result();
  const finished = await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: med1.token, body: {} });
  expect(finished.status).toBe(409);
  expect(finished.body.error.message).toContain('已办结');
});

test('intake with an Idempotency-Key returns the same case when retried, and starts one workflow', async () => {
  const key = `retry-${Date.now()}`;
  const before = await countCases();
  const first = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report(), headers: { 'Idempotency-Key': key } });
  const second = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report(), headers: { 'Idempotency-Key': key } });
  expect(first.status).toBe(201);
  expect(second.status).toBe(200);
  expect(second.body.id).toBe(first.body.id);
  expect(second.body.openedAt).toBe(first.body.openedAt);
  expect(await countCases()).toBe(before + 1);
  // Another member's identical key is another request.
  const other = await sys.call('POST', '/api/v1/mediations', { token: med1.token, body: report(), headers: { 'Idempotency-Key': key } });
  expect(other.status).toBe(201);
  expect(other.body.id).not.toBe(first.body.id);
  // Exactly one notice per mediator for the retried case.
  await sys.smtp.waitFor((m) => m.subject.includes(first.body.id) && m.to.includes(med2.email));
  await new Promise((r) => setTimeout(r, 500));
  expect(sys.smtp.messages.filter((m) => m.subject.includes(first.body.id))).toHaveLength(2);
});

test('missing or unknown tokens get 401; roles and areas outside the member get 403; a case of another area answers 404 as an unknown one does; nothing is created', async () => {
  const before = await countCases();
  const none = await sys.call('POST', '/api/v1/mediations', { body: report() });
  expect(none.status).toBe(401);
  expect(none.body.error.code).toBe('unauthenticated');
  expect((await sys.call('GET', '/api/v1/users/me', { token: 'pgn_not-a-real-token' })).status).toBe(401);

  const outsider = await sys.user('grid_worker', `${where.township}/西村`);
  const wrongArea = await sys.call('POST', '/api/v1/mediations', { token: outsider.token, body: report() });
  expect(wrongArea.status).toBe(403);
  expect(wrongArea.body.error.message).toContain('outside your area');

  const wrongRole = await sys.call('POST', '/api/v1/mediations', { token: supervisor.token, body: report() });
  expect(wrongRole.status).toBe(403);
  expect((await sys.call('POST', '/api/v1/users', { token: grid.token, body: { name: 'x', email: 'x@x.cn', role: 'admin', area: where.county } })).status).toBe(403);
  expect(await countCases()).toBe(before);

  const created = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report() });
  const id = created.body.id;
  expect((await sys.call('GET', `/api/v1/mediations/${id}`, { token: outsider.token })).status).toBe(404);
  const foreignMediator = await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: medOther.token, body: {} });
  expect(foreignMediator.status).toBe(404);
  const gridAccept = await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: grid.token, body: {} });
  expect(gridAccept.status).toBe(403);
  const township = await sys.user('mediator', where.township, { level: 'township' });
  const wrongLevel = await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: township.token, body: {} });
  expect(wrongLevel.status).toBe(403);
  expect(wrongLevel.body.error.message).toContain('村级');
  expect((await sys.call('GET', `/api/v1/mediations/${id}`, { token: grid.token })).body.status).toBe('awaiting_acceptance');
  expect((await sys.call('GET', '/api/v1/mediations/MED-000000000000', { token: grid.token })).status).toBe(404);
});

test('malformed input gets 400 naming the field and changes nothing', async () => {
  const before = await countCases();
  const cases: Array<[unknown, string]> = [
    [{ ...report(), summary: undefined }, 'summary'],
    [report({ area: '肃宁县' }), 'area'],
    [report({ area: 'a/b/c/d' }), 'area'],
    [report({ category: 'alien' }), 'category'],
    [report({ channel: 'pigeon' }), 'channel'],
    [report({ parties: [] }), 'parties'],
    [report({ parties: [{ name: '张三', role: 'applicant', email: 'not-an-email' }] }), 'parties.0.email'],
    [report({ extra: 1 }), 'extra'],
  ];
  for (const [body, field] of cases) {
    const r = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body });
    expect({ field, status: r.status, code: r.body.error?.code }).toEqual({ field, status: 400, code: 'invalid_input' });
    expect(r.body.error.message).toContain(field);
  }
  const bad = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: '{"category": ' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('invalid_json');
  const badUser = await sys.call('POST', '/api/v1/users', { token: sys.adminToken, body: { name: 'x', email: 'x@x.cn', role: 'mediator', area: where.village } });
  expect(badUser.status).toBe(400);
  expect(badUser.body.error.message).toContain('level');
  expect(await countCases()).toBe(before);
});

test('health and OpenAPI', async () => {
  const h = await sys.call('GET', '/healthz', { token: sys.adminToken });
  expect(h.status).toBe(200);
  expect(h.body).toMatchObject({ temporal: 'ok', database: 'ok', calendar: { years: [2026] } });
  expect(h.body.status).toBe(h.body.calendar.missing.length > 0 ? 'degraded' : 'ok'); // the next test pins the date
  const o = await sys.call('GET', '/api/v1/openapi.json');
  expect(o.status).toBe(200);
  expect(o.body.openapi).toMatch(/^3\./);
  expect(Object.keys(o.body.paths)).toEqual(
    expect.arrayContaining([
      '/api/v1/users', '/api/v1/mediations', '/api/v1/mediations/{id}', '/api/v1/mediations/{id}/accept', '/api/v1/mediations/{id}/agreement',
      '/api/v1/mediations/{id}/urge', '/api/v1/mediations/stats', '/api/v1/petitions', '/api/v1/petitions/{id}/extension',
      '/api/v1/meetings/{id}/minutes',
    ]),
  );
  expect(o.body.components.schemas.CreateMediation.required).toEqual(expect.arrayContaining(['category', 'summary', 'parties', 'area', 'channel']));
  expect((await sys.call('GET', '/api/v1/nothing-here', { token: sys.adminToken })).status).toBe(404);
});

test('health reports a missing holiday calendar from 60 days before its year, still with HTTP 200', async () => {
  const at = async (iso: string) => {
    const app = createApp({ client: sys.client, db: sys.db, policy: sys.policy, taskQueue: 'none', logger: createLogger('silent'), version: 'test', now: () => Date.parse(iso) });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/healthz`, {
        headers: { authorization: `Bearer ${sys.adminToken}` },
      });
      return { status: res.status, body: (await res.json()) as any };
    } finally {
      server.close();
    }
  };
  const before = await at('2026-11-01T12:00:00+08:00'); // 61 days before 2027
  expect(before).toMatchObject({ status: 200, body: { status: 'ok', calendar: { years: [2026], missing: [], message: null } } });
  const within = await at('2026-11-27T12:00:00+08:00');
  expect(within.status).toBe(200);
  expect(within.body).toMatchObject({ status: 'degraded', temporal: 'ok', database: 'ok', calendar: { missing: [2027] } });
  expect(within.body.calendar.message).toMatch(/no holiday calendar for 2027.*provisional.*calendars\/2027\.json/);
});

test('health answers 503 when the database does not answer; an anonymous caller learns the status alone', async () => {
  const dead = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, 1);
  const app = createApp({ client: sys.client, db: dead, policy: sys.policy, taskQueue: 'none', logger: createLogger('silent'), version: 'test' });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'degraded' });
  } finally {
    server.close();
    await dead.end();
  }
});
