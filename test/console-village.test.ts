import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_POLICY } from '../domain/policy';
import { describeRule, meetingNoticeRule, OUTCOME_NAMES, quorumRule } from '../domain/village';
import { toShanghaiIso } from '../domain/time';
import { axeFindings, check, createMember, DESKTOP, launch, PHONE, SHOTS, signedIn, type Member } from './console-helpers';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * The village clerk's console (四议两公开) in headless Chromium: a clerk opens a matter, records the party branch and the
 * two committees, a party members' assembly without quorum (recorded, and the page says why it does not count, in the
 * domain's words), then one with quorum; on the phone with JavaScript off it records the resolution and answers an
 * objection a villager filed on the public board. A clerk of another village gets 404; a POST without CSRF is refused.
 * The rules the page must show are taken from the domain here too, never written as numbers.
 */
let sys: TestSystem;
let browser: Browser;
const where = uniqueVillage('村务');
const west = `${where.township}/西村`;
let clerk: Member;
let westClerk: Member;
let matterId = '';
const policy = DEFAULT_POLICY;

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launch();
  clerk = await createMember(sys, 'village_clerk', where.village, { name: '东村文书' });
  westClerk = await createMember(sys, 'village_clerk', west, { name: '西村文书' });
});
afterAll(async () => {
  await browser?.close();
  await sys?.stop();
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.writeFileSync(path.join(SHOTS, 'axe-findings-village.json'), JSON.stringify(axeFindings, null, 2));
});

const HOUR = 3_600_000;
const local = (ms: number) => toShanghaiIso(ms).slice(0, 16);
const matter = async () => (await sys.db.query(`SELECT snapshot FROM cases WHERE id = $1`, [matterId])).rows[0].snapshot;

async function recordMeeting(page: Page, m: { body: string; heldAt: number; noticeGivenAt?: number; entitled: number; present: number; for: number; against: number }) {
  await page.selectOption('#body', m.body);
  if (m.noticeGivenAt) await page.fill('#noticeGivenAt', local(m.noticeGivenAt));
  await page.fill('#heldAt', local(m.heldAt));
  await page.fill('#entitled', String(m.entitled));
  await page.fill('#present', String(m.present));
  await page.fill('#for', String(m.for));
  await page.fill('#against', String(m.against));
  await page.fill('#abstain', '0');
  await page.fill('#minutes', `${m.body} 会议记录：讨论硬化主街方案`);
  await Promise.all([page.waitForURL(/done=meeting/), page.click('form[action$="/meeting"] button[type=submit]')]);
}

const offered = (page: Page) => page.locator('#body option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));

test('a clerk opens a matter, records the steps, and sees why a party members assembly without quorum does not count (desktop)', async () => {
  const { context, page } = await signedIn(browser, clerk, DESKTOP);
  await page.click('nav >> text=本村事项');
  await page.waitForURL('**/console/village');
  expect(await page.locator('a', { hasText: '查看本村公示栏' }).getAttribute('href')).toBe(`/notices?area=${encodeURIComponent(where.village)}`);
  expect(await check(page, 'village-list-empty-desktop')).toEqual([]);

  // Opening: refused input is kept and explained next to the field.
  await page.click('text=登记新事项');
  await page.waitForURL('**/console/village/new');
  await page.selectOption('#type', 'public_works');
  await page.fill('#title', '硬化村内东西主街');
  await page.fill('#description', '主街1.2公里水泥硬化，宽4米');
  await page.click('form[action="/console/village/new"] button[type=submit]');
  expect(await page.locator('#amount-error').innerText()).toBe('涉及资金的事项请填写金额（元）。');
  expect(await page.inputValue('#title')).toBe('硬化村内东西主街');
  expect(await check(page, 'village-new-error-desktop')).toEqual([]);
  await page.fill('#amount', '350000');
  await page.fill('#attachments', '预算表：水泥、人工、机械共35万元');
  await Promise.all([page.waitForURL(/\/console\/village\/VIL-[0-9A-F]{12}\?done=opened/), page.click('form[action="/console/village/new"] button[type=submit]')]);
  matterId = /VIL-[0-9A-F]{12}/.exec(page.url())![0];
  expect(await page.locator('[role=status]').innerText()).toContain('事项已登记');
  // The proposal step: only the party branch, with its rule in the domain's words.
  expect(await offered(page)).toEqual(['party_branch']);
  expect(await page.locator('dl.rules').innerText()).toContain(describeRule(quorumRule(policy, 'party_branch')));
  expect(await page.locator('.left').first().innerText()).toMatch(/^剩余\d+天$/);
  expect(await check(page, 'village-matter-opened-desktop')).toEqual([]);

  // 待办: the matter waits for the party branch.
  await page.goto(`${sys.url}/console`);
  const task = page.locator('ol.tasks li', { hasText: matterId });
  expect(await task.innerText()).toContain('待召开党支部会议');
  await Promise.all([page.waitForURL(`**/console/village/${matterId}`), task.locator('a').click()]);

  const now = Date.now();
  await recordMeeting(page, { body: 'party_branch', heldAt: now - 6 * 24 * HOUR, entitled: 7, present: 6, for: 5, against: 1 });
  expect(await page.locator('[role=status]').innerText()).toBe(`会议已登记：${OUTCOME_NAMES.passed}。`);
  expect(await offered(page)).toEqual(['two_committees']);
  await recordMeeting(page, { body: 'two_committees', heldAt: now - 5 * 24 * HOUR, entitled: 9, present: 8, for: 8, against: 0 });

  // The review step: the party members' assembly, its quorum and its notice rule from the domain.
  expect(await offered(page)).toEqual(['party_members']);
  const rules = await page.locator('dl.rules').innerText();
  expect(rules).toContain(describeRule(quorumRule(policy, 'party_members')));
  expect(rules).toContain(meetingNoticeRule(policy, 'party_members')!);
  // Without quorum: recorded, and the page says why it does not count; the step stays.
  await recordMeeting(page, { body: 'party_members', noticeGivenAt: now - 5 * 24 * HOUR, heldAt: now - 3 * HOUR, entitled: 30, present: 12, for: 12, against: 0 });
  const why = await page.locator('#no-quorum').innerText();
  expect(why).toContain('应到30人，实到12人');
  expect(why).toContain(describeRule(quorumRule(policy, 'party_members')));
  expect(why).toContain(OUTCOME_NAMES.no_quorum);
  expect(await page.locator('#meetings tbody tr').first().innerText()).toContain(OUTCOME_NAMES.no_quorum);
  expect((await matter()).status).toBe('review');
  expect(await offered(page)).toEqual(['party_members']);
  expect(await check(page, 'village-no-quorum-desktop')).toEqual([]);
  expect(axeFindings.filter((f) => f.page === 'village-no-quorum-desktop' && f.id === 'landmark-unique')).toEqual([]);
  // Too short a notice is refused with the domain's rule, and what was typed stays.
  await page.selectOption('#body', 'party_members');
  await page.fill('#noticeGivenAt', local(now - 26 * HOUR));
  await page.fill('#heldAt', local(now - 2 * HOUR));
  await page.fill('#entitled', '30');
  await page.fill('#present', '25');
  await page.fill('#for', '20');
  await page.fill('#against', '3');
  await page.fill('#abstain', '2');
  await page.fill('#minutes', '党员大会审议');
  await page.click('form[action$="/meeting"] button[type=submit]');
  expect(await page.locator('form[action$="/meeting"] .error').innerText()).toContain(meetingNoticeRule(policy, 'party_members')!);
  expect(await page.inputValue('#present')).toBe('25');
  expect((await matter()).meetings).toHaveLength(3);
  // With quorum and proper notice: the step passes.
  await recordMeeting(page, { body: 'party_members', noticeGivenAt: now - 5 * 24 * HOUR, heldAt: now - 2 * HOUR, entitled: 30, present: 25, for: 20, against: 3 });
  expect(await page.locator('[role=status]').innerText()).toBe(`会议已登记：${OUTCOME_NAMES.passed}。`);
  expect((await matter()).status).toBe('resolution');
  // The resolution step offers exactly the two bodies, with both rules and the villagers' assembly's notice rule.
  expect(await offered(page)).toEqual(['representatives', 'villagers']);
  const resolutionRules = await page.locator('dl.rules').innerText();
  expect(resolutionRules).toContain(describeRule(quorumRule(policy, 'representatives')));
  expect(resolutionRules).toContain(describeRule(quorumRule(policy, 'villagers')));
  expect(resolutionRules).toContain(meetingNoticeRule(policy, 'villagers')!);
  expect(await check(page, 'village-resolution-desktop')).toEqual([]);
  await context.close();
});

test('on the phone with JavaScript off the clerk records the resolution and answers an objection filed on the public board', async () => {
  const { context, page } = await signedIn(browser, clerk, PHONE, false);
  await page.goto(`${sys.url}/console/village/${matterId}`);
  await check(page, 'village-resolution-phone', false);
  await recordMeeting(page, { body: 'representatives', heldAt: Date.now() - HOUR, entitled: 40, present: 35, for: 30, against: 5 });
  expect((await matter()).status).toBe('resolution_notice');
  const noticeHref = await page.locator('a', { hasText: '决议公开' }).getAttribute('href');
  expect(noticeHref).toMatch(/^\/notices\//);

  // A villager files an objection on the public board (no sign-in).
  const villager = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', javaScriptEnabled: false });
  const board = await villager.newPage();
  await board.goto(`${sys.url}/notices?area=${encodeURIComponent(where.village)}`);
  await Promise.all([board.waitForURL(`**${noticeHref}`), board.click(`a[href="${noticeHref}"]`)]);
  await board.fill('#text', '造价偏高，希望公开比价');
  await board.fill('#name', '张三');
  await board.click(`form[action$="/objections"] button[type=submit]`);
  expect((await matter()).objections).toHaveLength(1);

  // 待办 shows it; the clerk answers on the matter page.
  await page.goto(`${sys.url}/console`);
  const task = page.locator('ol.tasks li', { hasText: matterId });
  expect(await task.innerText()).toContain('1条异议待答复');
  await Promise.all([page.waitForURL(`**/console/village/${matterId}`), task.locator('a').click()]);
  expect(await page.locator('#objections').innerText()).toContain('造价偏高，希望公开比价');
  expect(await page.locator('form[action$="/meeting"]').count()).toBe(0); // no meeting during the notice
  await check(page, 'village-objection-phone', false);
  const form = page.locator('#objections form');
  await form.locator('button').click(); // empty answer: refused next to the field
  expect(await page.locator('#objections .field-error').innerText()).toBe('请填写答复内容。');
  await page.locator('#objections textarea').fill('已请三家单位比价，明细张贴于村务公开栏');
  await Promise.all([page.waitForURL(/done=answer/), page.locator('#objections form button').click()]);
  expect(await page.locator('[role=status]').innerText()).toContain('答复已登记');
  expect(await page.locator('#objections form').count()).toBe(0);
  expect((await matter()).objections[0].answer.text).toBe('已请三家单位比价，明细张贴于村务公开栏');
  await check(page, 'village-answered-phone', false);
  await board.goto(`${sys.url}${noticeHref}`);
  expect(await board.locator('.answer').innerText()).toContain('已请三家单位比价');
  await villager.close();
  await context.close();

  // The same pages with JavaScript on at the phone size, for axe.
  const axe = await signedIn(browser, clerk, PHONE, true);
  await axe.page.goto(`${sys.url}/console/village/${matterId}`);
  expect(await check(axe.page, 'village-answered-phone-axe')).toEqual([]);
  await axe.page.goto(`${sys.url}/console/village`);
  expect(await axe.page.locator('table.list').innerText()).toContain('决议公开');
  expect(await check(axe.page, 'village-list-phone')).toEqual([]);
  await axe.context.close();
});

test('a clerk of another village gets 404 for the matter; a POST without CSRF is refused and changes nothing', async () => {
  const w = await signedIn(browser, westClerk, DESKTOP);
  const r = await w.page.goto(`${sys.url}/console/village/${matterId}`);
  expect(r?.status()).toBe(404);
  expect(await w.page.locator('body').innerText()).not.toContain('硬化村内东西主街');
  // Its own valid token does not help: the matter is outside its village, answered as 404.
  await w.page.goto(`${sys.url}/console/village`);
  const token = await w.page.locator('input[name=_csrf]').first().inputValue();
  const posted = await w.context.request.post(`${sys.url}/console/village/${matterId}/progress`, { form: { _csrf: token, note: 'n' }, maxRedirects: 0 });
  expect(posted.status()).toBe(404);
  await w.context.close();

  const c = await signedIn(browser, clerk, DESKTOP);
  const before = (await matter()).version;
  const noCsrf = await c.context.request.post(`${sys.url}/console/village/new`, {
    form: { type: 'village_rules', title: '修订村规民约', description: '增加环境卫生条款' },
    maxRedirects: 0,
  });
  expect(noCsrf.status()).toBe(403);
  const answer = await c.context.request.post(`${sys.url}/console/village/${matterId}/meeting`, { form: { body: 'villagers' }, maxRedirects: 0 });
  expect(answer.status()).toBe(403);
  expect((await matter()).version).toBe(before);
  const opened = await sys.db.query(`SELECT count(*)::int AS n FROM cases WHERE kind = 'village_decision' AND area = $1`, [where.village]);
  expect(opened.rows[0].n).toBe(1);
  await c.context.close();
});
