import { startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { expectLegalEnd } from './law';

/** Staff actions through HTTP at the default policy: allowed, 409 or 403, and the audit trail of each. */
let sys: TestSystem;
const where = uniqueVillage('动作');
type U = Awaited<ReturnType<TestSystem['user']>>;
let grid: U, vm: U, vm2: U, tm: U, cm: U, sup: U;

beforeAll(async () => {
  sys = await startTestSystem();
  grid = await sys.user('grid_worker', where.village, { name: '网格员' });
  vm = await sys.user('mediator', where.village, { level: 'village', name: '村调解员甲' });
  vm2 = await sys.user('mediator', where.village, { level: 'village', name: '村调解员乙' });
  tm = await sys.user('mediator', where.township, { level: 'township', name: '乡镇调解员' });
  cm = await sys.user('mediator', where.county, { level: 'county', committee: 'land', name: '县土调委' });
  sup = await sys.user('supervisor', where.county, { name: '督导' });
});
afterAll(async () => {
  await sys?.stop();
});

const report = (extra: object = {}) => ({
  category: 'land', summary: '承包地边界争议', area: where.village, channel: 'court',
  referral: { source: '县人民法院', reference: '(2026)冀0926民初123号' },
  parties: [{ name: '赵甲', role: 'applicant', email: 'zhaojia@example.cn' }, { name: '钱乙', role: 'respondent' }],
  ...extra,
});
const post = (id: string, action: string, token: string, body: object) => sys.call('POST', `/api/v1/mediations/${id}/${action}`, { token, body });

test('assign, sessions, requested escalation, failure that climbs, and failure at county with the route told', async () => {
  const c = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report() });
  expect(c.status).toBe(201);
  expect(c.body.referral).toEqual({ source: '县人民法院', reference: '(2026)冀0926民初123号' });
  const id = c.body.id;

  expect((await post(id, 'assign', vm.token, { mediatorIds: [tm.id] })).status).toBe(409); // not of this unit
  expect((await post(id, 'assign', vm.token, { mediatorIds: ['u_nobody'] })).status).toBe(400);
  const assigned = await post(id, 'assign', vm.token, { mediatorIds: [vm2.id] });
  expect(assigned.status).toBe(200);
  expect(assigned.body.assignees.map((a: any) => a.id)).toEqual([vm2.id]);
  await sys.smtp.waitFor((m) => m.to.includes(vm2.email) && m.subject.includes('您被指派调解'));

  expect((await post(id, 'sessions', vm2.token, { heldAt: '2026-11-27T10:00:00+08:00', summary: '首次调解' })).status).toBe(409);
  expect((await post(id, 'accept', vm2.token, {})).status).toBe(200);
  const session = await post(id, 'sessions', vm2.token, { heldAt: '2026-11-27T10:00:00+08:00', summary: '双方到场，分歧在东侧界桩' });
  expect(session.status).toBe(200);
  expect(session.body.sessions).toHaveLength(1);
  expect((await post(id, 'sessions', vm2.token, { heldAt: 'yesterday', summary: 'x' })).status).toBe(400);

  const failed = await post(id, 'failure', vm2.token, { reason: '双方对确权图有争议' });
  expect(failed.status).toBe(200);
  expect(failed.body).toMatchObject({ level: 'township', status: 'awaiting_acceptance', responsibleArea: where.township, assignees: [] });
  await sys.smtp.waitFor((m) => m.to.includes(tm.email) && m.subject.includes(id) && m.text.includes('双方对确权图有争议'));
  await sys.smtp.waitFor((m) => m.to.includes(sup.email) && m.subject.includes('转至乡镇'));
  expect((await post(id, 'accept', vm.token, {})).status).toBe(403); // the village no longer holds it

  const up = await post(id, 'escalate', tm.token, { reason: '涉及县国土部门' });
  expect(up.status).toBe(200);
  expect(up.body).toMatchObject({ level: 'county', committee: 'land' });
  await sys.smtp.waitFor((m) => m.to.includes(cm.email) && m.text.includes('土地承包经营纠纷人民调解委员会'));
  expect((await post(id, 'escalate', cm.token, { reason: '再上交' })).status).toBe(409);
  expect((await post(id, 'accept', cm.token, {})).status).toBe(200);
  const noRoute = await post(id, 'failure', cm.token, { reason: '无法调和' });
  expect(noRoute.status).toBe(409);
  expect(noRoute.body.error.message).toContain('route');
  const ended = await post(id, 'failure', cm.token, { reason: '无法调和', route: 'court' });
  expect(ended.status).toBe(200);
  expect(ended.body).toMatchObject({ status: 'closed', finished: true, outcome: { kind: 'failed', route: 'court' } });
  const notice = await sys.smtp.waitFor((m) => m.to.includes('zhaojia@example.cn') && m.subject.includes(id));
  expect(notice.text).toContain('向人民法院提起诉讼');
  expect(notice.text).toContain('第二十六条');
  await sys.client.workflow.getHandle(id).result();
  expect((await post(id, 'accept', cm.token, {})).status).toBe(409);

  const audit = await sys.db.query('SELECT action, actor_id FROM audit_events WHERE case_id = $1 ORDER BY seq', [id]);
  expect(audit.rows.map((r) => `${r.action}:${r.actor_id}`)).toEqual([
    `opened:${grid.id}`, `assigned:${vm.id}`, `accepted:${vm2.id}`, `session_recorded:${vm2.id}`, `failure_recorded:${vm2.id}`,
    `escalation_requested:${tm.id}`, `accepted:${cm.id}`, `failure_recorded:${cm.id}`,
  ]);
});

test('withdrawal and refusal end the case; only parties of the case; urging is for supervisors', async () => {
  const a = (await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report() })).body.id;
  expect((await post(a, 'urge', vm.token, { message: '快' })).status).toBe(403);
  const urged = await post(a, 'urge', sup.token, { message: '请尽快受理' });
  expect(urged.status).toBe(200);
  expect(urged.body.explanationRequired).toBe(false); // not overdue: no explanation owed
  await sys.smtp.waitFor((m) => m.to.includes(vm.email) && m.subject.includes('督办通知') && m.subject.includes(a));
  expect((await post(a, 'explanation', vm.token, { explanation: 'x', targetDate: '2027-01-01T00:00:00+08:00' })).status).toBe(409);
  expect((await post(a, 'withdrawal', vm.token, { party: '孙丙', reason: '不是当事人' })).status).toBe(409);
  const w = await post(a, 'withdrawal', vm.token, { party: '赵甲', reason: '双方自行和解' });
  expect(w.body).toMatchObject({ status: 'closed', finished: true, outcome: { kind: 'withdrawn', party: '赵甲' } });
  const b = (await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report() })).body.id;
  const r = await post(b, 'refusal', vm.token, { party: '钱乙', reason: '拒绝调解' });
  expect(r.body).toMatchObject({ finished: true, outcome: { kind: 'refused', party: '钱乙' } });
  await sys.smtp.waitFor((m) => m.to.includes('zhaojia@example.cn') && m.subject.includes(b) && m.text.includes('第十七条'));

  // After Temporal's retention removes the history, the closed case stays readable from the register: a copy of
  // the finished case under an id that Temporal has never seen answers from PostgreSQL alone.
  const gone = `MED-${Date.now().toString(16).toUpperCase().padStart(12, '0').slice(-12)}`;
  await sys.db.query(
    `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, closed_at, policy_version, version, snapshot)
     SELECT $2, kind, status, level, area, category, summary, opened_at, closed_at, policy_version, version,
            jsonb_set(snapshot, '{id}', to_jsonb($2::text)) FROM cases WHERE id = $1`,
    [a, gone],
  );
  await expect(sys.client.workflow.getHandle(gone).describe()).rejects.toThrow(/not found/i);
  const read = await sys.call('GET', `/api/v1/mediations/${gone}`, { token: sup.token });
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ id: gone, finished: true, outcome: { kind: 'withdrawn' } });
  expect(read.body.timeline.map((e: any) => e.action)).toEqual(['opened', 'urged', 'withdrawn']);
});

test('after an agreement: judicial confirmation and a follow-up that reopens mediation', async () => {
  const id = (await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report() })).body.id;
  expect((await post(id, 'judicial-confirmation', vm.token, { status: 'applied' })).status).toBe(409);
  await post(id, 'accept', vm.token, {});
  const agreed = await post(id, 'agreement', vm.token, { form: 'written', terms: '以老界桩为准', parties: ['赵甲', '钱乙'] });
  expect(agreed.body.judicialConfirmation).toBe('not_applied');
  expectLegalEnd(Date.parse(agreed.body.outcome.at), agreed.body.deadlines.judicialConfirmationBy, 30, sys.policy.calendar.value);
  expect((await post(id, 'judicial-confirmation', vm.token, { status: 'confirmed' })).status).toBe(409);
  expect((await post(id, 'judicial-confirmation', vm.token, { status: 'applied' })).body.judicialConfirmation).toBe('applied');
  expect((await post(id, 'judicial-confirmation', vm.token, { status: 'confirmed' })).body.judicialConfirmation).toBe('confirmed');
  expect((await post(id, 'follow-up', vm.token, { performed: false, notes: '钱乙未移桩' })).status).toBe(409);
  const reopened = await post(id, 'follow-up', vm.token, { performed: false, notes: '钱乙未移桩', next: 'reopen' });
  expect(reopened.body).toMatchObject({ status: 'in_mediation', outcome: null, finished: false });
  const listed = await sys.call('GET', `/api/v1/mediations?status=in_mediation&area=${encodeURIComponent(where.village)}`, { token: sup.token });
  expect(listed.status).toBe(200);
  expect(listed.body.items.map((i: any) => i.id)).toContain(id);
});

test('the register lists and counts inside the member area only', async () => {
  const stats = await sys.call('GET', '/api/v1/mediations/stats', { token: sup.token });
  expect(stats.status).toBe(200);
  expect(stats.body.area).toBe(where.county);
  const all = await sys.call('GET', '/api/v1/mediations?limit=200', { token: sup.token });
  expect(stats.body.total).toBe(all.body.items.length);
  expect(stats.body.outcomes).toMatchObject({ failed: 1, withdrawn: 2, refused: 1 }); // withdrawn: the case and its register-only copy
  expect(all.body.items.every((i: any) => i.area.startsWith(where.county))).toBe(true);
  expect((await sys.call('GET', '/api/v1/mediations?area=献县', { token: sup.token })).status).toBe(403);
  expect((await sys.call('GET', '/api/v1/mediations?status=lost', { token: sup.token })).status).toBe(400);
});
