import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { OBJECTION_RATE_LIMIT } from '../api/notices';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { replayCase } from './replay-helpers';

/**
 * Village decisions through HTTP on the real dev server, PostgreSQL and SMTP, with a POLICY_FILE whose notice period
 * is 6 seconds (every other number at its default): all six steps, steps out of order (409), a meeting without
 * quorum, rejection, an objection that holds implementation until answered, the register and the audit trail.
 */
const NOTICE_SECONDS = 6;
const short: Policy = JSON.parse(JSON.stringify(DEFAULT_POLICY));
short.version = 'test-village-short-notice';
short.village!.noticePeriod = { value: { value: NOTICE_SECONDS, unit: 'seconds' }, source: 'test' };

let sys: TestSystem;
const where = uniqueVillage('四议');
const west = `${where.township}/西村`;
type U = Awaited<ReturnType<TestSystem['user']>>;
let clerk: U, clerk2: U, westClerk: U, townSup: U, countySup: U, mediator: U;
const policyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-policy-')), 'policy.json');

beforeAll(async () => {
  fs.writeFileSync(policyFile, JSON.stringify(short, null, 2));
  sys = await startTestSystem({ env: { POLICY_FILE: policyFile } });
  clerk = await sys.user('village_clerk', where.village, { name: '东村文书' });
  clerk2 = await sys.user('village_clerk', where.village, { name: '东村会计' });
  westClerk = await sys.user('village_clerk', west, { name: '西村文书' });
  townSup = await sys.user('supervisor', where.township, { name: '镇督导' });
  countySup = await sys.user('supervisor', where.county, { name: '县督导' });
  mediator = await sys.user('mediator', where.village, { level: 'village', name: '调解员' });
});
afterAll(async () => {
  await sys?.stop();
});

const API = '/api/v1/village-decisions';
const post = (id: string, action: string, token: string, body: object) => sys.call('POST', `${API}/${id}/${action}`, { token, body });
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const meeting = (body: string, entitled: number, present: number, votesFor: number, minutesAgo: number, extra: object = {}) => ({
  body, heldAt: ago(minutesAgo), noticeGivenAt: ago(minutesAgo + 11 * 24 * 60), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: `${body} 会议记录`, ...extra,
});
const matter = (extra: object = {}) => ({
  type: 'public_works', title: '硬化村内东西主街', description: '主街1.2公里水泥硬化，宽4米', amount: 350000,
  attachments: ['预算表：水泥、人工、机械共35万元'], ...extra,
});
const waitFor = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

test('a matter goes through all six steps through the API; an objection holds implementation until answered', async () => {
  const created = await sys.call('POST', API, { token: clerk.token, body: matter(), headers: { 'Idempotency-Key': 'road-1' } });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ status: 'proposal', area: where.village, typeName: '公益事业筹资筹劳及工程承包方案', policyVersion: 'test-village-short-notice' });
  const id: string = created.body.id;
  expect(id).toMatch(/^VIL-[0-9A-F]{12}$/);
  const again = await sys.call('POST', API, { token: clerk.token, body: matter(), headers: { 'Idempotency-Key': 'road-1' } });
  expect(again.status).toBe(200);
  expect(again.body.id).toBe(id);
  await sys.smtp.waitFor((m) => m.to.includes(townSup.email) && m.subject.includes('村级事项备案') && m.subject.includes(id));

  // Out of order: the representatives cannot resolve before the party branch proposes.
  const early = await post(id, 'meetings', clerk.token, meeting('representatives', 30, 25, 20, 60));
  expect(early.status).toBe(409);
  expect(early.body.error.code).toBe('invalid_state');
  expect(early.body.error.message).toContain('不能跳步');
  expect((await post(id, 'progress', clerk.token, { note: '提前开工' })).status).toBe(409);
  // Others may not act: a clerk of another village, a supervisor, a mediator.
  expect((await post(id, 'meetings', westClerk.token, meeting('party_branch', 5, 5, 5, 60))).status).toBe(404);
  expect((await post(id, 'meetings', townSup.token, meeting('party_branch', 5, 5, 5, 60))).status).toBe(403);
  expect((await post(id, 'meetings', mediator.token, meeting('party_branch', 5, 5, 5, 60))).status).toBe(403);
  // Bad input: 400 naming the field, nothing changes.
  const bad = await post(id, 'meetings', clerk.token, meeting('party_branch', 5, 6, 5, 60));
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toMatch(/^present: /);
  expect((await post(id, 'meetings', clerk.token, { ...meeting('party_branch', 5, 5, 5, 60), heldAt: 'yesterday' })).status).toBe(400);
  expect((await post(id, 'meetings', clerk.token, { ...meeting('party_branch', 5, 5, 5, 60), body: 'township' })).status).toBe(400);

  let r = await post(id, 'meetings', clerk.token, meeting('party_branch', 5, 4, 4, 60));
  expect(r.status).toBe(200);
  expect(r.body.status).toBe('discussion');
  r = await post(id, 'meetings', clerk2.token, meeting('two_committees', 7, 6, 6, 50));
  expect(r.body.status).toBe('review');
  // 19 of 30 party members is under two-thirds: the meeting does not count and must be held again.
  r = await post(id, 'meetings', clerk.token, meeting('party_members', 30, 19, 19, 40));
  expect(r.status).toBe(200);
  expect(r.body.status).toBe('review');
  expect(r.body.meetings.at(-1)).toMatchObject({ outcome: 'no_quorum', quorum: false });
  await sys.smtp.waitFor((m) => m.to.includes(clerk2.email) && m.subject.includes('会议无效须重新召开'));
  r = await post(id, 'meetings', clerk.token, meeting('party_members', 30, 20, 11, 30));
  expect(r.body.status).toBe('resolution');
  // 20 of 30 representatives is exactly two-thirds; 11 of 20 is more than half.
  r = await post(id, 'meetings', clerk.token, meeting('representatives', 30, 20, 11, 20));
  expect(r.status).toBe(200);
  expect(r.body.status).toBe('resolution_notice');
  const noticeId = `${id}-R`;
  expect(r.body.notices).toEqual([expect.objectContaining({ id: noticeId, kind: 'resolution', ended: false })]);
  expect(Date.parse(r.body.notices[0].endsAt) - Date.parse(r.body.notices[0].startsAt)).toBe(NOTICE_SECONDS * 1000);

  // A villager objects on the public board during the period (no token), with an address for the answer.
  const objection = await sys.call('POST', `/api/v1/notices/${noticeId}/objections`, {
    body: { text: '造价偏高，希望公开比价', name: '王村民', email: 'wangcunmin@example.cn', phone: '13800000000' },
  });
  expect(objection.status).toBe(201);
  const objectionId: string = objection.body.objectionId;
  await sys.smtp.waitFor((m) => m.to.includes(clerk.email) && m.subject.includes('收到村民异议') && m.text.includes('造价偏高'));

  // The period ends; the objection is unanswered, so implementation may not start.
  const held = await waitFor(() => sys.call('GET', `${API}/${id}`, { token: clerk.token }), (x) => x.body.notices[0].ended === true);
  expect(held.body.status).toBe('resolution_notice');
  const refused = await post(id, 'progress', clerk.token, { note: '开工' });
  expect(refused.status).toBe(409);
  expect(refused.body.error.message).toContain('异议尚未答复');
  expect((await sys.call('POST', `/api/v1/notices/${noticeId}/objections`, { body: { text: '期满后的异议' } })).status).toBe(409);
  expect((await post(id, `objections/OBJ-NOSUCH/answer`, clerk.token, { answer: 'x' })).status).toBe(409);
  expect((await post(id, `objections/${objectionId}/answer`, westClerk.token, { answer: 'x' })).status).toBe(404);
  const answered = await post(id, `objections/${objectionId}/answer`, clerk.token, { answer: '已请三家单位比价，明细见附件' });
  expect(answered.status).toBe(200);
  expect(answered.body.status).toBe('implementation');
  const mailed = await sys.smtp.waitFor((m) => m.to.includes('wangcunmin@example.cn') && m.subject.includes(objectionId));
  expect(mailed.text).toContain('已请三家单位比价');

  expect((await post(id, 'progress', clerk.token, { note: '路基完成' })).status).toBe(200);
  const done = await post(id, 'completion', clerk.token, { result: '主街硬化完成，验收合格，实际支出34.8万元' });
  expect(done.body.status).toBe('result_notice');
  expect(done.body.notices[1]).toMatchObject({ id: `${id}-S`, kind: 'result' });
  const closed = await waitFor(() => sys.call('GET', `${API}/${id}`, { token: townSup.token }), (x) => x.body.status === 'closed');
  expect(closed.body).toMatchObject({ outcome: 'completed', finished: true });
  await sys.client.workflow.getHandle(id).result();
  expect((await post(id, 'progress', clerk.token, { note: '补记' })).status).toBe(409);

  const audit = await sys.db.query('SELECT action, actor_id, actor_role FROM audit_events WHERE case_id = $1 ORDER BY seq', [id]);
  expect(audit.rows.map((x) => `${x.action}:${x.actor_id}`)).toEqual([
    `opened:${clerk.id}`, `proposal_passed:${clerk.id}`, `discussion_passed:${clerk2.id}`, `meeting_without_quorum:${clerk.id}`,
    `review_passed:${clerk.id}`, `resolution_passed:${clerk.id}`, 'objection_filed:public', 'resolution_notice_ended:system',
    `objection_answered:${clerk.id}`, `progress_recorded:${clerk.id}`, `implementation_completed:${clerk.id}`,
    'result_notice_ended:system',
  ]);
  const stored = await sys.db.query('SELECT notice_id, email, answer FROM objections WHERE matter_id = $1', [id]);
  expect(stored.rows).toEqual([{ notice_id: noticeId, email: 'wangcunmin@example.cn', answer: '已请三家单位比价，明细见附件' }]);
  const reg = await sys.db.query('SELECT kind, status, category, closed_at IS NOT NULL AS closed FROM cases WHERE id = $1', [id]);
  expect(reg.rows[0]).toEqual({ kind: 'village_decision', status: 'closed', category: 'public_works', closed: true });

  // The board's JSON: the notice with every stage's votes and the answered objection, without contact details.
  const pub = await sys.call('GET', `/api/v1/notices/${noticeId}?`);
  expect(pub.status).toBe(200);
  expect(pub.body.meetings.map((x: any) => [x.bodyName, x.present, x.for, x.outcome])).toEqual([
    ['党支部会议', 4, 4, 'passed'], ['村"两委"联席会议', 6, 6, 'passed'], ['党员大会', 19, 19, 'no_quorum'],
    ['党员大会', 20, 11, 'passed'], ['村民代表会议', 20, 11, 'passed'],
  ]);
  expect(pub.body.objections).toEqual([expect.objectContaining({ id: objectionId, text: '造价偏高，希望公开比价', answer: expect.objectContaining({ text: '已请三家单位比价，明细见附件' }) })]);
  expect(JSON.stringify(pub.body)).not.toMatch(/wangcunmin|13800000000|王村民/);
  expect(pub.body.text).toContain('涉及金额：350,000.00 元');

  // The workflow is deterministic: its history replays against the current code (RECORD_HISTORY=1 keeps a fixture).
  await replayCase(sys, id, 'village-v2-six-steps-objection');
});

test('a rejected proposal returns to the proposal step or ends, as the clerk chooses', async () => {
  const id = (await sys.call('POST', API, { token: clerk.token, body: matter({ type: 'village_rules', amount: undefined, title: '修订村规民约' }) })).body.id;
  await post(id, 'meetings', clerk.token, meeting('party_branch', 5, 5, 5, 60));
  // 3 of 6 present is not more than half: rejected.
  const rejected = await post(id, 'meetings', clerk.token, meeting('two_committees', 8, 6, 3, 50));
  expect(rejected.body).toMatchObject({ status: 'rejected', rejectedAt: { step: 'discussion' } });
  expect((await post(id, 'meetings', clerk.token, meeting('two_committees', 8, 8, 8, 40))).status).toBe(409);
  expect((await post(id, 'rejection-decision', clerk.token, { choice: 'later', reason: 'x' })).status).toBe(400);
  const back = await post(id, 'rejection-decision', clerk.token, { choice: 'return', reason: '吸收意见后重新提议' });
  expect(back.body).toMatchObject({ status: 'proposal', round: 2 });
  await post(id, 'meetings', clerk.token, meeting('party_branch', 5, 5, 5, 30));
  await post(id, 'meetings', clerk.token, meeting('two_committees', 8, 8, 2, 20));
  const ended = await post(id, 'rejection-decision', clerk.token, { choice: 'end', reason: '两委意见不一致，不再推进' });
  expect(ended.body).toMatchObject({ status: 'closed', outcome: 'ended_after_rejection', finished: true });
  await sys.smtp.waitFor((m) => m.to.includes(countySup.email) && m.subject.includes('村级事项办结') && m.subject.includes(id));
  expect((await post(id, 'rejection-decision', clerk.token, { choice: 'end', reason: 'x' })).status).toBe(409);
});

test('who may open and read: clerks in their own village, supervisors inside their area', async () => {
  expect((await sys.call('POST', API, { token: townSup.token, body: matter() })).status).toBe(403);
  expect((await sys.call('POST', API, { token: clerk.token, body: matter({ area: west }) })).status).toBe(403);
  expect((await sys.call('POST', API, { body: matter() })).status).toBe(401);
  const noAmount = await sys.call('POST', API, { token: clerk.token, body: matter({ amount: undefined }) });
  expect(noAmount.status).toBe(400);
  expect(noAmount.body.error.message).toMatch(/^amount: /);
  expect((await sys.call('POST', API, { token: clerk.token, body: matter({ type: 'fireworks' }) })).status).toBe(400);
  expect((await sys.call('POST', API, { token: clerk.token, body: matter({ extra: 1 }) })).status).toBe(400);

  const id = (await sys.call('POST', API, { token: clerk.token, body: matter({ title: '村集体鱼塘承包' , type: 'collective_project' }) })).body.id;
  expect((await sys.call('GET', `${API}/${id}`, { token: townSup.token })).status).toBe(200);
  expect((await sys.call('GET', `${API}/${id}`, { token: countySup.token })).status).toBe(200);
  expect((await sys.call('GET', `${API}/${id}`, { token: westClerk.token })).status).toBe(404);
  expect((await sys.call('GET', `${API}/${id}`, { token: mediator.token })).status).toBe(403);
  expect((await sys.call('GET', `${API}/VIL-000000000000`, { token: townSup.token })).status).toBe(404);
  const list = await sys.call('GET', `${API}?status=proposal`, { token: townSup.token });
  expect(list.status).toBe(200);
  expect(list.body.items.map((i: any) => i.id)).toContain(id);
  expect(list.body.items.every((i: any) => i.area.startsWith(where.township))).toBe(true);
  expect((await sys.call('GET', `${API}`, { token: westClerk.token })).body.items).toEqual([]);
  expect((await sys.call('GET', `${API}?area=${encodeURIComponent(where.village)}`, { token: westClerk.token })).status).toBe(403);
  const doc = await sys.call('GET', '/api/v1/openapi.json');
  expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining([
    '/api/v1/village-decisions', '/api/v1/village-decisions/{id}/meetings', '/api/v1/notices', '/api/v1/notices/{id}/objections', '/notices',
  ]));
});

test('the public objection endpoint: validated, 404 for unknown notices; refused objections do not count against the rate limit', async () => {
  const unknown = 'VIL-FFFFFFFFFFFF-R';
  const bodyless = await sys.call('POST', `/api/v1/notices/${unknown}/objections`, { body: { text: '' } });
  expect(bodyless.status).toBe(400);
  expect(bodyless.body.error.message).toMatch(/^text: /);
  expect((await sys.call('POST', `/api/v1/notices/${unknown}/objections`, { body: { text: '有异议', email: 'not-mail' } })).status).toBe(400);
  expect((await sys.call('POST', `/api/v1/notices/${unknown}/objections`, { body: { text: '有异议', script: 1 } })).status).toBe(400);
  expect((await sys.call('POST', `/api/v1/notices/${unknown}/objections`, { body: { text: '有异议' } })).status).toBe(404);
  expect((await sys.call('GET', `/api/v1/notices/nonsense`)).status).toBe(404);
  // The limit counts accepted objections (test/probe-fixes.test.ts): refusals never reach it.
  for (let i = 0; i < OBJECTION_RATE_LIMIT.limit + 2; i++) {
    expect((await sys.call('POST', `/api/v1/notices/${unknown}/objections`, { body: { text: '有异议' } })).status).toBe(404);
  }
});
