/**
 * `npm run walk -- <first sign-in link from the npm start banner>`: every role does its daily work in the console of a
 * RUNNING system, in Debian's headless Chromium, as a new user would (no API calls, no curl). Every page is captured at
 * 1280 × 800 and at 390 × 844 into test-results/walk/ and checked with axe-core; serious or critical findings, a step
 * that fails, a visible ISO date or an English error count as problems. Prints per role what it did and found; exits 1
 * on any problem. A second run against the same system: give the console URL and WALK_ADMIN_PASSWORD instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const arg = process.argv[2] ?? process.env.WALK_URL ?? '';
if (!/^https?:\/\//.test(arg)) {
  console.error('usage: npm run walk -- <the "first sign-in" link printed by npm start, or the console URL>');
  process.exit(2);
}
const BASE = new URL(arg).origin;
const SHOTS = path.resolve(__dirname, '..', 'test-results', 'walk');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [{ name: 'desktop', width: 1280, height: 800 }, { name: 'phone', width: 390, height: 844 }] as const;
const ADMIN_PASSWORD = process.env.WALK_ADMIN_PASSWORD ?? 'walk-管理员-密码-2026';
const run = Date.now().toString(36);
const COUNTY = process.env.WALK_COUNTY ?? '肃宁县';
const TOWNSHIP = `${COUNTY}/梁家村镇`;
const VILLAGE = `${TOWNSHIP}/东村`;
/** A small PNG "photo" (8 × 8, red) as a phone camera would hand it over. */
const PHOTO = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAIAQMAAAD+wSzIAAAABlBMVEX/AAD///9BHTQRAAAAC0lEQVQI12NgwAUAABAAAUHkMHkAAAAASUVORK5CYII=',
  'base64',
);

interface Visit { role: string; page: string; file: string; url: string; serious: number; other: number; ids: string[] }
const visits: Visit[] = [];
const problems: { role: string; what: string }[] = [];
const done: Record<string, string[]> = {};

let shotNo = 0;
/** Screenshot at both sizes and axe at both; text checks for what a non-engineer would stumble on. */
async function look(page: Page, role: string, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const n = String(++shotNo).padStart(2, '0');
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    const file = `${n}-${role}-${name}-${size.name}.png`;
    await page.screenshot({ path: path.join(SHOTS, file), fullPage: true });
    await page.evaluate(AXE);
    const r = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as { violations: { id: string; impact: string; nodes: unknown[] }[] };
    const serious = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    visits.push({ role, page: name, file, url: page.url().replace(BASE, ''), serious: serious.length, other: r.violations.length - serious.length, ids: r.violations.map((v) => `${v.id}:${v.impact}`) });
    for (const v of serious) problems.push({ role, what: `axe ${v.impact} ${v.id} on ${name} (${size.name})` });
    // Wider than the phone: something a reader has to scroll sideways for (test/console-helpers.ts check() also finds boxes that do).
    if (size.name === 'phone') {
      const wide = (await page.evaluate(`document.documentElement.scrollWidth`)) as number;
      if (wide > size.width + 1) problems.push({ role, what: `${name} is ${wide}px wide at 390px` });
    }
  }
  await page.setViewportSize({ width: SIZES[0].width, height: SIZES[0].height });
  const text = await page.locator('main').innerText().catch(() => page.locator('body').innerText());
  if (/\b\d{4}-\d\d-\d\dT\d\d:\d\d/.test(text)) problems.push({ role, what: `${name} shows an ISO timestamp` });
  const english = text.match(/\b(error|invalid|not found|forbidden|conflict|cannot|must|required|expected|failed)\b[^\n]{0,60}/i);
  if (english) problems.push({ role, what: `${name} shows English: "${english[0]}"` });
}

function did(role: string, what: string) {
  (done[role] ??= []).push(what);
  console.log(`  [${role}] ${what}`);
}

async function step(role: string, what: string, fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
    did(role, what);
    return true;
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    problems.push({ role, what: `${what}: ${msg}` });
    console.log(`  [${role}] FAILED ${what}: ${msg}`);
    return false;
  }
}

const click = async (page: Page, selector: string, url: string | RegExp) => {
  await Promise.all([page.waitForURL(url, { timeout: 20_000 }), page.click(selector)]);
};

interface Person { role: string; label: string; name: string; email: string; password: string; invitation?: string; level?: string; committee?: string; area: string; id?: string }

let browser: Browser;
async function session(p: Person, phone = false): Promise<Page> {
  const size = phone ? SIZES[1] : SIZES[0];
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  const page = await context.newPage();
  if (p.invitation) {
    await page.goto(p.invitation);
    await look(page, p.label, 'invite');
    await page.fill('#password', p.password);
    await page.fill('#confirm', p.password);
    await click(page, 'button[type=submit]', '**/console?welcome=1');
    p.invitation = undefined;
  } else {
    await page.goto(`${BASE}/console/sign-in`);
    await page.fill('#email', p.email);
    await page.fill('#password', p.password);
    await click(page, 'button[type=submit]', /\/console$/);
  }
  return page;
}

const people: Record<string, Person> = {};
const member = (key: string, role: string, label: string, name: string, area: string, extra: Partial<Person> = {}): Person =>
  (people[key] = { role, label, name, area, email: `walk-${key}-${run}@pingan.example`, password: `walk-${key}-密码-${run}`, ...extra });

async function main() {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  console.log(`walking ${BASE}/console; screenshots in ${SHOTS}`);
  fs.rmSync(SHOTS, { recursive: true, force: true });

  // ---- administrator: the banner's link, then every role's member, each invitation followed
  const admin: Person = { role: 'admin', label: 'admin', name: '系统管理员', email: 'admin@pingan.local', password: ADMIN_PASSWORD, area: '*', invitation: arg.includes('/console/invite/') ? arg : undefined };
  const a = await session(admin);
  await step('admin', 'signed in via the start banner link, 待办', async () => { await look(a, 'admin', 'worklist'); });
  member('grid', 'grid_worker', 'grid', '王网格', VILLAGE);
  member('vmed', 'mediator', 'village-mediator', '李调解', VILLAGE, { level: 'village' });
  member('tmed', 'mediator', 'township-mediator', '周调解', TOWNSHIP, { level: 'township' });
  member('cmed', 'mediator', 'county-mediator', '吴调解', COUNTY, { level: 'county', committee: 'traffic' });
  member('sup', 'supervisor', 'supervisor', '赵督导', COUNTY);
  member('po', 'petition_officer', 'petition-officer', '孙信访', COUNTY);
  member('lead', 'leader', 'leader', '钱县长', COUNTY);
  member('clerk', 'village_clerk', 'village-clerk', '东村文书', VILLAGE);
  member('spare', 'grid_worker', 'grid', '临时网格员', VILLAGE);
  let first = true;
  for (const p of Object.values(people)) {
    await step('admin', `created ${p.role}${p.level ? `/${p.level}` : ''} ${p.name} and copied the invitation`, async () => {
      await a.goto(`${BASE}/console/members`);
      if (first) await look(a, 'admin', 'members');
      await click(a, 'text=新增成员', '**/console/members/new');
      if (first) await look(a, 'admin', 'member-new');
      await a.fill('#name', p.name);
      await a.fill('#email', p.email);
      await a.selectOption('#role', p.role);
      await a.fill('#area', p.area);
      if (p.level) await a.selectOption('#level', p.level);
      if (p.committee) await a.selectOption('#committee', p.committee);
      await a.click('form[action="/console/members/new"] button[type=submit]');
      p.invitation = await a.inputValue('#link');
      if (first) await look(a, 'admin', 'invitation');
      first = false;
    });
  }

  // ---- grid worker, on the phone: a report with a photo, then its reports
  let reported = '';
  let second = '';
  const g = await session(people.grid, true);
  await step('grid', 'set a password via the invitation; 待办', async () => { await look(g, 'grid', 'worklist'); });
  await step('grid', 'reported a dispute with a photo from the phone', async () => {
    await g.goto(`${BASE}/console/report`);
    await look(g, 'grid', 'report');
    await g.setViewportSize({ width: 390, height: 844 });
    await g.selectOption('#category', 'neighbourhood');
    await g.fill('#summary', '两户因排水沟堵塞发生争执，雨后积水进院');
    await g.fill('#party1_name', '张三');
    await g.fill('#party1_phone', '13800000001');
    await g.fill('#party2_name', '李四');
    await g.setInputFiles('#photos', { name: 'IMG_0001.png', mimeType: 'image/png', buffer: PHOTO });
    await click(g, 'form[action="/console/report"] button[type=submit]', /\/console\/mediations\/MED-[0-9A-F]+\?done=reported/);
    reported = /MED-[0-9A-F]+/.exec(g.url())![0];
    if ((await g.locator('ul.photos img').count()) !== 1) throw new Error('the photo is not on the case page');
    await look(g, 'grid', 'case-reported');
  });
  await step('grid', 'reported a second dispute (to be escalated)', async () => {
    await g.goto(`${BASE}/console/report`);
    await g.selectOption('#category', 'debt');
    await g.fill('#summary', '借款三万元到期未还，双方对利息有争议');
    await g.fill('#party1_name', '周五');
    await g.fill('#party2_name', '郑六');
    await click(g, 'form[action="/console/report"] button[type=submit]', /\?done=reported/);
    second = /MED-[0-9A-F]+/.exec(g.url())![0];
  });
  await step('grid', 'looked at its reports', async () => {
    await g.goto(`${BASE}/console/reports`);
    await look(g, 'grid', 'reports');
  });

  // ---- village mediator: accept, session, agreement and the 协议书; escalate the second case
  const m = await session(people.vmed);
  await step('village-mediator', 'saw the new case on 待办 and opened it', async () => {
    await look(m, 'village-mediator', 'worklist');
    await click(m, `ol.tasks a[href="/console/mediations/${reported}"]`, `**/console/mediations/${reported}`);
    await look(m, 'village-mediator', 'case-awaiting');
  });
  await step('village-mediator', 'accepted', async () => {
    await m.click('summary:text("受理")');
    await m.fill('#accept-note', '已电话联系双方');
    await click(m, 'form[action$="/accept"] button', '**?done=accept');
  });
  await step('village-mediator', 'recorded a session', async () => {
    await m.click('summary:text("登记调解")');
    await m.fill('#session-summary', '双方到村委会面谈，同意共同疏通排水沟');
    await click(m, 'form[action$="/session"] button', '**?done=session');
    await look(m, 'village-mediator', 'case-in-mediation');
  });
  await step('village-mediator', 'recorded an agreement', async () => {
    await m.click('summary:text("达成调解协议")');
    await m.fill('#terms', '双方共同疏通排水沟，费用各半');
    await m.fill('#performance', '一周内完成疏通，费用当场结清');
    await click(m, 'form[action$="/agreement"] button', '**?done=agreement');
    await look(m, 'village-mediator', 'case-agreement');
  });
  await step('village-mediator', 'opened and printed the 人民调解协议书', async () => {
    await click(m, 'text=查看并打印人民调解协议书', `**/console/mediations/${reported}/agreement`);
    await look(m, 'village-mediator', 'agreement-document');
    fs.writeFileSync(path.join(SHOTS, 'agreement-print.pdf'), await m.pdf({ format: 'A4' }));
    await m.emulateMedia({ media: 'print' });
    await m.screenshot({ path: path.join(SHOTS, `${String(++shotNo).padStart(2, '0')}-village-mediator-agreement-print.png`), fullPage: true });
    await m.emulateMedia({ media: 'screen' });
  });
  await step('village-mediator', 'accepted the second case and asked to escalate it to the township', async () => {
    await m.goto(`${BASE}/console/mediations/${second}`);
    await m.click('summary:text("受理")');
    await click(m, 'form[action$="/accept"] button', '**?done=accept');
    await m.click('summary:text("申请上交上一级")');
    await m.fill('#escalate-reason', '涉及金额较大，村级难以调处');
    await click(m, 'form[action$="/escalate"] button', '**?done=escalate');
    await look(m, 'village-mediator', 'case-escalated');
  });
  await step('village-mediator', 'looked at the unit case list', async () => {
    await m.goto(`${BASE}/console/mediations`);
    await look(m, 'village-mediator', 'case-list');
  });

  // ---- township and county mediators: their work lists
  const t = await session(people.tmed, true);
  await step('township-mediator', 'saw the escalated case on 待办 and opened it', async () => {
    await look(t, 'township-mediator', 'worklist');
    await t.goto(`${BASE}/console/mediations/${second}`);
    await look(t, 'township-mediator', 'case');
  });
  const c = await session(people.cmed, true);
  await step('county-mediator', '待办 and the unit case list', async () => {
    await look(c, 'county-mediator', 'worklist');
    await c.goto(`${BASE}/console/mediations`);
    await look(c, 'county-mediator', 'case-list');
  });

  // ---- supervisor: overview, urge, statistics, CSV
  const s = await session(people.sup, true);
  await step('supervisor', 'overview of the county', async () => {
    await look(s, 'supervisor', 'worklist');
    await s.goto(`${BASE}/console/overview`);
    await look(s, 'supervisor', 'overview');
  });
  await step('supervisor', 'found the escalated case in the case list and urged it', async () => {
    await s.goto(`${BASE}/console/mediations`);
    await look(s, 'supervisor', 'case-list');
    await click(s, `a[href="/console/mediations/${second}"]`, `**/console/mediations/${second}`);
    await s.click('summary:text("督办")');
    await s.fill('#message', '请于三日内说明进展');
    await click(s, 'form[action$="/urge"] button', '**?done=urge');
    if (!(await s.locator('#timeline').innerText()).includes('督办')) throw new Error('the urge is not in the timeline');
    await look(s, 'supervisor', 'case-urged');
  });
  await step('supervisor', 'statistics and a CSV download', async () => {
    await s.goto(`${BASE}/console/stats`);
    await look(s, 'supervisor', 'stats');
    const [download] = await Promise.all([s.waitForEvent('download'), s.locator('a.csv').first().click()]);
    const file = path.join(SHOTS, `supervisor-${download.suggestedFilename()}`);
    await download.saveAs(file);
    if (fs.statSync(file).size === 0) throw new Error('the CSV is empty');
  });

  // ---- petition officer: register, assign, the week's meeting and its minutes
  let petition = '';
  const po = await session(people.po);
  await step('petition-officer', '待办 and the register', async () => {
    await look(po, 'petition-officer', 'worklist');
    await po.goto(`${BASE}/console/petitions`);
    await look(po, 'petition-officer', 'petitions');
  });
  await step('petition-officer', 'registered a petition', async () => {
    await click(po, 'text=登记信访事项', '**/console/petitions/new');
    await look(po, 'petition-officer', 'petition-new');
    await po.fill('#subject', '反映村道年久失修，雨天无法通行');
    await po.fill('#name', '刘七');
    await po.fill('#phone', '13900000007');
    await po.fill('#content', '村东至县道的村道年久失修，坑洼积水，雨天学生无法通行，请求修缮。');
    await po.selectOption('#channel', 'visit');
    await po.fill('#area', VILLAGE);
    await click(po, 'form[action="/console/petitions/new"] button[type=submit]', /\/console\/petitions\/PET-[0-9A-F]+\?done=registered/);
    petition = /PET-[0-9A-F]+/.exec(po.url())![0];
    await look(po, 'petition-officer', 'petition-registered');
  });
  await step('petition-officer', 'named the leader and assigned it to a unit', async () => {
    if (!petition) throw new Error('no petition');
    await po.goto(`${BASE}/console/petitions/${petition}`);
    const leader = po.locator('#do-leader select');
    if (await leader.count()) {
      await po.$eval('#do-leader', (d) => d.setAttribute('open', ''));
      const value = await leader.locator('option', { hasText: people.lead.name }).first().getAttribute('value');
      await leader.selectOption(value ?? '');
      await click(po, '#do-leader button[type=submit]', /done=leader/);
    }
    await po.$eval('#do-assign', (d) => d.setAttribute('open', ''));
    await po.locator('#do-assign input[name=unit]').fill('梁家村镇人民政府');
    await po.locator('#do-assign input[name=unitHead]').fill('镇长 高八');
    await click(po, '#do-assign button[type=submit]', /done=assign/);
    await look(po, 'petition-officer', 'petition-assigned');
  });
  let meeting = '';
  await step('petition-officer', "prepared this week's dispatch meeting", async () => {
    await po.goto(`${BASE}/console/meetings`);
    await look(po, 'petition-officer', 'meetings');
    await click(po, 'form[action="/console/meetings"] button[type=submit]', /\/console\/meetings\/.+/);
    meeting = po.url();
  });
  await step('petition-officer', 'entered the minutes with one direction per petition', async () => {
    if (!meeting) throw new Error('no meeting');
    await po.goto(meeting);
    await po.waitForSelector('#minutes-form', { timeout: 20_000 });
    await look(po, 'petition-officer', 'meeting');
    await po.fill('#chair', people.lead.name);
    await po.fill('#attendees', `${people.lead.name}、${people.po.name}`);
    const select = po.locator('#minutes-form select').first();
    if (await select.count()) {
      const id = (await select.getAttribute('id'))!.replace(/^direction-/, '');
      await select.selectOption({ index: 1 });
      await po.fill(`#note-${id}`, '十日内拿出修路方案');
    }
    await click(po, '#minutes-form button[type=submit]', /done=minutes/);
    await look(po, 'petition-officer', 'meeting-minutes');
  });

  // ---- leader: own petitions and statistics
  const l = await session(people.lead, true);
  await step('leader', '待办, own petitions, statistics', async () => {
    await look(l, 'leader', 'worklist');
    await l.goto(`${BASE}/console/petitions`);
    await look(l, 'leader', 'petitions');
    if (petition && !(await l.locator('body').innerText()).includes(petition)) throw new Error('the leader does not see its petition');
    await l.goto(`${BASE}/console/stats`);
    await look(l, 'leader', 'stats');
    await l.goto(`${BASE}/console/meetings`);
    await look(l, 'leader', 'meetings');
  });

  // ---- village clerk: a matter, its meetings (one without quorum), an objection, the public board
  const HOUR = 3_600_000;
  const local = (ms: number) => new Date(ms + 8 * HOUR).toISOString().slice(0, 16);
  let matter = '';
  const k = await session(people.clerk, true);
  const meet = async (body: string, heldAt: number, entitled: number, present: number, yes: number, noticeGivenAt?: number) => {
    await k.selectOption('#body', body);
    if (noticeGivenAt) await k.fill('#noticeGivenAt', local(noticeGivenAt));
    await k.fill('#heldAt', local(heldAt));
    await k.fill('#entitled', String(entitled));
    await k.fill('#present', String(present));
    await k.fill('#for', String(yes));
    await k.fill('#against', String(present - yes));
    await k.fill('#abstain', '0');
    await k.fill('#minutes', '会议记录：讨论硬化主街方案');
    await click(k, 'form[action$="/meeting"] button[type=submit]', /done=meeting/);
  };
  await step('village-clerk', 'opened a matter', async () => {
    await look(k, 'village-clerk', 'worklist');
    await k.goto(`${BASE}/console/village`);
    await look(k, 'village-clerk', 'villages');
    await click(k, 'text=登记新事项', '**/console/village/new');
    await look(k, 'village-clerk', 'village-new');
    await k.selectOption('#type', 'public_works');
    await k.fill('#title', '硬化村内东西主街');
    await k.fill('#description', '主街1.2公里水泥硬化，宽4米');
    await k.fill('#amount', '350000');
    await k.fill('#attachments', '预算表：水泥、人工、机械共35万元');
    await click(k, 'form[action="/console/village/new"] button[type=submit]', /\/console\/village\/VIL-[0-9A-F]+\?done=opened/);
    matter = /VIL-[0-9A-F]+/.exec(k.url())![0];
    await look(k, 'village-clerk', 'matter-opened');
  });
  await step('village-clerk', 'recorded the party branch, the two committees, and a party members assembly without quorum', async () => {
    const now = Date.now();
    await meet('party_branch', now - 6 * 24 * HOUR, 7, 6, 5);
    await meet('two_committees', now - 5 * 24 * HOUR, 9, 8, 8);
    await meet('party_members', now - 3 * HOUR, 30, 12, 12, now - 5 * 24 * HOUR);
    if (!(await k.locator('#no-quorum').count())) throw new Error('the page does not say why the meeting does not count');
    await look(k, 'village-clerk', 'meeting-no-quorum');
    await meet('party_members', now - 2 * HOUR, 30, 25, 22, now - 5 * 24 * HOUR);
    await meet('representatives', now - HOUR, 40, 35, 30);
    await look(k, 'village-clerk', 'resolution-notice');
  });
  await step('village-clerk', 'a villager objected on the public board; the clerk answered', async () => {
    const villager = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await villager.goto(`${BASE}/notices?area=${encodeURIComponent(VILLAGE)}`);
    await villager.locator('a[href^="/notices/"]').first().click();
    await villager.fill('#text', '造价偏高，希望公开比价');
    await villager.fill('#name', '张三');
    await villager.click('form[action$="/objections"] button[type=submit]');
    await villager.close();
    await k.goto(`${BASE}/console/village/${matter}`);
    await look(k, 'village-clerk', 'objection');
    await k.locator('#objections textarea').fill('已请三家单位比价，明细张贴于村务公开栏');
    await click(k, '#objections form button', /done=answer/);
    await look(k, 'village-clerk', 'objection-answered');
  });
  await step('village-clerk', 'opened the public board from the console', async () => {
    await k.goto(`${BASE}/console/village`);
    await click(k, 'text=查看本村公示栏', /\/notices\?area=/);
    await look(k, 'village-clerk', 'public-board');
  });

  // ---- administrator: change a role, deactivate a member, the policy
  await step('admin', `changed ${people.spare.name}'s role to village clerk`, async () => {
    await a.goto(`${BASE}/console/members?text=${encodeURIComponent(people.spare.email)}`);
    await click(a, `tr:has-text("${people.spare.email}") a:text("修改")`, /\/console\/members\/[^/?]+$/);
    await look(a, 'admin', 'member-change');
    await a.selectOption('#role', 'village_clerk');
    await click(a, 'main form button[type=submit]', '**/console/members?done=changed');
  });
  await step('admin', `deactivated ${people.spare.name}`, async () => {
    await a.goto(`${BASE}/console/members?text=${encodeURIComponent(people.spare.email)}`);
    await click(a, `tr:has-text("${people.spare.email}") button:text("停用")`, '**/console/members?done=deactivated');
    await look(a, 'admin', 'members-after');
  });
  await step('admin', 'read the policy page', async () => {
    await a.goto(`${BASE}/console/policy`);
    await look(a, 'admin', 'policy');
  });
  await browser.close();

  // ---- report
  console.log('\nPages (screenshots in test-results/walk/, axe serious+critical / other):');
  for (const v of visits) console.log(`  ${v.role.padEnd(18)} ${v.page.padEnd(22)} ${String(v.serious).padStart(2)} / ${String(v.other).padStart(2)}  ${v.file}  ${v.url}${v.ids.length ? `  [${v.ids.join(', ')}]` : ''}`);
  console.log('\nWhat each role did:');
  for (const [role, list] of Object.entries(done)) console.log(`  ${role}: ${list.join('; ')}`);
  fs.writeFileSync(path.join(SHOTS, 'walk.json'), JSON.stringify({ visits, problems, done }, null, 2));
  if (problems.length) {
    console.log(`\n${problems.length} problem(s):`);
    for (const p of problems) console.log(`  [${p.role}] ${p.what}`);
    process.exit(1);
  }
  console.log('\nno problems');
}

main().catch(async (err) => {
  console.error(err);
  await browser?.close().catch(() => undefined);
  process.exit(1);
});
