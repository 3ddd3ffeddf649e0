import { DEFAULT_POLICY } from '../domain/policy';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { replayCase } from './replay-helpers';
import { expectLegalEnd } from './law';

/** Petitions through HTTP on the dev server: the 5+N roles, every step, the documents and the mails. */
let sys: TestSystem;
const where = uniqueVillage('信访');
type U = Awaited<ReturnType<TestSystem['user']>>;
let officer: U, leader: U, leader2: U, grid: U, mediator: U;
const group = DEFAULT_POLICY.petition!.leadingGroup.value.map((g) => g.email);

beforeAll(async () => {
  sys = await startTestSystem();
  officer = await sys.user('petition_officer', where.county, { name: '信访干部' });
  leader = await sys.user('leader', where.county, { name: '包案领导甲' });
  leader2 = await sys.user('leader', where.county, { name: '包案领导乙' });
  grid = await sys.user('grid_worker', where.village);
  mediator = await sys.user('mediator', where.village, { level: 'village', name: '村调解员' });
});
afterAll(async () => {
  await sys?.stop();
});

const body = (extra: object = {}) => ({
  petitioner: { name: '周某', phone: '13800000000', email: 'zhou@example.cn' },
  subject: `征地补偿款未足额发放-${where.county}`,
  content: '2025年村里征地，补偿款至今只发放一半。',
  channel: 'visit',
  area: where.township,
  ...extra,
});
const post = (id: string, action: string, token: string, b: object = {}) => sys.call('POST', `/api/v1/petitions/${id}/${action}`, { token, body: b });

test('a petition from registration through extension, reply, review and re-review with a hearing', async () => {
  const r = await sys.call('POST', '/api/v1/petitions', { token: officer.token, body: body() });
  expect(r.status).toBe(201);
  const id = r.body.id;
  expect(id).toMatch(/^PET-[0-9A-F]{12}$/);
  // Every deadline shown follows the law's count: the registration day not counted, 24:00 of the last day, rest days skipped.
  const cal = sys.policy.calendar.value;
  expectLegalEnd(Date.parse(r.body.registeredAt), r.body.deadlines.assignBy, 15, cal);
  // The five-person leading group is told of every petition.
  for (const email of group) await sys.smtp.waitFor((m) => m.to.includes(email) && m.subject.includes(id));

  expect((await post(id, 'accept', officer.token, { notice: '受理' })).status).toBe(409);
  expect((await post(id, 'assign', officer.token, { unit: '县自然资源局', unitHead: '王局长' })).body.status).toBe('assigned');
  expect((await post(id, 'leader', officer.token, { leaderId: grid.id })).status).toBe(400);
  expect((await post(id, 'leader', officer.token, { leaderId: leader.id })).body.leader.id).toBe(leader.id);
  await sys.smtp.waitFor((m) => m.to.includes(leader.email) && m.subject.includes('包案通知'));
  const re = await post(id, 'leader', officer.token, { leaderId: leader2.id });
  expect(re.body.timeline.map((e: any) => e.action)).toContain('leader_reassigned');
  const accepted = await post(id, 'accept', leader2.token, { notice: '经审查，依法予以受理' });
  expect(accepted.body.status).toBe('accepted');
  expectLegalEnd(Date.parse(accepted.body.lastProgressAt), accepted.body.deadlines.handleBy, 60, cal);
  await sys.smtp.waitFor((m) => m.to.includes('zhou@example.cn') && m.subject.includes('受理告知书'));

  expect((await post(id, 'extension', officer.token, { days: 31, reason: '需测量', approvedBy: '王局长' })).status).toBe(409);
  const noApproval = await post(id, 'extension', officer.token, { days: 30, reason: '需测量', approvedBy: '张科长' });
  expect(noApproval.status).toBe(409);
  expect(noApproval.body.error.message).toContain('王局长');
  const ext = await post(id, 'extension', officer.token, { days: 30, reason: '需现场测量', approvedBy: '王局长' });
  // The extension counts 30 days from the last day of the limit it extends.
  expectLegalEnd(Date.parse(accepted.body.deadlines.handleBy) - 1, ext.body.deadlines.handleBy, 30, cal);
  const told = await sys.smtp.waitFor((m) => m.to.includes('zhou@example.cn') && m.subject.includes('延期办理告知'));
  expect(told.text).toContain('需现场测量');
  expect((await post(id, 'extension', officer.token, { days: 5, reason: 'x', approvedBy: '王局长' })).status).toBe(409);

  const replied = await post(id, 'reply', officer.token, { decision: 'partially_supported', opinion: '剩余补偿款于12月底前发放。' });
  expect(replied.body.status).toBe('replied');
  const docs = await sys.call('GET', `/api/v1/petitions/${id}/documents`, { token: officer.token });
  expect(docs.body.items).toHaveLength(1);
  expect(docs.body.items[0].body).toContain('信访事项答复意见书');
  expect(docs.body.items[0].body).toContain('部分支持');
  expect(docs.body.items[0].body).toContain('县自然资源局');
  const mailed = await sys.smtp.waitFor((m) => m.to.includes('zhou@example.cn') && m.subject.includes('答复意见书'));
  expect(mailed.text).toContain('剩余补偿款于12月底前发放');

  await post(id, 'review-request', officer.token, { reason: '补偿标准过低' });
  const reviewed = await post(id, 'review-answer', officer.token, { opinion: '维持原处理意见' });
  expect(reviewed.body.status).toBe('reviewed');
  await post(id, 're-review-request', officer.token, { reason: '仍不服' });
  const hearing = await post(id, 'hearing-start', officer.token);
  expect(hearing.body.hearing).not.toBeNull();
  expect(hearing.body.deadlines.reReviewAnswerBy).toBeUndefined();
  expect((await post(id, 're-review-answer', officer.token, { opinion: 'x' })).status).toBe(409);
  await new Promise((r) => setTimeout(r, 1200));
  const resumed = await post(id, 'hearing-end', officer.token);
  expect(resumed.body.timeline.find((e: any) => e.action === 'hearing_ended').details.pausedMs).toBeGreaterThanOrEqual(1000);
  const done = await post(id, 're-review-answer', officer.token, { opinion: '维持复查意见。本意见为终结意见。' });
  expect(done.body).toMatchObject({ status: 'closed', finished: true, reReviewCompleted: true });
  await sys.client.workflow.getHandle(id).result();

  // The same matter on the same facts is not accepted again.
  const again = await sys.call('POST', '/api/v1/petitions', { token: officer.token, body: body() });
  expect(again.status).toBe(409);
  expect(again.body.error.message).toContain(id);
  const audit = await sys.db.query('SELECT count(*)::int AS n, count(DISTINCT actor_id)::int AS actors FROM audit_events WHERE case_id = $1', [id]);
  expect(audit.rows[0]).toEqual({ n: done.body.timeline.length, actors: 2 });
  await replayCase(sys, id, 'petition-v6-lean-full');
});

test('leaders see the petitions they are responsible for; roles and input are checked', async () => {
  const outsideLeader = await sys.user('leader', '献县', { name: '外县领导' });
  const r = await sys.call('POST', '/api/v1/petitions', { token: officer.token, body: body({ subject: '道路破损' }) });
  const id = r.body.id;
  await post(id, 'leader', officer.token, { leaderId: outsideLeader.id });
  const mine = await sys.call('GET', '/api/v1/petitions', { token: outsideLeader.token });
  expect(mine.body.items.map((i: any) => i.id)).toEqual([id]);
  expect((await sys.call('GET', `/api/v1/petitions/${id}`, { token: outsideLeader.token })).status).toBe(200);
  expect((await sys.call('POST', '/api/v1/petitions', { token: grid.token, body: body() })).status).toBe(403);
  const bad = await sys.call('POST', '/api/v1/petitions', { token: officer.token, body: body({ channel: 'pigeon' }) });
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toContain('channel');
  expect((await sys.call('GET', '/api/v1/petitions/PET-000000000000', { token: officer.token })).status).toBe(404);
  expect((await post(id, 'assign', grid.token, { unit: 'x', unitHead: 'y' })).status).toBe(403);
});

test('a petition that is a civil dispute is transferred to mediation; both records point to each other and the outcome comes back', async () => {
  const r = await sys.call('POST', '/api/v1/petitions', { token: officer.token, body: body({ subject: '邻居占用通道' }) });
  const id = r.body.id;
  const t = await post(id, 'transfer-to-mediation', officer.token, {
    category: 'neighbourhood', area: where.village, respondents: [{ name: '吴某' }],
  });
  expect(t.status).toBe(200);
  const mediationId = t.body.linkedMediation.id;
  expect(mediationId).toMatch(/^MED-/);
  const m = await sys.call('GET', `/api/v1/mediations/${mediationId}`, { token: mediator.token });
  expect(m.body).toMatchObject({ channel: 'petition', referral: { source: '信访', reference: id }, level: 'village' });
  expect(m.body.parties.map((p: any) => p.name)).toEqual(['周某', '吴某']);
  expect((await post(id, 'transfer-to-mediation', officer.token, { category: 'neighbourhood', area: where.village, respondents: [{ name: '吴某' }] })).status).toBe(409);
  await sys.call('POST', `/api/v1/mediations/${mediationId}/accept`, { token: mediator.token, body: {} });
  await sys.call('POST', `/api/v1/mediations/${mediationId}/agreement`, {
    token: mediator.token, body: { form: 'written', terms: '吴某三日内清理通道', parties: ['周某', '吴某'] },
  });
  let outcome = null;
  for (let i = 0; i < 50 && !outcome; i++) {
    outcome = (await sys.call('GET', `/api/v1/petitions/${id}`, { token: officer.token })).body.linkedMediation.outcome;
    if (!outcome) await new Promise((res) => setTimeout(res, 100));
  }
  expect(outcome).toBe('agreement');
  await replayCase(sys, mediationId, 'mediation-v7-lean-from-petition');
});
