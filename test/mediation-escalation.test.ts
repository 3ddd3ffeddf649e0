import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { replayCase } from './replay-helpers';

/**
 * On the real dev server, through HTTP, with a short POLICY_FILE (seconds instead of days): an untouched case is
 * reminded, climbs village → township → county by itself, and is marked overdue at county, with every mail sent.
 */
const short: Policy = JSON.parse(JSON.stringify(DEFAULT_POLICY));
short.version = 'test-short-seconds';
short.mediation.acceptanceLimit = { value: { value: 4, unit: 'seconds' }, source: 'test' };
short.mediation.levelLimits.village = { value: { value: 8, unit: 'seconds' }, source: 'test' };
short.mediation.levelLimits.township = { value: { value: 8, unit: 'seconds' }, source: 'test' };
short.mediation.levelLimits.county = { value: { value: 8, unit: 'seconds' }, source: 'test' };
short.mediation.reminderShare = { value: 0.5, source: 'test' };

let sys: TestSystem;
const where = uniqueVillage('升级');
const policyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-policy-')), 'policy.json');

beforeAll(async () => {
  fs.writeFileSync(policyFile, JSON.stringify(short, null, 2));
  sys = await startTestSystem({ env: { POLICY_FILE: policyFile } });
});
afterAll(async () => {
  await sys?.stop();
});

test('an untouched case escalates by itself to township and county and is overdue at county; supervisors are told', async () => {
  const grid = await sys.user('grid_worker', where.village, { name: '网格员' });
  const vm = await sys.user('mediator', where.village, { level: 'village', name: '村调解员' });
  const tm = await sys.user('mediator', where.township, { level: 'township', name: '乡镇调解员' });
  const cm = await sys.user('mediator', where.county, { level: 'county', committee: 'family', name: '县婚调委' });
  const cmOther = await sys.user('mediator', where.county, { level: 'county', committee: 'traffic', name: '县交调委' });
  const sup = await sys.user('supervisor', where.county, { name: '县督导' });

  const created = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: {
      category: 'family', summary: '赡养老人费用分担争议', area: where.village, channel: 'hotline',
      parties: [{ name: '王大', role: 'applicant', email: 'wangda@example.cn' }, { name: '王二', role: 'respondent' }],
    },
  });
  expect(created.status).toBe(201);
  expect(created.body.policyVersion).toBe('test-short-seconds');
  const id = created.body.id;
  const opened = Date.parse(created.body.openedAt);

  const reminder = await sys.smtp.waitFor((m) => m.to.includes(vm.email) && m.subject.includes('办理提醒'), 15_000);
  expect(reminder.subject).toContain(id);
  const township = await sys.smtp.waitFor((m) => m.to.includes(tm.email) && m.subject.includes('上交案件待受理'), 15_000);
  expect(township.text).toContain('逾期未受理');
  await sys.smtp.waitFor((m) => m.to.includes(sup.email) && m.subject.includes('转至乡镇'), 15_000);
  const county = await sys.smtp.waitFor((m) => m.to.includes(cm.email) && m.subject.includes('上交案件待受理'), 20_000);
  expect(county.text).toContain('婚姻家庭纠纷人民调解委员会');
  expect(sys.smtp.messages.some((m) => m.to.includes(cmOther.email))).toBe(false);
  const overdue = await sys.smtp.waitFor((m) => m.to.includes(sup.email) && m.subject.includes('逾期预警'), 20_000);
  expect(overdue.subject).toContain(id);

  const state = await sys.call('GET', `/api/v1/mediations/${id}`, { token: sup.token });
  expect(state.body).toMatchObject({ level: 'county', status: 'awaiting_acceptance', overdue: true, committee: 'family', responsibleArea: where.county });
  const tl = state.body.timeline.map((e: any) => [e.action, e.actor.id, e.to.level]);
  expect(tl).toEqual([
    ['opened', grid.id, 'village'],
    ['acceptance_reminder', 'system', 'village'],
    ['escalated', 'system', 'township'],
    ['acceptance_reminder', 'system', 'township'],
    ['escalated', 'system', 'county'],
    ['acceptance_reminder', 'system', 'county'],
    ['overdue', 'system', 'county'],
  ]);
  // Each step came when the policy says, counted from the case's arrival at its level (the report, then each
  // escalation): the reminder at half of the 4-second acceptance limit, the next step at its end. Never early, and late
  // by less than 1.5 s; a late timer on a loaded machine shifts the levels after it but not these offsets.
  const at = state.body.timeline.map((e: any) => Date.parse(e.at));
  const arrivals = [opened, at[2], at[4]];
  arrivals.forEach((arrived, level) => {
    const reminder = (at[1 + 2 * level] - arrived) / 1000;
    const next = (at[2 + 2 * level] - arrived) / 1000;
    expect(reminder).toBeGreaterThanOrEqual(2);
    expect(reminder).toBeLessThan(3.5);
    expect(next).toBeGreaterThanOrEqual(4);
    expect(next).toBeLessThan(5.5);
  });

  // Visibility: the overdue flag is a search attribute.
  let found: string[] = [];
  for (let i = 0; i < 50 && !found.includes(id); i++) {
    found = [];
    for await (const w of sys.client.workflow.list({ query: `PinganOverdue = true AND PinganLevel = 'county' AND PinganArea = '${where.county}'` })) {
      found.push(w.workflowId);
    }
    if (!found.includes(id)) await new Promise((r) => setTimeout(r, 200));
  }
  expect(found).toEqual([id]);
  const reg = await sys.db.query('SELECT overdue, level FROM cases WHERE id = $1', [id]);
  expect(reg.rows[0]).toEqual({ overdue: true, level: 'county' });

  // The supervisor urges; the committee's mediators must explain; then they mediate to an agreement.
  const urge = await sys.call('POST', `/api/v1/mediations/${id}/urge`, { token: sup.token, body: { message: '请立即受理并说明逾期原因' } });
  expect(urge.status).toBe(200);
  expect(urge.body.explanationRequired).toBe(true);
  const urged = await sys.smtp.waitFor((m) => m.to.includes(cm.email) && m.subject.includes('督办通知'));
  expect(urged.text).toContain('请立即受理并说明逾期原因');
  expect(urged.text).toContain('新的办结期限');
  expect((await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: cmOther.token, body: {} })).status).toBe(403);
  expect((await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: cm.token, body: {} })).status).toBe(200);
  const explained = await sys.call('POST', `/api/v1/mediations/${id}/explanation`, {
    token: cm.token,
    body: { explanation: '当事人在外地务工，已约定面谈', targetDate: new Date(Date.now() + 3 * 86400_000).toISOString() },
  });
  expect(explained.status).toBe(200);
  expect(explained.body.explanationRequired).toBe(false);
  await sys.smtp.waitFor((m) => m.to.includes(sup.email) && m.subject.includes('逾期说明'));
  const agreed = await sys.call('POST', `/api/v1/mediations/${id}/agreement`, {
    token: cm.token,
    body: { form: 'written', terms: '兄弟二人每月各承担赡养费800元', parties: ['王大', '王二'] },
  });
  expect(agreed.status).toBe(200);
  expect(agreed.body).toMatchObject({ status: 'closed', overdue: false });
  await sys.smtp.waitFor((m) => m.to.includes('wangda@example.cn') && m.subject.includes('调解结果告知'));

  // Every mail of the case went out once.
  const subjects = sys.smtp.messages.filter((m) => m.subject.includes(id)).map((m) => `${m.to.join(',')} ${m.subject}`);
  expect(new Set(subjects).size).toBe(subjects.length);

  // The whole history — timers, escalations, updates — replays against the current code.
  await replayCase(sys, id, 'mediation-v7-lean-escalation-overdue-urge');
  if (process.env.PRINT_TIMELINE) {
    const final = await sys.call('GET', `/api/v1/mediations/${id}`, { token: sup.token });
    console.log(final.body.timeline.map((e: any) => `${e.at}  ${e.action.padEnd(20)} ${e.actor.name.padEnd(6)} ${e.from?.level ?? '-'}/${e.from?.status ?? '-'} → ${e.to.level}/${e.to.status}`).join('\n'));
  }
});
