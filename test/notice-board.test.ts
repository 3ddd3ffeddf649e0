import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { toShanghaiDisplay } from '../domain/time';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { expectLegalEnd } from './law';

/**
 * The public notice board in a real headless Chromium (Debian's `chromium`, driven by playwright-core), against the
 * whole system at the default policy: what a villager sees on the list and on a notice, that text typed by the clerk
 * or by a villager (`<script>`, tags, quotes) shows as text and never runs, filing an objection with the page's form,
 * and the printed page. Writes test-results/notice-board.png.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.resolve(__dirname, '..', 'test-results', 'notice-board.png');

let sys: TestSystem;
let browser: Browser;
const where = uniqueVillage('公开');
const west = `${where.township}/西村`;
const XSS_TITLE = '修建<script>window.__pwned = "title"</script>文化广场';
const XSS_DESCRIPTION = '广场占地2亩，"含健身器材" & 路灯 <img src=x onerror="window.__pwned = \'img\'">';
let noticeId: string;
let westNoticeId: string;

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
async function resolvedMatter(token: string, body: object): Promise<string> {
  const created = await sys.call('POST', '/api/v1/village-decisions', { token, body });
  if (created.status !== 201) throw new Error(`open: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id;
  const steps: Array<[string, number, number, number, object?]> = [
    ['party_branch', 5, 5, 5],
    ['two_committees', 7, 7, 6],
    ['party_members', 42, 28, 25],
    ['villagers', 860, 300, 280, { households: 300, householdsRepresented: 201 }],
  ];
  let minutes = 90;
  for (const [b, entitled, present, votesFor, extra] of steps) {
    const r = await sys.call('POST', `/api/v1/village-decisions/${id}/meetings`, {
      token,
      body: { body: b, heldAt: ago((minutes -= 10)), noticeGivenAt: ago(11 * 24 * 60), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: '同意', ...extra },
    });
    if (r.status !== 200) throw new Error(`meeting ${b}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return `${id}-R`;
}

beforeAll(async () => {
  sys = await startTestSystem();
  const clerk = await sys.user('village_clerk', where.village, { name: '东村文书' });
  const westClerk = await sys.user('village_clerk', west, { name: '西村文书' });
  noticeId = await resolvedMatter(clerk.token, {
    type: 'collective_income', title: XSS_TITLE, description: XSS_DESCRIPTION, amount: 128000.5, attachments: ['设计图说明 <b>不是粗体</b>'],
  });
  westNoticeId = await resolvedMatter(westClerk.token, { type: 'homestead', title: '2027年度宅基地安排方案', description: '新增宅基地8处，按登记顺序安排' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});
afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

test('a villager sees the current notices by township and village, and each notice with its votes and period', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 }, locale: 'zh-CN' });
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const res = await page.goto(`${sys.url}/notices?area=${encodeURIComponent(where.township)}`);
  expect(res?.status()).toBe(200);
  expect(await page.title()).toBe('公告目录 · 村务公开栏');
  await expect(page.locator('h2').first().innerText()).resolves.toBe(`${where.county} 梁家村镇`);
  expect(await page.locator('h3').allInnerTexts()).toEqual(['东村', '西村']);
  const link = page.locator(`a[href="/notices/${noticeId}"]`);
  expect(await link.innerText()).toBe(`关于「${XSS_TITLE}」的决议公开`);
  expect(await page.locator(`a[href="/notices/${westNoticeId}"]`).innerText()).toBe('关于「2027年度宅基地安排方案」的决议公开');

  await link.click();
  await page.waitForURL(`**/notices/${noticeId}`);
  const body = await page.locator('body').innerText();
  // Typed text shows as text: the script tag is visible, nothing ran, no element was injected.
  expect(body).toContain(XSS_TITLE);
  expect(body).toContain(XSS_DESCRIPTION);
  expect(body).toContain('设计图说明 <b>不是粗体</b>');
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  expect(await page.locator('article script, article img, article b').count()).toBe(0);
  expect(dialogs).toEqual([]);

  expect(await page.locator('h1.title').innerText()).toBe(`关于「${XSS_TITLE}」的决议公开`);
  expect(body).toContain('公示中');
  expect(body).toContain('涉及金额：128,000.50 元');
  expect(body).toContain('集体经济所得收益的使用');
  const notice = (await sys.call('GET', `/api/v1/notices/${noticeId}`)).body;
  expect(body).toContain(`公示期：${toShanghaiDisplay(new Date(notice.startsAt))} 至 ${toShanghaiDisplay(new Date(notice.endsAt))}`);
  expectLegalEnd(Date.parse(notice.startsAt), notice.endsAt, 7, sys.policy.calendar.value);
  // (The page's DOM types are not in this project's lib; innerText is read through a structural type.)
  const rows = await page.locator('table.votes tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').trim())),
  );
  expect(rows.map((r) => [r[0], r[1], r[3], r[4], r[5], r[6], r[7], r[8]])).toEqual([
    ['党支部会提议', '党支部会议', '5', '5', '5', '0', '0', '通过'],
    ['村"两委"会商议', '村"两委"联席会议', '7', '7', '6', '1', '0', '通过'],
    ['党员大会审议', '党员大会', '42', '28', '25', '3', '0', '通过'],
    ['村民代表会议或村民会议决议', '村民会议', '860 300 户', '300 201 户代表', '280', '20', '0', '通过'],
  ]);
  // When each meeting was announced (the notice rules of 村民委员会组织法 Art. 21 and the party members' assembly).
  expect(rows.every((r) => r[2].endsWith('通知'))).toBe(true);
  expect(body).toContain('如何提出异议');
  expect(body).toContain('异议全部答复前不组织实施');
  expect(body).toContain('暂无异议');

  // The villager objects with the page's own form; what it typed comes back as text.
  await page.fill('#text', '<script>window.__pwned = "objection"</script>广场选址离住户太近');
  await page.fill('#name', '李大爷');
  await page.click('form button[type=submit]');
  await page.waitForSelector('text=您的异议已收到');
  const receipt = await page.locator('body').innerText();
  const objectionId = /异议编号：(OBJ-[0-9A-F]{10})/.exec(receipt)?.[1];
  expect(objectionId).toBeDefined();
  await page.click('text=公告页面');
  await page.waitForURL(`**/notices/${noticeId}`);
  const objection = page.locator('.objection');
  expect(await objection.count()).toBe(1);
  expect(await objection.locator('.objection-text').innerText()).toBe('<script>window.__pwned = "objection"</script>广场选址离住户太近');
  expect(await objection.innerText()).toContain('待答复');
  expect(await page.locator('body').innerText()).not.toContain('李大爷'); // names stay off the board
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  const audit = await sys.db.query(`SELECT actor_role, details->>'objectionId' AS id FROM audit_events WHERE action = 'objection_filed' AND case_id = $1`, [
    noticeId.slice(0, -2),
  ]);
  expect(audit.rows).toEqual([{ actor_role: 'public', id: objectionId }]);

  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(20_000);

  // Printed: the form and the navigation are left out, the notice and its votes stay.
  await page.emulateMedia({ media: 'print' });
  expect(await page.locator('form').isVisible()).toBe(false);
  expect(await page.locator('table.votes').isVisible()).toBe(true);
  const pdf = await page.pdf({ format: 'A4' });
  expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
  await page.close();
});

test('unknown notices get a Chinese 404 page; the JSON board lists the same notices', async () => {
  const page = await browser.newPage();
  const res = await page.goto(`${sys.url}/notices/VIL-000000000000-R`);
  expect(res?.status()).toBe(404);
  expect(await page.locator('h1.title').innerText()).toBe('未找到公告');
  await page.close();
  const json = await sys.call('GET', `/api/v1/notices?area=${encodeURIComponent(where.township)}`);
  expect(json.status).toBe(200);
  expect(json.body.items.map((n: any) => [n.id, n.village, n.status])).toEqual([
    [noticeId, '东村', '公示中'],
    [westNoticeId, '西村', '公示中'],
  ]);
  expect((await sys.call('GET', '/api/v1/notices?area=%2F%2F')).status).toBe(400);
});
