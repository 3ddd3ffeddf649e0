import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { DEADLINE_NAMES, DIRECTION_NAMES, STATUS_NAMES } from '../domain/petition';
import { axeFindings, check, createMember, DESKTOP, launch, PHONE, SHOTS, signedIn, type Member } from './console-helpers';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * The petition register in headless Chromium: a petition officer registers petitions through the API and finds them
 * on /console/petitions (status in Chinese, next deadline with the time left in words, a status filter) and on their
 * pages (every step, every deadline, the reply document); a leader sees only the petitions it is 包案领导 of; an
 * officer of another county gets 404. The names shown are taken from the domain here too.
 */
let sys: TestSystem;
let browser: Browser;
const where = uniqueVillage('信访台');
const elsewhere = uniqueVillage('他县');
let officer: Member, leader: Member, leader2: Member, stranger: Member;
let replied = '';
let other = '';

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launch();
  officer = await createMember(sys, 'petition_officer', where.county, { name: '信访干部' });
  leader = await createMember(sys, 'leader', where.county, { name: '包案领导甲' });
  leader2 = await createMember(sys, 'leader', where.county, { name: '包案领导乙' });
  stranger = await createMember(sys, 'petition_officer', elsewhere.county, { name: '他县信访干部' });

  const post = async (p: string, b: object) => {
    const r = await sys.call('POST', `/api/v1/petitions${p}`, { token: officer.token, body: b });
    if (r.status >= 300) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const body = (subject: string) => ({
    petitioner: { name: '周某', phone: '13800000000' },
    subject: `${subject}-${where.county}`,
    content: '2025年村里征地，补偿款至今只发放一半。',
    channel: 'visit',
    area: where.township,
  });
  replied = (await post('', body('征地补偿款未足额发放'))).id;
  await post(`/${replied}/assign`, { unit: '县自然资源局', unitHead: '王局长' });
  await post(`/${replied}/leader`, { leaderId: leader.id });
  await post(`/${replied}/accept`, { notice: '经审查，依法予以受理' });
  await post(`/${replied}/reply`, { decision: 'partially_supported', opinion: '剩余补偿款于12月底前发放。' });
  other = (await post('', body('宅基地边界争议'))).id;
  await post(`/${other}/assign`, { unit: '县住建局', unitHead: '李局长' });
  await post(`/${other}/leader`, { leaderId: leader2.id });
});
afterAll(async () => {
  await browser?.close();
  await sys?.stop();
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.writeFileSync(path.join(SHOTS, 'axe-findings-petition.json'), JSON.stringify(axeFindings, null, 2));
});

const rowOf = (page: import('playwright-core').Page, id: string) => page.locator('#petitions tbody tr', { hasText: id });

test('a petition officer finds its petitions on the register, filters by status, and reads a petition with every step (desktop)', async () => {
  const { context, page } = await signedIn(browser, officer, DESKTOP);
  await page.click('nav >> text=信访事项');
  await page.waitForURL('**/console/petitions');
  const open = await rowOf(page, other).innerText();
  expect(open).toContain(STATUS_NAMES.assigned);
  expect(open).toContain('县住建局');
  // The next deadline is the nearest of the petition's running deadlines, as the API gives them.
  const api = await sys.call('GET', `/api/v1/petitions/${other}`, { token: officer.token });
  const [nearest] = Object.entries(api.body.deadlines as Record<string, string>).sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));
  expect(open).toContain(DEADLINE_NAMES[nearest[0] as keyof typeof DEADLINE_NAMES]);
  expect(open).toMatch(/剩余\d+(天|小时)/);
  expect(await rowOf(page, replied).innerText()).toContain(STATUS_NAMES.replied);
  expect(await check(page, 'petitions-officer-desktop')).toEqual([]);

  // The status filter keeps only the replied petition.
  await page.selectOption('#f-status', 'replied');
  await Promise.all([page.waitForURL(/status=replied/), page.click('form.filters button[type=submit]')]);
  expect(await rowOf(page, replied).count()).toBe(1);
  expect(await rowOf(page, other).count()).toBe(0);
  expect(await page.inputValue('#f-status')).toBe('replied');

  await Promise.all([page.waitForURL(`**/console/petitions/${replied}`), rowOf(page, replied).locator('a').click()]);
  const steps = await page.locator('#timeline li').allInnerTexts();
  expect(steps.map((s) => s.split('\n')[0])).toEqual([
    expect.stringContaining('登记信访事项'),
    expect.stringContaining('转送交办'),
    expect.stringContaining('确定包案领导'),
    expect.stringContaining('受理并书面告知'),
    expect.stringContaining('出具答复意见书'),
  ]);
  expect(await page.locator('#reply').innerText()).toContain('信访事项答复意见书');
  expect(await page.locator('#reply').innerText()).toContain('部分支持');
  expect(await page.locator('table.deadlines').innerText()).toContain(DEADLINE_NAMES.reviewRequestBy);
  expect(await check(page, 'petition-replied-desktop')).toEqual([]);
  await context.close();
});

test('a leader sees only the petitions it is responsible for; on the phone with JavaScript off', async () => {
  const { context, page } = await signedIn(browser, leader, PHONE, false);
  await page.goto(`${sys.url}/console/petitions`);
  expect(await page.locator('h1').innerText()).toBe('我包案的信访事项');
  expect(await rowOf(page, replied).count()).toBe(1);
  expect(await rowOf(page, other).count()).toBe(0);
  await check(page, 'petitions-leader-phone', false);
  await page.goto(`${sys.url}/console/petitions/${replied}`);
  expect(await page.locator('h1').innerText()).toContain(replied);
  await check(page, 'petition-leader-phone', false);
  const r = await page.goto(`${sys.url}/console/petitions/${other}`);
  expect(r!.status()).toBe(404);
  await context.close();
});

test('an officer of another county gets 404 and an empty register', async () => {
  const { context, page } = await signedIn(browser, stranger, DESKTOP);
  const r = await page.goto(`${sys.url}/console/petitions/${replied}`);
  expect(r!.status()).toBe(404);
  expect(await check(page, 'petition-other-county-404')).toEqual([]);
  await page.goto(`${sys.url}/console/petitions`);
  expect(await page.locator('#petitions').count()).toBe(0);
  expect(await page.locator('.empty').innerText()).toBe('没有符合条件的信访事项。');
  await context.close();
});

test('an officer enters the minutes of the weekly meeting with one direction per petition, and the direction reaches the petition', async () => {
  const called = await sys.call('POST', '/api/v1/meetings', { token: officer.token, body: {} });
  expect(called.status).toBe(202);
  const id: string = called.body.id;
  const url = `/console/meetings/${encodeURIComponent(id)}`;
  for (let i = 0; i < 100; i++) {
    const r = await sys.call('GET', `/api/v1/meetings/${encodeURIComponent(id)}`, { token: officer.token });
    if (r.status === 200 && r.body.status === 'agenda_sent') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const { context, page } = await signedIn(browser, officer, DESKTOP);
  await page.click('nav >> text=周调度会议');
  await page.waitForURL('**/console/meetings');
  await Promise.all([page.waitForURL(`**${url}`), page.locator(`a[href="${url}"]`).click()]);
  expect(await page.locator('#minutes-form legend').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining(other)]));
  const offered = await page.locator(`#direction-${other} option`).allInnerTexts();
  expect(offered).toEqual(['不作指示', ...Object.values(DIRECTION_NAMES)]);
  expect(await check(page, 'meeting-minutes-form-desktop')).toEqual([]);

  // A direction without its note is refused next to the field; what was typed stays.
  await page.fill('#chair', '县委书记');
  await page.fill('#attendees', '县委书记、信访局长');
  await page.selectOption(`#direction-${other}`, 'escalate');
  await page.click('#minutes-form button[type=submit]');
  expect(await page.locator(`#note-${other}-error`).innerText()).toBe('请填写指示内容。');
  expect(await page.inputValue('#attendees')).toBe('县委书记、信访局长');
  expect(await page.inputValue(`#direction-${other}`)).toBe('escalate');
  expect(await check(page, 'meeting-minutes-error-desktop')).toEqual([]);
  await page.fill(`#note-${other}`, '由县住建局局长牵头，两周内实地勘界');
  await Promise.all([page.waitForURL(/done=minutes/), page.click('#minutes-form button[type=submit]')]);
  expect(await page.locator('[role=status]').innerText()).toContain('会议纪要已录入');

  // The direction reaches the petition's timeline.
  let steps: string[] = [];
  for (let i = 0; i < 50; i++) {
    await page.goto(`${sys.url}/console/petitions/${other}`);
    steps = await page.locator('#timeline li').allInnerTexts();
    if (steps.some((s) => s.includes('周调度会议定'))) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const step = steps.find((s) => s.includes('周调度会议定'));
  expect(step).toContain(DIRECTION_NAMES.escalate);
  expect(step).toContain('两周内实地勘界');
  expect(await check(page, 'petition-after-meeting-desktop')).toEqual([]);
  await context.close();
});

test('an officer registers a petition and calls the dispatch meeting in the console, without the API (phone)', async () => {
  const { context, page } = await signedIn(browser, officer, PHONE);
  await page.click('nav >> text=信访事项');
  await Promise.all([page.waitForURL('**/console/petitions/new'), page.click('text=登记信访事项')]);
  expect(await page.inputValue('#area')).toBe(where.county);
  expect(await check(page, 'petition-new-phone')).toEqual([]);

  // Refused: the errors stand next to the fields in Chinese, what was typed stays, nothing is registered.
  const subject = `村道年久失修-${where.county}`;
  await page.fill('#phone', 'abc');
  await page.fill('#content', '村东至县道的村道坑洼积水，雨天无法通行。');
  await page.click('form[action="/console/petitions/new"] button[type=submit]');
  expect(await page.locator('#name-error').innerText()).toBe('请填写信访人姓名。');
  expect(await page.locator('#phone-error').innerText()).toBe('电话号码格式不正确（5至20位数字）。');
  expect(await page.locator('#subject-error').innerText()).toBe('请填写信访事项（不超过200字）。');
  expect(await page.inputValue('#content')).toBe('村东至县道的村道坑洼积水，雨天无法通行。');
  expect(await check(page, 'petition-new-error-phone')).toEqual([]);
  const count = async () => (await sys.db.query(`SELECT count(*)::int AS n FROM cases WHERE kind = 'petition' AND snapshot->>'subject' = $1`, [subject])).rows[0].n;
  expect(await count()).toBe(0);

  await page.fill('#name', '刘七');
  await page.fill('#phone', '13900000007');
  await page.fill('#subject', subject);
  await page.fill('#area', where.village);
  await Promise.all([page.waitForURL(/\/console\/petitions\/PET-[0-9A-F]{12}\?done=registered$/), page.click('form[action="/console/petitions/new"] button[type=submit]')]);
  const id = /PET-[0-9A-F]{12}/.exec(page.url())![0];
  expect(await page.locator('[role=status]').innerText()).toBe('信访事项已登记，请转送交办或确定包案领导。');
  expect(await page.locator('#timeline').innerText()).toContain('登记信访事项');
  expect(await check(page, 'petition-registered-phone')).toEqual([]);
  expect(await count()).toBe(1);

  // The same form submitted twice (same key): one petition.
  await page.goto(`${sys.url}/console/petitions/new`);
  const hidden = Object.fromEntries(
    await page.locator('form[action="/console/petitions/new"] input[type=hidden]').evaluateAll((els) => els.map((e) => [e.getAttribute('name'), e.getAttribute('value')])),
  );
  const form = { ...hidden, name: '孙八', subject: `${subject}（二）`, content: '同上', channel: 'letter', area: where.township };
  const first = await context.request.post(`${sys.url}/console/petitions/new`, { form, maxRedirects: 0 });
  const second = await context.request.post(`${sys.url}/console/petitions/new`, { form, maxRedirects: 0 });
  expect(first.status()).toBe(303);
  expect(second.headers().location).toBe(first.headers().location);
  expect((await sys.db.query(`SELECT count(*)::int AS n FROM cases WHERE snapshot->>'subject' = $1`, [`${subject}（二）`])).rows[0].n).toBe(1);

  // The week's meeting, held now from the console: its agenda lists the new petition and the minutes form is open.
  await page.click('nav >> text=周调度会议');
  await page.waitForURL('**/console/meetings');
  expect(await check(page, 'meetings-phone')).toEqual([]);
  await Promise.all([page.waitForURL(/\/console\/meetings\/[^/?]+\?done=called$/, { timeout: 20_000 }), page.click('form[action="/console/meetings"] button')]);
  expect(await page.locator('[role=status]').innerText()).toContain('会议已召开');
  expect(await page.locator('#minutes-form').innerText()).toContain(id);
  expect(await check(page, 'meeting-called-phone')).toEqual([]);
  await context.close();

  // A leader has no registration form; the register offers it none.
  const l = await signedIn(browser, leader, PHONE);
  expect((await l.page.goto(`${sys.url}/console/petitions/new`))?.status()).toBe(404);
  await l.page.goto(`${sys.url}/console/petitions`);
  expect(await l.page.locator('a[href="/console/petitions/new"]').count()).toBe(0);
  await l.context.close();
});
