import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { actorRef } from '../domain/actors';
import { applyPetitionAction, DEADLINE_NAMES, registerPetition, STATUS_NAMES, type Petition, type PetitionStaffAction } from '../domain/petition';
import { availablePetitionActions } from '../domain/petition-available';
import { petitionTask } from '../api/console/petition-actions';
import { toShanghaiDeadlineDisplay } from '../domain/time';
import { axeFindings, check, createMember, DESKTOP, launch, PHONE, SHOTS, signedIn, type Member } from './console-helpers';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * The staff steps on the petition page (/console/petitions/:id) in headless Chromium: a petition officer names the
 * responsible leader, assigns and accepts; the leader extends and replies on the phone. Each page offers exactly the
 * steps the domain allows (availablePetitionActions, the check the workflow's validator runs); a refused form keeps
 * what was typed and shows the error by its field; a form without CSRF is refused; a double submit changes nothing;
 * 待办 lists the petition's task and the county's meeting awaiting minutes.
 */
let sys: TestSystem;
let browser: Browser;
const where = uniqueVillage('信访办');
let officer: Member, colleague: Member, leader: Member, otherLeader: Member;
let pid = '';
let waiting = '';
let moved = '';
let dispute = '';

const register = async (subject: string) => {
  const r = await sys.call('POST', '/api/v1/petitions', {
    token: officer.token,
    body: { petitioner: { name: '周某', phone: '13800000000' }, subject: `${subject}-${where.county}`, content: '村道硬化工程占用承包地，补偿未落实。', channel: 'visit', area: where.township },
  });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
};

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launch();
  officer = await createMember(sys, 'petition_officer', where.county, { name: '信访干部丙' });
  colleague = await createMember(sys, 'petition_officer', where.county, { name: '信访干部己' });
  leader = await createMember(sys, 'leader', where.county, { name: '包案领导丁' });
  otherLeader = await createMember(sys, 'leader', where.county, { name: '包案领导戊' });
  pid = await register('村道占地补偿');
  waiting = await register('灌溉机井维修');
  moved = await register('自来水管网改造');
  dispute = await register('邻里排水纠纷');
});
afterAll(async () => {
  await browser?.close();
  await sys?.stop();
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.writeFileSync(path.join(SHOTS, 'axe-findings-petition-actions.json'), JSON.stringify(axeFindings, null, 2));
});

const offered = (page: Page) => page.locator('#actions summary').allInnerTexts();
const submit = async (page: Page, form: string) => {
  await Promise.all([page.waitForURL(/done=/), page.click(`#do-${form} button[type=submit]`)]);
};
const open = async (page: Page, form: string) => {
  if ((await page.locator(`#do-${form}`).getAttribute('open')) === null) await page.click(`#do-${form} summary`);
};
const timeline = async (id: string): Promise<Petition['timeline']> => (await sys.call('GET', `/api/v1/petitions/${id}`, { token: officer.token })).body.timeline;

test('the steps offered follow the domain check, state by state', () => {
  const policy = sys.policy;
  const actor = { id: 'u1', name: '信访干部', role: 'petition_officer' as const };
  let p = registerPetition({
    petitionId: 'PET-000000000001', petitioner: { name: '周某' }, subject: 's', content: 'c', channel: 'visit', area: '县/镇',
    registeredBy: actor, registeredAt: Date.parse('2026-03-02T09:00:00+08:00'), policy,
  }).petition;
  let now = Date.parse('2026-03-03T09:00:00+08:00');
  const step = (a: PetitionStaffAction) => {
    p = applyPetitionAction(p, a, now, policy).next;
    now += 3_600_000;
  };
  const can = () => availablePetitionActions(p, actorRef(actor), now, policy).sort();
  expect(can()).toEqual(['assign', 'assignLeader', 'transferToMediation']);
  step({ type: 'assign', actor, unit: { name: '县交通局', headName: '赵局长' } });
  expect(can()).toEqual(['accept', 'assignLeader', 'object', 'transferToMediation']);
  step({ type: 'accept', actor, notice: '予以受理' });
  expect(can()).toEqual(['assignLeader', 'extend', 'reply', 'transferToMediation']);
  step({ type: 'extend', actor, days: 30, reason: '需实地测量', approvedBy: '赵局长' });
  expect(can()).toEqual(['assignLeader', 'reply', 'transferToMediation']); // one extension only
  step({ type: 'reply', actor, decision: 'supported', opinion: '予以补偿' });
  expect(can()).toEqual(['assignLeader', 'requestReview']);
  // After the review window has passed, the review request is no longer offered.
  now = Date.parse(p.deadlines.reviewRequestBy!) + 1;
  expect(can()).toEqual(['assignLeader']);
});

test('待办 names the task from the steps allowed: 待交办, 待受理, 待答复, overdue marked, nothing while the petitioner has the turn', () => {
  const policy = sys.policy;
  const actor = { id: 'u1', name: '信访干部', role: 'petition_officer' as const, area: '县', email: 'u1@test.pingan.cn' };
  let p = registerPetition({
    petitionId: 'PET-000000000002', petitioner: { name: '周某' }, subject: 's', content: 'c', channel: 'visit', area: '县/镇',
    registeredBy: actor, registeredAt: Date.parse('2026-03-02T09:00:00+08:00'), policy,
  }).petition;
  const now = Date.parse('2026-03-03T09:00:00+08:00');
  const task = () => petitionTask(p, actor, now, policy);
  const step = (a: PetitionStaffAction) => (p = applyPetitionAction(p, a, now, policy).next);
  expect(task()).toBe('待交办');
  step({ type: 'assign', actor, unit: { name: '县交通局', headName: '赵局长' } });
  expect(task()).toBe('待受理');
  step({ type: 'accept', actor, notice: '予以受理' });
  expect(task()).toBe('待答复');
  expect(petitionTask({ ...p, overdue: true }, actor, now, policy)).toBe('待答复（已逾期）');
  step({ type: 'reply', actor, decision: 'supported', opinion: '予以补偿' });
  expect(task()).toBe('待确定包案领导');
  step({ type: 'assignLeader', actor, leader: { id: 'l1', name: '包案领导', role: 'leader' } });
  expect(task()).toBeNull();
});

test('an officer names the leader, assigns and accepts; each page offers exactly the allowed steps (desktop)', async () => {
  const { context, page } = await signedIn(browser, officer, DESKTOP);
  await page.goto(`${sys.url}/console/petitions/${pid}`);
  expect(await offered(page)).toEqual(['转送交办', '确定包案领导', '转人民调解（访调对接）']);
  expect(await check(page, 'petition-actions-registered-desktop')).toEqual([]);

  await open(page, 'leader');
  await page.selectOption('#leader-leaderId', leader.id);
  await submit(page, 'leader');
  expect(await page.locator('[role=status]').innerText()).toBe('已确定包案领导。');
  expect(await page.locator('.facts').innerText()).toContain(leader.name);

  await page.fill('#assign-unit', '县交通运输局');
  await page.fill('#assign-unitHead', '赵局长');
  await submit(page, 'assign');
  expect(await page.locator('[role=status]').innerText()).toBe('已转送交办。');
  expect(await offered(page)).toEqual(['受理并书面告知', '提出异议（不属于本单位职权范围）', '更换包案领导', '转人民调解（访调对接）']);
  expect(await check(page, 'petition-actions-assigned-desktop')).toEqual([]);

  await page.fill('#accept-notice', '经审查，属于本单位职责范围，依法予以受理。');
  await submit(page, 'accept');
  expect(await offered(page)).toEqual(['出具答复意见', '延长办理期限', '更换包案领导', '转人民调解（访调对接）']);
  const steps = (await page.locator('#timeline li').allInnerTexts()).map((s) => s.split('\n')[0]);
  expect(steps.slice(1)).toEqual([
    expect.stringContaining('确定包案领导'),
    expect.stringContaining('转送交办'),
    expect.stringContaining('受理并书面告知'),
  ]);
  expect(await check(page, 'petition-actions-accepted-desktop')).toEqual([]);
  await context.close();
});

test('the leader extends and replies on the phone: the deadline and the rule are shown, a refused form keeps what was typed', async () => {
  const { context, page } = await signedIn(browser, leader, PHONE);
  // 待办: the petition waits for the reply.
  const row = page.locator('ol.tasks li', { hasText: pid });
  expect(await row.innerText()).toContain('待答复');
  await page.goto(`${sys.url}/console/petitions/${pid}`);
  expect(await offered(page)).toEqual(['出具答复意见', '延长办理期限', '更换包案领导', '转人民调解（访调对接）']);
  const api = await sys.call('GET', `/api/v1/petitions/${pid}`, { token: leader.token });
  const deadline = await page.locator('#reply-deadline').innerText();
  expect(deadline).toContain(toShanghaiDeadlineDisplay(new Date(api.body.deadlines.handleBy)));
  expect(deadline).toMatch(/剩余\d+天/);
  await open(page, 'extension');
  expect(await page.locator('#extension-rule').innerText()).toBe(
    '办理期限为受理之日起60日；情况复杂的，经承办单位负责人（赵局长）批准可以延长一次，延长期限不得超过30日，并告知信访人延期理由。',
  );
  expect(await check(page, 'petition-actions-leader-phone')).toEqual([]);

  // An extension approved by someone who is not the unit head: refused by the domain, shown by the field.
  await page.fill('#extension-days', '20');
  await page.fill('#extension-reason', '需要委托第三方测量占地面积');
  await page.fill('#extension-approvedBy', '钱科长');
  await page.click('#do-extension button[type=submit]');
  await page.waitForSelector('#extension-approvedBy-error');
  expect(await page.locator('#extension-approvedBy-error').innerText()).toContain('延期须经承办单位负责人（赵局长）批准');
  expect(await page.inputValue('#extension-reason')).toBe('需要委托第三方测量占地面积');
  expect(await page.inputValue('#extension-days')).toBe('20');
  expect(await page.locator('#do-extension').getAttribute('open')).not.toBeNull();
  expect(await check(page, 'petition-actions-extension-refused-phone')).toEqual([]);
  await page.fill('#extension-approvedBy', '赵局长');
  await submit(page, 'extension');
  expect(await page.locator('.facts').innerText()).toContain('20天');

  // A reply without its opinion: the error by the field, the chosen decision kept.
  await open(page, 'reply');
  await page.check('#do-reply input[value=partially_supported]');
  await page.click('#do-reply button[type=submit]');
  await page.waitForSelector('#reply-opinion-error');
  expect(await page.locator('#reply-opinion-error').innerText()).toBe('请填写意见。');
  expect(await page.isChecked('#do-reply input[value=partially_supported]')).toBe(true);
  await page.fill('#reply-opinion', '经调查，占地补偿款于2026年12月底前补发到位。');
  await submit(page, 'reply');
  expect(await page.locator('[role=status]').innerText()).toBe('答复意见书已出具。');
  expect(await page.locator('#reply').innerText()).toContain('部分支持');
  expect(await offered(page)).toEqual(['登记复查申请', '更换包案领导']);
  expect(await page.locator('table.deadlines').innerText()).toContain(DEADLINE_NAMES.reviewRequestBy);
  expect(await check(page, 'petition-actions-replied-phone')).toEqual([]);
  await context.close();
});

test('a double submit changes nothing; a form without its CSRF token is refused', async () => {
  const { context, page } = await signedIn(browser, officer, DESKTOP);
  await page.goto(`${sys.url}/console/petitions/${waiting}`);
  const csrf = await page.locator('#do-leader input[name=_csrf]').inputValue();
  const seen = await page.locator('#do-leader input[name=seen]').inputValue();
  const post = (ctx: BrowserContext, form: Record<string, string>) =>
    ctx.request.post(`${sys.url}/console/petitions/${waiting}/leader`, { form, maxRedirects: 0 });
  const before = (await timeline(waiting)).length;

  const forged = await post(context, { leaderId: otherLeader.id, seen });
  expect(forged.status()).toBe(403);
  expect(await forged.text()).toContain('表单已失效');
  expect(await timeline(waiting)).toHaveLength(before);

  // A step the API does not have (even one named like an object's own property) is 404.
  for (const step of ['constructor', 'weekly-review']) {
    const r = await context.request.post(`${sys.url}/console/petitions/${waiting}/${step}`, { form: { _csrf: csrf, seen }, maxRedirects: 0 });
    expect(r.status()).toBe(404);
  }

  // The same form sent twice at once (a double click): one step.
  const [a, b] = await Promise.all([post(context, { _csrf: csrf, seen, leaderId: otherLeader.id }), post(context, { _csrf: csrf, seen, leaderId: otherLeader.id })]);
  expect([a.status(), b.status()]).toEqual([303, 303]);
  const after = await timeline(waiting);
  expect(after.filter((e) => e.action === 'leader_assigned')).toHaveLength(1);
  expect(after).toHaveLength(before + 1);
  // And once more later, from the same page: still one.
  expect((await post(context, { _csrf: csrf, seen, leaderId: otherLeader.id })).status()).toBe(303);
  expect(await timeline(waiting)).toHaveLength(before + 1);

  // A form shown before another member moved the petition on: the reason and what was typed stay on the page.
  await page.goto(`${sys.url}/console/petitions/${moved}`);
  await page.fill('#assign-unit', '县水务局');
  await page.fill('#assign-unitHead', '孙局长');
  const meanwhile = await sys.call('POST', `/api/v1/petitions/${moved}/assign`, { token: colleague.token, body: { unit: '县住建局', unitHead: '李局长' } });
  expect(meanwhile.status).toBe(200);
  await page.click('#do-assign button[type=submit]');
  await page.waitForSelector('#stale');
  const stale = await page.locator('#stale').innerText();
  expect(stale).toContain(`当前状态为“${STATUS_NAMES.assigned}”，不能办理此操作`);
  expect(stale).toContain('县水务局');
  expect(stale).toContain('孙局长');
  expect(await offered(page)).toEqual(['受理并书面告知', '提出异议（不属于本单位职权范围）', '确定包案领导', '转人民调解（访调对接）']);
  expect(await check(page, 'petition-actions-stale-desktop')).toEqual([]);
  await context.close();
});

test('an officer transfers a petition to people\'s mediation; a village outside its area is refused by the field (phone, JavaScript off)', async () => {
  const { context, page } = await signedIn(browser, officer, PHONE, false);
  await page.goto(`${sys.url}/console/petitions/${dispute}`);
  await page.click('#do-transfer-to-mediation summary');
  await page.selectOption('#transfer-to-mediation-category', 'neighbourhood');
  await page.fill('#transfer-to-mediation-area', '别的县/某镇/某村');
  await page.fill('#transfer-to-mediation-respondent1', '吴某');
  await page.click('#do-transfer-to-mediation button[type=submit]');
  await page.waitForSelector('#transfer-to-mediation-area-error');
  expect(await page.locator('#transfer-to-mediation-area-error').innerText()).toBe('只能转交本辖区内的村。');
  expect(await page.inputValue('#transfer-to-mediation-respondent1')).toBe('吴某');
  expect(await page.inputValue('#transfer-to-mediation-category')).toBe('neighbourhood');
  await check(page, 'petition-actions-transfer-refused-phone', false);
  await page.fill('#transfer-to-mediation-area', where.village);
  await submit(page, 'transfer-to-mediation');
  expect(await page.locator('[role=status]').innerText()).toBe('已转人民调解，调解案件已登记。');
  expect(await page.locator('.badges').innerText()).toContain(STATUS_NAMES.in_mediation);
  const link = page.locator('.facts a[href^="/console/mediations/MED-"]');
  expect(await link.count()).toBe(1);
  // While the mediation has the matter, the office's steps wait; only the responsible leader may still be named.
  expect(await offered(page)).toEqual(['确定包案领导']);
  await check(page, 'petition-actions-in-mediation-phone', false);
  await context.close();
});

test('待办 lists the petition to assign and the meeting awaiting minutes, with its minutes deadline', async () => {
  const called = await sys.call('POST', '/api/v1/meetings', { token: officer.token, body: {} });
  expect(called.status).toBe(202);
  const id: string = called.body.id;
  for (let i = 0; i < 100; i++) {
    const r = await sys.call('GET', `/api/v1/meetings/${encodeURIComponent(id)}`, { token: officer.token });
    if (r.status === 200 && r.body.status === 'agenda_sent') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const { context, page } = await signedIn(browser, officer, PHONE);
  const item = (text: string) => page.locator('ol.tasks li', { hasText: text });
  expect(await item(waiting).innerText()).toContain('待交办');
  const meeting = await item('待录入会议纪要').innerText();
  expect(meeting).toContain('信访稳定集中办公会议');
  expect(meeting).toContain('周调度会议');
  expect(meeting).toMatch(/剩余\d+(天|小时)/);
  expect(await page.locator(`a[href="/console/meetings/${encodeURIComponent(id)}"]`).count()).toBeGreaterThan(0);
  // The replied petition waits for the petitioner, not for the office: no task.
  expect(await item(pid).count()).toBe(0);
  expect(await check(page, 'worklist-petition-officer-phone')).toEqual([]);
  await context.close();
});
