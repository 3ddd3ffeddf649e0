import { mediationIdForPetition } from '../domain/petition';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { replayCase } from './replay-helpers';

/**
 * 访调对接 and who reads petitions, through HTTP on the dev server: one mediation case per petition whoever transfers
 * it, none for a refused transfer, the petition held while the mediation has it and back in its step after a refusal;
 * petition reads, lists and documents for petition officers in their area and the responsible leader only.
 */
let sys: TestSystem;
const where = uniqueVillage('转调');
type U = Awaited<ReturnType<TestSystem['user']>>;
let officer: U, officer2: U, mediator: U;

beforeAll(async () => {
  sys = await startTestSystem();
  officer = await sys.user('petition_officer', where.county, { name: '信访干部甲' });
  officer2 = await sys.user('petition_officer', where.county, { name: '信访干部乙' });
  mediator = await sys.user('mediator', where.village, { level: 'village', name: '村调解员' });
});
afterAll(async () => {
  await sys?.stop();
});

const register = async (subject: string, email?: string) => {
  const r = await sys.call('POST', '/api/v1/petitions', {
    token: officer.token,
    body: { petitioner: { name: '周某', ...(email ? { email } : {}) }, subject: `${subject}-${where.county}`, content: '邻居在通道上堆放杂物。', channel: 'visit', area: where.township },
  });
  expect(r.status).toBe(201);
  return r.body.id as string;
};
const post = (id: string, action: string, token: string, b: object = {}) => sys.call('POST', `/api/v1/petitions/${id}/${action}`, { token, body: b });
const transferBody = { category: 'neighbourhood', area: where.village, respondents: [{ name: '吴某' }] };
const casesReferring = async (id: string) =>
  (await sys.db.query(`SELECT id FROM cases WHERE kind = 'mediation' AND snapshot->'referral'->>'reference' = $1`, [id])).rows.map((r) => r.id);

test('two officers transferring at once make one case, under the id the petition determines', async () => {
  const id = await register('占用通道');
  const [a, b] = await Promise.all([post(id, 'transfer-to-mediation', officer.token, transferBody), post(id, 'transfer-to-mediation', officer2.token, transferBody)]);
  expect([a.status, b.status].sort()).toEqual([200, 409]);
  const ok = a.status === 200 ? a : b;
  expect(ok.body).toMatchObject({ status: 'in_mediation', deadlines: {}, linkedMediation: { id: mediationIdForPetition(id), outcome: null, heldFrom: 'registered' } });
  expect(await casesReferring(id)).toEqual([mediationIdForPetition(id)]);
  // The case is readable at once, and points back to the petition.
  const m = await sys.call('GET', `/api/v1/mediations/${mediationIdForPetition(id)}`, { token: mediator.token });
  expect(m.body).toMatchObject({ channel: 'petition', referral: { source: '信访', reference: id } });
  // Nothing about the petition runs while the mediation has it.
  const row = await sys.db.query('SELECT status, next_deadline FROM cases WHERE id = $1', [id]);
  expect(row.rows[0]).toEqual({ status: 'in_mediation', next_deadline: null });
});

test('a refused transfer starts no case', async () => {
  const id = await register('已答复事项');
  for (const [action, body] of [['assign', { unit: '县住建局', unitHead: '赵局长' }], ['accept', { notice: '受理' }], ['reply', { decision: 'supported', opinion: '支持' }]] as const) {
    expect((await post(id, action, officer.token, body)).status).toBe(200);
  }
  const r = await post(id, 'transfer-to-mediation', officer.token, transferBody);
  expect(r.status).toBe(409);
  expect(r.body.error.message).toContain('已答复');
  expect(await casesReferring(id)).toEqual([]);
});

test('the mediation refused: the petition returns to its step with the time it had left, and its handlers are told', async () => {
  const id = await register('拒绝调解', 'zhou@transfer.test.cn');
  await post(id, 'assign', officer.token, { unit: '县住建局', unitHead: '赵局长' });
  const accepted = await post(id, 'accept', officer.token, { notice: '受理' });
  const handleBy = Date.parse(accepted.body.deadlines.handleBy);
  const t = await post(id, 'transfer-to-mediation', officer.token, transferBody);
  expect(t.body.status).toBe('in_mediation');
  await sys.smtp.waitFor((m) => m.subject.includes(id) && m.subject.includes('已转人民调解') && m.to.includes(officer.email));
  const mediationId = t.body.linkedMediation.id;
  expect((await sys.call('POST', `/api/v1/mediations/${mediationId}/refusal`, { token: mediator.token, body: { party: '吴某', reason: '不同意调解' } })).status).toBe(200);
  let p: any;
  for (let i = 0; i < 50; i++) {
    p = (await sys.call('GET', `/api/v1/petitions/${id}`, { token: officer.token })).body;
    if (p.status !== 'in_mediation') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(p).toMatchObject({ status: 'accepted', linkedMediation: { id: mediationId, outcome: 'refused' } });
  const held = Date.parse(p.lastProgressAt) - Date.parse(t.body.lastProgressAt);
  expect(Date.parse(p.deadlines.handleBy) - handleBy).toBe(held);
  const mail = await sys.smtp.waitFor((m) => m.subject.includes(id) && m.subject.includes('访调对接结果') && m.to.includes(officer.email));
  expect(mail.text).toContain('当事人拒绝调解');
  expect(mail.text).toContain('办理期限');
  await replayCase(sys, id, 'petition-v2-transfer-refused');
});

test('petitions are read by petition officers in their area and by the responsible leader only', async () => {
  const id = await register('读取权限');
  await post(id, 'reply', officer.token, { decision: 'supported', opinion: 'x' }); // refused (409); no matter
  const supervisor = await sys.user('supervisor', where.county);
  const grid = await sys.user('grid_worker', where.village);
  const areaLeader = await sys.user('leader', where.county, { name: '同县领导' });
  const responsible = await sys.user('leader', '他县', { name: '包案领导' });
  const outsideOfficer = await sys.user('petition_officer', '他县');
  expect((await post(id, 'leader', officer.token, { leaderId: responsible.id })).status).toBe(200);
  const reads = [`/api/v1/petitions/${id}`, `/api/v1/petitions/${id}/documents`];
  for (const who of [supervisor, grid, mediator]) {
    for (const route of [...reads, '/api/v1/petitions']) expect([route, (await sys.call('GET', route, { token: who.token })).status]).toEqual([route, 403]);
  }
  // A leader of the county who is not the 包案领导 does not read it; the responsible one does, whatever its area.
  for (const route of reads) {
    expect((await sys.call('GET', route, { token: areaLeader.token })).status).toBe(404);
    expect((await sys.call('GET', route, { token: responsible.token })).status).toBe(200);
    expect((await sys.call('GET', route, { token: outsideOfficer.token })).status).toBe(404);
    expect((await sys.call('GET', route, { token: officer2.token })).status).toBe(200);
  }
  expect((await sys.call('GET', '/api/v1/petitions', { token: areaLeader.token })).body.items).toEqual([]);
  expect((await sys.call('GET', '/api/v1/petitions', { token: responsible.token })).body.items.map((i: any) => i.id)).toEqual([id]);
  // Acting follows reading: the county's other leader may not act on a petition it is not responsible for.
  expect((await post(id, 'assign', areaLeader.token, { unit: 'x', unitHead: 'y' })).status).toBe(404);
});
