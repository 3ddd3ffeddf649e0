import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { adminInvitation } from '../api/console/accounts';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { check, createMember, DESKTOP, launch, PHONE, signedIn, SHOTS, axeFindings, type Member } from './console-helpers';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * The staff console end to end in headless Chromium, at a desktop size and at a 390 × 844 phone: the first
 * administrator and an invited member set their passwords and sign in; a grid worker reports from the phone with
 * JavaScript off; a village mediator accepts, records an agreement and opens the printable 协议书; a supervisor finds
 * an overdue case on the overview and urges it. Screenshots of every page go to test-results/console/; axe-core
 * finds no serious or critical violation on any page.
 *
 * The policy is the default but for traffic disputes at county (3 seconds), so a county case becomes overdue quickly
 * while village cases keep their real limits.
 */
const policy: Policy = JSON.parse(JSON.stringify(DEFAULT_POLICY));
policy.version = 'test-console';
policy.mediation.categories.find((c) => c.code === 'traffic')!.levelLimits = { county: { value: { value: 3, unit: 'seconds' }, source: 'test' } };

let sys: TestSystem;
let browser: Browser;
const where = uniqueVillage('工作台');
const west = `${where.township}/西村`;
let grid: Member;
let mediator: Member;
let westMediator: Member;
let supervisor: Member;
let countyMediator: Member;
/** A 1 × 1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
let photoOfOtherArea = '';
const XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

beforeAll(async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-console-')), 'policy.json');
  fs.writeFileSync(file, JSON.stringify(policy));
  sys = await startTestSystem({ env: { POLICY_FILE: file } });
  browser = await launch();
  grid = await createMember(sys, 'grid_worker', where.village, { name: '王网格' });
  mediator = await createMember(sys, 'mediator', where.village, { level: 'village', name: '李调解' });
  westMediator = await createMember(sys, 'mediator', west, { level: 'village', name: '钱调解' });
  supervisor = await createMember(sys, 'supervisor', where.county, { name: '赵督导' });
  countyMediator = await createMember(sys, 'mediator', where.county, { level: 'county', committee: 'traffic', name: '县交调委调解员' });
});
afterAll(async () => {
  await browser?.close();
  await sys?.stop();
  // What axe-core found on every page, of any impact (the tests fail on serious or critical ones).
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.writeFileSync(path.join(SHOTS, 'axe-findings.json'), JSON.stringify(axeFindings, null, 2));
});

const casesOf = async (userId: string) =>
  (await sys.db.query(`SELECT id FROM cases WHERE kind = 'mediation' AND snapshot->'openedBy'->>'id' = $1`, [userId])).rows.map((r) => r.id as string);

test('the first administrator signs in with the start link; an invited member sets a password and signs in (phone)', async () => {
  // What npm start prints: a one-time link while the built-in administrator has no password.
  const invite = await adminInvitation(sys.db);
  expect(invite).toBeDefined();
  const admin: Member = { id: 'admin', name: '系统管理员', email: 'admin@pingan.local', token: sys.adminToken, invitation: `${sys.url}/console/invite/${invite!.token}`, password: 'admin-密码-2026-long' };
  const a = await signedIn(browser, admin, DESKTOP);
  expect(await a.page.locator('header .who').innerText()).toContain('系统管理员');
  expect(await check(a.page, 'admin-worklist-desktop')).toEqual([]);
  expect(await adminInvitation(sys.db)).toBeUndefined(); // the banner no longer prints a link
  // Members: a fresh invitation link (shown once), and deactivation, which ends the bearer token as well.
  const leaving = await createMember(sys, 'village_clerk', where.village, { name: '离任文书' });
  await a.page.click('nav >> text=成员管理');
  await a.page.waitForURL('**/console/members');
  await a.page.fill('#f-text', leaving.email);
  await Promise.all([a.page.waitForURL('**/console/members?text=*'), a.page.click('form.filters button')]);
  expect(await a.page.locator('table.list tbody tr').count()).toBe(1);
  expect(await check(a.page, 'members-desktop')).toEqual([]);
  const row = a.page.locator('tr', { hasText: leaving.email });
  expect(await row.innerText()).toContain('待设置密码');
  await Promise.all([a.page.waitForResponse((r) => r.url().endsWith('/invitation')), row.locator('button', { hasText: '生成邀请链接' }).click()]);
  const link = await a.page.inputValue('#link');
  expect(link).toMatch(/\/console\/invite\/[\w-]{43}$/);
  expect(await check(a.page, 'invitation-desktop')).toEqual([]);
  expect((await fetch(leaving.invitation)).status).toBe(404); // the earlier link stopped working
  expect((await fetch(link)).status).toBe(200);
  await a.page.goto(`${sys.url}/console/members?text=${encodeURIComponent(leaving.email)}`);
  await Promise.all([a.page.waitForURL('**/console/members?done=deactivated'), a.page.locator('tr', { hasText: leaving.email }).locator('button', { hasText: '停用' }).click()]);
  await a.page.goto(`${sys.url}/console/members?text=${encodeURIComponent(leaving.email)}`);
  expect(await a.page.locator('tr', { hasText: leaving.email }).innerText()).toContain('已停用');
  expect((await sys.call('GET', '/api/v1/users/me', { token: leaving.token })).status).toBe(401);
  expect((await fetch(link)).status).toBe(404);
  // The link works once.
  const again = await a.page.goto(admin.invitation);
  expect(again?.status()).toBe(404);
  await a.context.close();

  const m = await createMember(sys, 'grid_worker', where.village, { name: '新网格员' });
  expect(m.invitation).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/invite\/[\w-]{43}$/);
  const context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(m.invitation);
  expect(await page.locator('h1').innerText()).toBe('设置密码');
  expect(await check(page, 'invite-phone')).toEqual([]);
  // Refused: the error stands next to the field, in Chinese.
  await page.fill('#password', m.password);
  await page.fill('#confirm', 'something else');
  await page.click('button[type=submit]');
  expect(await page.locator('#confirm-error').innerText()).toBe('两次输入的密码不一致。');
  expect(await check(page, 'invite-error-phone')).toEqual([]);
  await page.fill('#password', m.password);
  await page.fill('#confirm', m.password);
  await Promise.all([page.waitForURL('**/console?welcome=1'), page.click('button[type=submit]')]);
  expect(await page.locator('[role=status]').innerText()).toContain('密码已设置');
  // The session cookie is HTTP-only, SameSite=Lax, limited to /console.
  const cookie = (await context.cookies()).find((c) => c.name === 'pingan_console');
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/console', secure: false });
  // Sign out, then sign in with email and password.
  await Promise.all([page.waitForURL('**/console/sign-in?out=1'), page.click('text=退出登录')]);
  expect(await check(page, 'sign-in-phone')).toEqual([]);
  await page.fill('#email', m.email);
  await page.fill('#password', m.password);
  await Promise.all([page.waitForURL(/\/console$/), page.click('button[type=submit]')]);
  expect(await page.locator('h1').innerText()).toBe('待办');
  // Sign out everywhere ends this session too.
  await Promise.all([page.waitForURL('**/console/sign-in?out=1'), page.click('text=在所有设备上退出')]);
  await page.goto(`${sys.url}/console`);
  expect(page.url()).toContain('/console/sign-in?next=%2Fconsole');
  await context.close();
});

test('a grid worker reports from the phone with JavaScript off; refused input is kept; a double submit changes nothing', async () => {
  const { context, page } = await signedIn(browser, grid, PHONE, false);
  await page.goto(`${sys.url}/console/report`);
  expect(await page.inputValue('#area')).toBe(where.village);
  await check(page, 'report-phone', false);
  // Refused: errors next to the fields, what was typed stays.
  // A file that is not an image is refused next to the photo field.
  await page.setInputFiles('#photos', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
  await page.click('form[action="/console/report"] button');
  expect(await page.locator('#photos-error').innerText()).toBe('只能上传JPEG、PNG或WebP格式的照片。');
  await page.setInputFiles('#photos', { name: '现场.png', mimeType: 'image/png', buffer: PNG });
  await page.fill('#party1_name', '张三');
  await page.fill('#party1_phone', 'abc');
  await page.click('form[action="/console/report"] button');
  expect(await page.locator('#category-error').innerText()).toBe('请选择纠纷类别。');
  expect(await page.locator('#summary-error').innerText()).toBe('请填写纠纷概况，至少5个字。');
  expect(await page.inputValue('#party1_name')).toBe('张三');
  expect(await page.locator('#photos-kept').innerText()).toBe('已保留 1 张照片，无需重新选择。');
  await check(page, 'report-errors-phone', false);
  expect(await casesOf(grid.id)).toEqual([]);

  await page.selectOption('#category', 'neighbourhood');
  await page.fill('#summary', `两户因排水沟堵塞发生争执 ${XSS}`);
  await page.fill('#party1_phone', '13800000000');
  await page.fill('#party2_name', '李四');
  await Promise.all([page.waitForURL(/\/console\/mediations\/MED-[0-9A-F]{12}\?done=reported$/), page.click('form[action="/console/report"] button')]);
  const id = /MED-[0-9A-F]{12}/.exec(page.url())![0];
  expect(await page.locator('[role=status]').innerText()).toBe('已上报，案件已登记。');
  expect(await page.locator('.card .text').first().innerText()).toBe(`两户因排水沟堵塞发生争执 ${XSS}`);
  await check(page, 'case-reported-phone', false);
  // The photo kept from the refused form is with the case, shown to those who may see the case, to others 404.
  const img = page.locator('ul.photos img');
  expect(await img.count()).toBe(1);
  const photoUrl = `${sys.url}${await img.getAttribute('src')}`;
  const photo = await context.request.get(photoUrl);
  expect(photo.status()).toBe(200);
  expect(photo.headers()['content-type']).toBe('image/png');
  expect(Buffer.from(await photo.body()).equals(PNG)).toBe(true);
  photoOfOtherArea = photoUrl;
  const audited = await sys.db.query(`SELECT actor_id FROM audit_events WHERE case_id = $1 AND action = 'photo_added'`, [id]);
  expect(audited.rows).toEqual([{ actor_id: grid.id }]);
  // The grid worker has no action on the case.
  expect(await page.locator('section.actions').count()).toBe(0);

  // The same form submitted twice (same key): one case.
  await page.goto(`${sys.url}/console/report`);
  const form = Object.fromEntries(
    await page.locator('form[action="/console/report"] input[type=hidden]').evaluateAll((els) => els.map((e) => [e.getAttribute('name'), e.getAttribute('value')])),
  );
  const body = new URLSearchParams({ ...form, category: 'debt', summary: '借款三万元到期未还', area: where.village, channel: 'grid', party1_name: '周五', party1_role: 'applicant' });
  const first = await context.request.post(`${sys.url}/console/report`, { form: Object.fromEntries(body), maxRedirects: 0 });
  const second = await context.request.post(`${sys.url}/console/report`, { form: Object.fromEntries(body), maxRedirects: 0 });
  expect(first.status()).toBe(303);
  expect(second.headers().location).toBe(first.headers().location);
  expect((await casesOf(grid.id)).length).toBe(2);

  await page.goto(`${sys.url}/console/reports`);
  expect(await page.locator('ol.tasks li').count()).toBe(2);
  expect(await page.locator('ol.tasks').innerText()).toContain('村级 · 待受理');
  await check(page, 'my-reports-phone', false);
  // The same pages in a JavaScript-enabled copy of the session, for the accessibility check.
  const withJs = await browser.newContext({ viewport: PHONE, locale: 'zh-CN' });
  await withJs.addCookies(await context.cookies());
  const p2 = await withJs.newPage();
  for (const [url, name] of [['/console/report', 'report'], ['/console/reports', 'my-reports'], [`/console/mediations/${id}`, 'case-grid'], ['/console', 'worklist-grid']]) {
    await p2.goto(`${sys.url}${url}`);
    expect(await check(p2, `${name}-phone-axe`)).toEqual([]);
  }
  expect(await p2.evaluate('window.__pwned')).toBeUndefined();
  await withJs.close();
  await context.close();
});

// On the phone with JavaScript off (plain forms and <details> need none); axe runs on the desktop pass.
test.each([
  ['desktop', DESKTOP, true],
  ['phone without JavaScript', PHONE, false],
] as const)('a village mediator accepts from its work list, records an agreement and prints the 协议书 (%s)', async (label, viewport, js) => {
  const size = label.split(' ')[0];
  const created = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'homestead', summary: '宅基地界址争议，东西两户各执一词', area: where.village, channel: 'grid',
      parties: [{ name: '孙一', role: 'applicant', phone: '13900000001' }, { name: '孙二', role: 'respondent' }] },
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  {
    const { context, page } = await signedIn(browser, mediator, viewport, js);
    const item = page.locator(`ol.tasks a[href="/console/mediations/${id}"]`);
    expect(await item.innerText()).toContain('待受理');
    expect(await item.innerText()).toMatch(/剩余\d+(天|小时|分钟)/); // acceptance by the end of the next working day
    expect(await check(page, `worklist-mediator-${size}`, js)).toEqual([]);
    await item.click();
    await page.waitForURL(`**/console/mediations/${id}`);
    // Exactly the actions the domain allows a village mediator on a case awaiting acceptance.
    expect(await page.locator('section.actions summary').allInnerTexts()).toEqual(['受理', '指派调解员', '申请上交上一级', '当事人撤回', '当事人拒绝调解']);
    expect(await check(page, `case-awaiting-${size}`, js)).toEqual([]);
    await page.click('summary:text("受理")');
    await page.fill('#accept-note', '已电话联系双方');
    await Promise.all([page.waitForURL('**?done=accept'), page.click('form[action$="/accept"] button')]);
    expect(await page.locator('section.actions summary').allInnerTexts()).toEqual(['登记调解', '达成调解协议', '指派调解员', '申请上交上一级', '调解不成', '当事人撤回', '当事人拒绝调解']);
    expect(await page.locator('#timeline').innerText()).toContain('受理');

    // Refused agreement: the error stands next to the field, the text typed is kept.
    await page.click('summary:text("达成调解协议")');
    await page.fill('#terms', '以村委会2019年测量图为准，界桩由双方共同确认');
    await page.click('form[action$="/agreement"] button');
    expect(await page.locator('#performance-error').innerText()).toBe('请填写履行方式和期限。');
    expect(await page.inputValue('#terms')).toBe('以村委会2019年测量图为准，界桩由双方共同确认');
    expect(await check(page, `case-agreement-error-${size}`, js)).toEqual([]);
    await page.fill('#performance', '2026年12月10日前共同埋设界桩，费用各半');
    await Promise.all([page.waitForURL('**?done=agreement'), page.click('form[action$="/agreement"] button')]);
    expect(await page.locator('.badges').innerText()).toContain('达成协议');
    expect(await page.locator('section.actions summary').allInnerTexts()).toEqual(['司法确认', '回访']);
    expect(await check(page, `case-agreement-${size}`, js)).toEqual([]);

    await page.click('text=查看并打印人民调解协议书');
    await page.waitForURL(`**/console/mediations/${id}/agreement`);
    const doc = await page.locator('article.document').innerText();
    for (const s of ['人民调解协议书', '申请人：孙一', '被申请人：孙二', '宅基地界址争议', '以村委会2019年测量图为准', '2026年12月10日前共同埋设界桩',
      '当事人（签名、盖章或按指印）：孙一', '人民调解员（签名）：李调解', `${where.county}梁家村镇东村人民调解委员会（印章）`,
      '自本协议生效之日起30日内共同向人民法院申请司法确认']) { // the window the policy gives, not a literal
      expect(doc).toContain(s);
    }
    expect(await check(page, `agreement-document-${size}`, js)).toEqual([]);
    // The unit's case list finds the case by a party's name.
    if (size === 'desktop') {
      await page.goto(`${sys.url}/console/mediations?text=${encodeURIComponent('孙二')}`);
      expect(await page.locator('h1').innerText()).toBe('本单位案件');
      expect(await page.locator(`table.list a[href="/console/mediations/${id}"]`).count()).toBe(1);
      await page.goto(`${sys.url}/console/mediations?text=${encodeURIComponent('100%_无此人')}&status=closed`);
      expect(await page.locator('table.list').count()).toBe(0);
      expect(await check(page, `case-list-mediator-${size}`, js)).toEqual([]);
      await page.goto(`${sys.url}/console/mediations/${id}/agreement`);
    }
    // Kept with the case: issued once into the documents, the same text on every later view.
    const kept = await sys.db.query(`SELECT id, kind, body FROM documents WHERE case_id = $1`, [id]);
    expect(kept.rows.map((r) => r.kind)).toEqual(['mediation_agreement']);
    await page.reload();
    expect(await page.locator('article.document').innerText()).toBe(doc);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('nav.nav').isVisible()).toBe(false);
    expect(await page.locator('article.document').isVisible()).toBe(true);
    fs.writeFileSync(path.join(SHOTS, `agreement-document-${size}.pdf`), await page.pdf({ format: 'A4' }));
    await context.close();
  }
});

test('a supervisor finds the overdue case on its overview, urges it, and sees the urge in the timeline', async () => {
  const created = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'traffic', summary: '村口两车剐蹭，赔偿金额争执不下', area: west.replace('西村', '东村'), channel: 'grid', parties: [{ name: '吴甲', role: 'applicant' }, { name: '郑乙', role: 'respondent' }] },
  });
  expect(created.status).toBe(201);
  expect(created.body.level).toBe('county');
  const id = created.body.id;
  for (let i = 0; i < 40; i++) {
    const r = await sys.db.query('SELECT overdue FROM cases WHERE id = $1', [id]);
    if (r.rows[0]?.overdue) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  const { context, page } = await signedIn(browser, supervisor, DESKTOP);
  expect(await page.locator(`a[href="/console/mediations/${id}"]`).innerText()).toContain('逾期待督办');
  await page.click('nav >> text=辖区总览');
  await page.waitForURL('**/console/overview');
  const first = page.locator('ol.tasks li').first();
  expect(await first.getAttribute('class')).toContain('is-overdue');
  expect(await first.innerText()).toMatch(/已超期\d+(秒|分钟)|已超期1分钟/);
  expect(await page.locator('table.grid').innerText()).toContain('梁家村镇');
  expect(await check(page, 'overview-desktop')).toEqual([]);
  await page.click(`a[href="/console/mediations/${id}"]`);
  await page.waitForURL(`**/console/mediations/${id}`);
  expect(await page.locator('section.actions summary').allInnerTexts()).toEqual(['督办']);
  await page.fill('#message', `请于三日内办结 ${XSS}`);
  await Promise.all([page.waitForURL('**?done=urge'), page.click('form[action$="/urge"] button')]);
  const timeline = await page.locator('#timeline li').first().innerText();
  expect(timeline).toContain('督办');
  expect(timeline).toContain(`督办意见：请于三日内办结 ${XSS}`);
  expect(timeline).toContain('须作情况说明');
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  expect(await check(page, 'case-urged-desktop')).toEqual([]);

  // The supervisor's 待办 filtered to overdue work still lists it.
  await page.goto(`${sys.url}/console?overdue=1`);
  expect(await page.locator(`ol.tasks a[href="/console/mediations/${id}"]`).count()).toBe(1);

  // The county committee's mediator owes an explanation: first on its 待办, then a refusal in the form, then done.
  const county = await signedIn(browser, countyMediator, PHONE);
  const task = county.page.locator(`ol.tasks a[href="/console/mediations/${id}"]`);
  expect(await task.innerText()).toContain('督办待说明');
  await task.click();
  await county.page.waitForURL(`**/console/mediations/${id}`);
  expect(await county.page.locator('section.actions summary').allInnerTexts()).toEqual(['受理', '情况说明（督办要求）', '指派调解员', '当事人撤回', '当事人拒绝调解']);
  await county.page.fill('#explanation', '当事人外出务工，已约定下周调解');
  await county.page.fill('#targetDate', '2020-01-01T10:00');
  await county.page.click('form[action$="/explanation"] button');
  expect(await county.page.locator('section.actions .error').innerText()).toBe('新的办结期限须为将来的日期');
  expect(await county.page.inputValue('#explanation')).toBe('当事人外出务工，已约定下周调解');
  expect(await check(county.page, 'case-explanation-refused-phone')).toEqual([]);
  const target = new Date(Date.now() + 5 * 86400_000 + 8 * 3600_000).toISOString().slice(0, 16);
  await county.page.fill('#targetDate', target);
  await Promise.all([county.page.waitForURL('**?done=explanation'), county.page.click('form[action$="/explanation"] button')]);
  expect(await county.page.locator('#timeline li').first().innerText()).toContain('情况说明');
  expect(await county.page.locator('section.actions summary').allInnerTexts()).not.toContain('情况说明（督办要求）');
  await county.context.close();

  await page.goto(`${sys.url}/console/mediations?overdue=1`);
  expect(await page.locator(`a[href="/console/mediations/${id}"]`).count()).toBe(1);
  expect(await check(page, 'case-list-desktop')).toEqual([]);
  // The phone size of the same pages.
  await page.setViewportSize(PHONE);
  for (const [url, name] of [['/console/overview', 'overview-phone'], [`/console/mediations/${id}`, 'case-urged-phone'], ['/console/mediations', 'case-list-phone']]) {
    await page.goto(`${sys.url}${url}`);
    expect(await check(page, name)).toEqual([]);
  }
  await context.close();
});

test('security: other areas are 404, POST without CSRF is refused, sign-in is rate-limited, headers are set', async () => {
  const created = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'debt', summary: '欠款五千元未还清', area: where.village, channel: 'grid', parties: [{ name: '冯丙', role: 'applicant' }] },
  });
  const id = created.body.id;
  const { context, page } = await signedIn(browser, westMediator, DESKTOP);
  const other = await page.goto(`${sys.url}/console/mediations/${id}`);
  expect(other?.status()).toBe(404);
  expect(await page.locator('h1').innerText()).toBe('未找到');
  expect(await check(page, 'not-found-desktop')).toEqual([]);
  expect((await context.request.get(photoOfOtherArea)).status()).toBe(404);
  // Its own mediator, without the CSRF token: refused, nothing changes.
  const own = await signedIn(browser, mediator, DESKTOP);
  const noCsrf = await own.context.request.post(`${sys.url}/console/mediations/${id}/accept`, { form: { note: 'x' }, maxRedirects: 0 });
  expect(noCsrf.status()).toBe(403);
  expect(await noCsrf.text()).toContain('表单已失效');
  const wrongCsrf = await own.context.request.post(`${sys.url}/console/mediations/${id}/accept`, { form: { _csrf: 'x'.repeat(43) }, maxRedirects: 0 });
  expect(wrongCsrf.status()).toBe(403);
  expect((await sys.call('GET', `/api/v1/mediations/${id}`, { token: mediator.token })).body.status).toBe('awaiting_acceptance');
  // The report form with photos (multipart) checks its token as well.
  const before = (await casesOf(mediator.id)).length;
  const multipart = await own.context.request.post(`${sys.url}/console/report`, {
    multipart: { category: 'debt', summary: '借款纠纷无令牌提交', area: where.village, channel: 'walk_in', party1_name: '甲', party1_role: 'applicant', key: 'k1' },
    maxRedirects: 0,
  });
  expect(multipart.status()).toBe(403);
  expect((await casesOf(mediator.id)).length).toBe(before);
  // Security headers on every console page.
  const res = await own.page.goto(`${sys.url}/console`);
  const h = res!.headers();
  expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(h['content-security-policy']).not.toContain('unsafe-inline');
  expect(h['x-frame-options']).toBe('DENY');
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['referrer-policy']).toBe('same-origin');
  await own.context.close();
  await context.close();

  // Idle expiry: a session unused for longer than the idle limit ends, and the member is sent to sign in again.
  const idle = await signedIn(browser, supervisor, DESKTOP);
  await sys.db.query(`UPDATE console_sessions SET last_seen_at = now() - interval '3 hours' WHERE user_id = $1`, [supervisor.id]);
  await idle.page.goto(`${sys.url}/console/overview`);
  expect(idle.page.url()).toContain('/console/sign-in?next=%2Fconsole%2Foverview');
  // Absolute expiry: however busy, a session ends at its expiry.
  const busy = await signedIn(browser, supervisor, DESKTOP);
  await sys.db.query(`UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [supervisor.id]);
  await busy.page.goto(`${sys.url}/console`);
  expect(busy.page.url()).toContain('/console/sign-in');
  await idle.context.close();
  await busy.context.close();

  // Sign-in: five wrong passwords for an email, then even the right one is refused for a while.
  const fresh = await browser.newContext({ viewport: PHONE });
  const p = await fresh.newPage();
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    await p.goto(`${sys.url}/console/sign-in`);
    await p.fill('#email', supervisor.email);
    await p.fill('#password', i < 5 ? `wrong-${i}` : supervisor.password);
    const [r] = await Promise.all([p.waitForResponse((x) => x.url().endsWith('/console/sign-in') && x.request().method() === 'POST'), p.click('button[type=submit]')]);
    statuses.push(r.status());
  }
  expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  expect(await p.locator('#signin-error').innerText()).toContain('登录失败次数过多');
  expect(await check(p, 'sign-in-rate-limited-phone')).toEqual([]);
  await fresh.close();
  // The API's bearer tokens keep working.
  expect((await sys.call('GET', '/api/v1/users/me', { token: supervisor.token })).status).toBe(200);
});
