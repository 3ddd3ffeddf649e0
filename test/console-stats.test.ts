import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { shanghaiDate } from '../domain/time';
import { axeFindings, check, createMember, DESKTOP, launch, PHONE, signedIn, type Member } from './console-helpers';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * /console/stats in headless Chromium at a desktop size and at a phone: the tables, the server-drawn SVG trend with its
 * title, a CSV download (BOM, attachment) per table, errors next to the field, and only supervisors and leaders.
 */
let sys: TestSystem;
let browser: Browser;
const where = uniqueVillage('统计页');
const other = `${where.county}/窝北镇`;
let supervisor: Member;
let leader: Member;
let mediator: Member;

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launch();
  const grid = await createMember(sys, 'grid_worker', where.county, { name: '王网格' });
  mediator = await createMember(sys, 'mediator', where.village, { level: 'village', name: '李调解' });
  supervisor = await createMember(sys, 'supervisor', where.county, { name: '赵督导' });
  leader = await createMember(sys, 'leader', other, { name: '周领导' });
  const open = async (area: string) => {
    const body = { category: 'neighbourhood', summary: '邻里纠纷', parties: [{ name: '张三', role: 'applicant' }, { name: '李四', role: 'respondent' }], area, channel: 'grid' };
    const r = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const done = await open(where.village);
  await open(where.village);
  await open(`${other}/南村`);
  expect((await sys.call('POST', `/api/v1/mediations/${done}/accept`, { token: mediator.token, body: {} })).status).toBe(200);
  const agreed = await sys.call('POST', `/api/v1/mediations/${done}/agreement`, { token: mediator.token, body: { form: 'written', terms: '赔偿五百元', parties: ['张三', '李四'] } });
  expect(agreed.status).toBe(200);
});
afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

/** The body cells of the table whose caption starts with `caption`, as text. */
const cells = (page: import('playwright-core').Page, caption: string): Promise<string[][]> =>
  page.evaluate(`[...document.querySelectorAll('table')]
    .filter((t) => t.caption && t.caption.textContent.trim().startsWith(${JSON.stringify(caption)}))
    .flatMap((t) => [...t.tBodies[0].rows].map((tr) => [...tr.cells].map((c) => c.textContent.trim())))`);

test('a supervisor reads the statistics of its county at desktop size and downloads a table as CSV', async () => {
  const { context, page } = await signedIn(browser, supervisor, DESKTOP);
  await page.click('nav >> text=统计分析');
  await page.waitForURL('**/console/stats');
  await page.fill('#s-area', where.county);
  await Promise.all([page.waitForURL(/\/console\/stats\?/), page.click('button:text("统计")')]);
  expect(await page.textContent('.summary')).toContain('登记 3 件');
  expect(await cells(page, '按业务统计')).toEqual([['矛盾纠纷调解', '3'], ['信访事项', '0'], ['村务决策（四议两公开）', '0']]);
  expect(await cells(page, '按乡镇统计')).toEqual([[where.township, '2', '0', '0', '2'], [other, '1', '0', '0', '1']]);
  const outcomes = await cells(page, '调解成效');
  expect(outcomes[1]).toEqual(['村内化解（小事不出村）', '100.0%', '1', '1']);
  expect(outcomes[3]).toEqual(['调解成功率（达成协议）', '100.0%', '1', '1']);
  expect(outcomes[4]).toEqual(['按期办结率', '100.0%', '1', '1']);
  // The chart: drawn on the server, titled, the month's bar labelled with the same number as the monthly table.
  const month = shanghaiDate(Date.now()).slice(0, 7);
  expect(await page.textContent('svg title')).toBe('月度登记件数趋势');
  expect(await page.$$eval('svg rect', (r) => r.length)).toBe(12);
  expect(await page.textContent('svg desc')).toContain(`${month}：3件`);
  expect((await cells(page, '月度趋势')).find((r) => r[0] === month)).toEqual([month, '3', '3', '0', '0']);
  expect(await check(page, 'stats-desktop')).toEqual([]);
  // No two landmarks of the page share a name.
  expect(axeFindings.filter((f) => f.page === 'stats-desktop' && f.id === 'landmark-unique')).toEqual([]);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('caption:has-text("按乡镇统计") a.csv')]);
  expect(download.suggestedFilename()).toMatch(/^pingan-stats-township-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
  const bytes = fs.readFileSync((await download.path())!);
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(bytes.subarray(3).toString('utf8')).toBe(
    `"乡镇","调解","信访","村务","合计"\r\n"${where.township}","2","0","0","2"\r\n"${other}","1","0","0","1"\r\n`,
  );
  const href = await page.getAttribute('caption:has-text("调解成效") a.csv', 'href');
  const res = await context.request.get(`${sys.url}${href}`);
  expect(res.headers()['content-disposition']).toMatch(/^attachment; filename="pingan-stats-outcomes-/);
  expect(res.headers()['content-type']).toBe('text/csv; charset=utf-8');
  expect((await res.text()).split('\r\n')[2]).toBe('"村内化解（小事不出村）","100.0%","1","1"');

  // A wrong date and an area outside the county: the message next to the field, what was typed kept.
  const bad = await page.goto(`${sys.url}/console/stats?area=${encodeURIComponent(where.county)}&from=2026-13-01&to=2026-01-01`);
  expect(bad!.status()).toBe(400);
  expect(await page.textContent('#from-error')).toBe('请填写有效日期（年-月-日）。');
  await page.goto(`${sys.url}/console/stats?area=${encodeURIComponent(where.county)}&from=2026-03-01&to=2026-01-01`);
  expect(await page.textContent('#to-error')).toBe('截止日期须晚于起始日期。');
  expect(await page.inputValue('#s-from')).toBe('2026-03-01');
  expect(await page.inputValue('#s-area')).toBe(where.county);
  expect(await check(page, 'stats-error')).toEqual([]);
  await page.goto(`${sys.url}/console/stats?area=${encodeURIComponent('别的县')}`);
  expect(await page.textContent('#area-error')).toBe('该区域不在您的辖区内。');
  expect(await page.$('svg')).toBeNull();
  await context.close();
});

test('a township leader on a phone sees its township only; a mediator has no statistics', async () => {
  const { context, page } = await signedIn(browser, leader, PHONE);
  await page.goto(`${sys.url}/console/stats`);
  expect(await page.textContent('.summary')).toContain('登记 1 件');
  expect(await cells(page, '按乡镇统计')).toEqual([[other, '1', '0', '0', '1']]);
  // Nothing wider than the phone: each table row is a card (check() below also finds no box scrolling sideways).
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
  expect(await check(page, 'stats-phone')).toEqual([]);
  expect((await context.request.get(`${sys.url}/console/stats.csv?table=process&area=${encodeURIComponent(where.county)}`)).status()).toBe(400);
  await context.close();

  const m = await signedIn(browser, mediator, PHONE);
  expect(await m.page.$('nav >> text=统计分析')).toBeNull();
  const r = await m.page.goto(`${sys.url}/console/stats`);
  expect(r!.status()).toBe(404);
  await m.context.close();
});
