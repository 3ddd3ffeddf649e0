import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { agreementDocumentId, fileAgreementDocument, renderAgreementDocument } from '../activities/agreement-document';
import { durationText } from '../domain/duration-text';
import { memberRefusal } from '../domain/members';
import { axeFindings, check, createMember, DESKTOP, launch, PHONE, SHOTS, signedIn, type Member } from './console-helpers';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * The administrator's and supervisor's console beyond mediation (issue 9), in headless Chromium at 1280 x 900 and
 * 390 x 844 with axe-core: an administrator creates a member whose one-time link it copies, the member sets its password
 * and signs in; the administrator changes a member's role (the audit keeps before and after; PATCH /api/v1/users/:id
 * follows the same rule); the policy in force with its sources; a supervisor reads a village matter with no clerk action.
 */
let sys: TestSystem;
let browser: Browser;
const where = uniqueVillage('管理');
let admin: Member;

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launch();
  admin = await createMember(sys, 'admin', where.county, { name: '县管理员' });
});
afterAll(async () => {
  await browser?.close();
  await sys?.stop();
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.writeFileSync(path.join(SHOTS, 'axe-findings-admin.json'), JSON.stringify(axeFindings, null, 2));
});

const fieldError = (page: Page, field: string) => page.locator(`#${field}-error`).innerText();

test('an administrator creates a member in the console; the member opens the link once, sets a password and signs in (desktop, phone)', async () => {
  const { context, page } = await signedIn(browser, admin, DESKTOP);
  await page.click('nav >> text=成员管理');
  await page.waitForURL('**/console/members');
  await page.click('text=新增成员');
  await page.waitForURL('**/console/members/new');
  expect(await page.inputValue('#area')).toBe(where.county);
  expect(await check(page, 'admin-member-new-desktop')).toEqual([]);

  // A village mediator without a level: refused next to the level, everything typed kept.
  const email = `console-new-${Date.now().toString(36)}@test.pingan.cn`;
  await page.fill('#name', '赵调解');
  await page.fill('#email', email);
  await page.selectOption('#role', 'mediator');
  await page.fill('#area', where.village);
  await page.click('form[action="/console/members/new"] button[type=submit]');
  expect(await fieldError(page, 'level')).toBe(memberRefusal({ role: 'admin', area: where.county }, { role: 'mediator', area: where.village }, sys.policy.mediation.committees)!.zh);
  expect(await page.inputValue('#name')).toBe('赵调解');
  expect(await page.inputValue('#email')).toBe(email);
  expect(await check(page, 'admin-member-new-error-desktop')).toEqual([]);
  // Outside the administrator's county: refused next to the area.
  await page.selectOption('#level', 'village');
  await page.fill('#area', '别县/某镇/某村');
  await page.click('form[action="/console/members/new"] button[type=submit]');
  expect(await fieldError(page, 'area')).toContain(`不在您的辖区（${where.county}）内`);
  // A script typed into the name shows as text.
  await page.fill('#area', where.village);
  await page.fill('#name', '<script>alert(1)</script>赵');
  await page.click('form[action="/console/members/new"] button[type=submit]');
  expect(await page.locator('[role=status]').innerText()).toBe('已创建成员 <script>alert(1)</script>赵。');
  const link = await page.inputValue('#link');
  expect(link).toMatch(/\/console\/invite\/[A-Za-z0-9_-]{40,}$/);
  expect(await check(page, 'admin-member-invitation-desktop')).toEqual([]);
  const row = await sys.db.query(`SELECT id, role, area, level FROM users WHERE email = $1`, [email]);
  expect(row.rows).toEqual([{ id: expect.any(String), role: 'mediator', area: where.village, level: 'village' }]);
  const created = await sys.db.query(`SELECT actor_id FROM audit_events WHERE id = $1`, [`user:${row.rows[0].id}:created`]);
  expect(created.rows).toEqual([{ actor_id: admin.id }]);
  await context.close();

  // The member, on its phone: the link sets the password, signs it in; the link then no longer works.
  const m: Member = { id: row.rows[0].id, name: '赵调解', email, token: '', invitation: link, password: 'zhao-调解-密码-2026' };
  const phone = await signedIn(browser, m, PHONE);
  expect(await phone.page.locator('header').innerText()).toContain('调解员');
  expect(await check(phone.page, 'admin-invited-member-worklist-phone')).toEqual([]);
  expect((await phone.page.goto(link))!.status()).toBe(404);
  await phone.context.close();
  const again = await signedIn(browser, m, DESKTOP); // now by email and password
  await again.context.close();
});

test("an administrator changes a member's role in the console; the audit keeps before and after; the API's PATCH follows the same rule", async () => {
  const target = await createMember(sys, 'grid_worker', where.village, { name: '钱网格' });
  const { context, page } = await signedIn(browser, admin, PHONE);
  await page.goto(`${sys.url}/console/members?text=${encodeURIComponent('钱网格')}`);
  await Promise.all([page.waitForURL(`**/console/members/${target.id}`), page.click(`a[href="/console/members/${target.id}"]`)]);
  expect(await page.inputValue('#role')).toBe('grid_worker');
  // To county mediator without a committee: refused next to the committee.
  await page.selectOption('#role', 'mediator');
  await page.selectOption('#level', 'county');
  await page.fill('#area', where.county);
  await page.click(`form[action="/console/members/${target.id}"] button[type=submit]`);
  expect(await fieldError(page, 'committee')).toBe('县级调解员须选择所属的专业人民调解委员会。');
  expect(await page.inputValue('#area')).toBe(where.county);
  expect(await check(page, 'admin-member-change-error-phone')).toEqual([]);
  // To a township supervisor: done, and the audit has the member before and after.
  await page.selectOption('#role', 'supervisor');
  await page.selectOption('#level', '');
  await page.fill('#area', where.township);
  await Promise.all([page.waitForURL('**/console/members?done=changed'), page.click(`form[action="/console/members/${target.id}"] button[type=submit]`)]);
  expect(await page.locator('[role=status]').innerText()).toContain('已修改该成员的角色或辖区');
  expect(await check(page, 'admin-members-changed-phone')).toEqual([]);
  const audit = await sys.db.query(`SELECT actor_id, before, after FROM audit_events WHERE action = 'user_changed' AND details->>'userId' = $1`, [target.id]);
  expect(audit.rows).toHaveLength(1);
  expect(audit.rows[0].actor_id).toBe(admin.id);
  expect(audit.rows[0].before).toMatchObject({ id: target.id, role: 'grid_worker', area: where.village, level: null });
  expect(audit.rows[0].after).toMatchObject({ id: target.id, role: 'supervisor', area: where.township, level: null });
  // The member's token acts with the new role at once.
  expect((await sys.call('GET', '/api/v1/users/me', { token: target.token })).body.role).toBe('supervisor');
  await context.close();

  // PATCH /api/v1/users/:id: the same rule, as the API answers it.
  const patch = (id: string, body: object, token = admin.token) => sys.call('PATCH', `/api/v1/users/${id}`, { token, body });
  const noLevel = await patch(target.id, { role: 'mediator', area: where.village });
  expect(noLevel.status).toBe(400);
  expect(noLevel.body.error.message).toBe('level: a mediator needs a level: village, township or county');
  const wrongParts = await patch(target.id, { role: 'mediator', level: 'village', area: where.township });
  expect(wrongParts.status).toBe(400);
  expect(wrongParts.body.error.message).toMatch(/^area: a village mediator's area must be a village/);
  expect((await patch(target.id, { area: '别县' })).status).toBe(403);
  expect((await patch(target.id, { area: '*' })).status).toBe(400);
  expect((await patch(target.id, {})).status).toBe(400);
  expect((await patch(admin.id, { area: where.township })).status).toBe(409); // itself
  expect((await patch('admin', { area: where.township })).status).toBe(404); // the built-in administrator lies outside a county's area
  expect((await patch(target.id, { area: where.village }, target.token)).status).toBe(403); // not an administrator
  const other = await createMember(sys, 'grid_worker', `别县${Date.now().toString(36)}/某镇/某村`);
  expect((await patch(other.id, { area: where.village })).status).toBe(404); // outside the area: as unknown
  const ok = await patch(target.id, { role: 'mediator', level: 'village', area: where.village });
  expect(ok.status).toBe(200);
  expect(ok.body).toMatchObject({ id: target.id, role: 'mediator', level: 'village', area: where.village, committee: null });
  const county = await patch(target.id, { level: 'county', area: where.county, committee: 'traffic' });
  expect(county.body).toMatchObject({ role: 'mediator', level: 'county', committee: 'traffic' });
  const back = await patch(target.id, { role: 'grid_worker', area: where.village });
  expect(back.body).toMatchObject({ role: 'grid_worker', level: null, committee: null }); // no longer a mediator: no unit
  const n = await sys.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'user_changed' AND details->>'userId' = $1`, [target.id]);
  expect(n.rows[0].n).toBe(4);
  // Documented beside the other user routes.
  const doc = (await sys.call('GET', '/api/v1/openapi.json')).body;
  expect(Object.keys(doc.paths['/api/v1/users/{id}'])).toEqual(['patch']);
});

test('the policy in force: every sourced setting with its source, grouped by process, read-only; supervisors read it, others get 404', async () => {
  const sup = await createMember(sys, 'supervisor', where.county, { name: '县督导' });
  const { context, page } = await signedIn(browser, sup, DESKTOP);
  await Promise.all([page.waitForURL('**/console/policy'), page.click('nav >> text=现行政策')]);
  expect(await page.locator('h1').innerText()).toBe('现行政策');
  // Every { value, source } of the policy, counted here independently of the page's walk: one row each, and one per
  // calendar year loaded (each year carries the notice it comes from).
  const sources: string[] = [];
  JSON.stringify(sys.policy, (k, v) => {
    if (k === 'source' && typeof v === 'string') sources.push(v);
    return v;
  });
  const rows = page.locator('table.policy tr[data-path]');
  expect(await rows.count()).toBe(sources.length);
  const shown = await page.locator('table.policy td.source').allInnerTexts();
  expect(shown.sort()).toEqual([...sources].sort());
  // A few by hand: the number, in words, beside its source.
  const row = (p: string) => page.locator(`tr[data-path="${p}"]`).innerText();
  expect(await row('mediation.levelLimits.village')).toContain('村级办结期限\t7日');
  expect(await row('mediation.judicialConfirmationWindow')).toContain('人民调解法 (2010) Art. 33');
  expect(await row('petition.objectionLimit')).toContain('5个工作日');
  expect(await row('village.bodies.villagers')).toContain('十八周岁以上村民过半数');
  expect(await row('village.meetingNotice.villagers')).toContain('提前10日（村民委员会组织法第二十一条）');
  expect(await row('mediation.categories.7.levelLimits.county')).toContain('医疗纠纷：县级办结期限（自受理起算）\t30个工作日');
  const groups = await page.locator('main h2').allInnerTexts();
  expect(groups).toEqual(['通用：期间计算与日历', '矛盾纠纷调解', '信访（5+N）', '村务决策（四议两公开）']);
  expect(await page.locator('main form').count()).toBe(0); // read-only
  expect(await check(page, 'policy-desktop')).toEqual([]);
  // No two landmarks of the page share a name.
  expect(axeFindings.filter((f) => f.page === 'policy-desktop' && f.id === 'landmark-unique')).toEqual([]);
  await page.setViewportSize(PHONE);
  expect(await check(page, 'policy-phone')).toEqual([]);
  await context.close();

  const worker = await createMember(sys, 'grid_worker', where.village);
  const w = await signedIn(browser, worker, PHONE);
  expect((await w.page.goto(`${sys.url}/console/policy`))!.status()).toBe(404);
  await w.context.close();
});

test("a supervisor sees its area's village matters and opens one read-only: no clerk action, while the clerk has them", async () => {
  const clerk = await createMember(sys, 'village_clerk', where.village, { name: '东村文书' });
  const opened = await sys.call('POST', '/api/v1/village-decisions', {
    token: clerk.token, body: { type: 'village_rules', title: '修订村规民约', description: '增加禁止占道堆放条款' },
  });
  expect(opened.status).toBe(201);
  const id: string = opened.body.id;
  const sup = await createMember(sys, 'supervisor', where.township, { name: '镇督导' });
  const { context, page } = await signedIn(browser, sup, PHONE);
  await Promise.all([page.waitForURL('**/console/village'), page.click('nav >> text=村务事项')]);
  expect(await page.locator('h1').innerText()).toBe('辖区村务事项');
  expect(await page.locator('a[href="/console/village/new"]').count()).toBe(0);
  const line = page.locator('tr', { hasText: id });
  expect(await line.innerText()).toContain(where.village);
  expect(await check(page, 'village-list-supervisor-phone')).toEqual([]);
  await Promise.all([page.waitForURL(`**/console/village/${id}`), line.locator('a').click()]);
  expect(await page.locator('h1').innerText()).toContain('修订村规民约');
  expect(await page.locator('.hint').first().innerText()).toContain('只读');
  // No form but sign-out: no meeting, decision, progress, completion or answer form.
  expect(await page.locator('main form').count()).toBe(0);
  expect(await page.locator('#body').count()).toBe(0);
  expect(await check(page, 'village-matter-supervisor-phone')).toEqual([]);
  // A POST anyway is refused and records nothing.
  const before = (await sys.db.query(`SELECT version FROM cases WHERE id = $1`, [id])).rows[0].version;
  const csrf = await page.locator('input[name=_csrf]').first().inputValue();
  const posted = await page.request.post(`${sys.url}/console/village/${id}/meeting`, {
    form: { _csrf: csrf, body: 'party_branch', heldAt: '2026-01-01T09:00', entitled: '5', present: '5', for: '5', against: '0', abstain: '0', minutes: 'x' },
  });
  expect(posted.status()).toBeGreaterThanOrEqual(400);
  expect((await sys.db.query(`SELECT version FROM cases WHERE id = $1`, [id])).rows[0].version).toBe(before);
  await context.close();

  // The clerk of the village has the meeting form on the same page.
  const c = await signedIn(browser, clerk, PHONE);
  await c.page.goto(`${sys.url}/console/village/${id}`);
  expect(await c.page.locator('#body').count()).toBe(1);
  await c.context.close();
  // A supervisor of another township: 404.
  const far = await createMember(sys, 'supervisor', `${where.county}/河街镇`);
  const f = await signedIn(browser, far, PHONE);
  expect((await f.page.goto(`${sys.url}/console/village/${id}`))!.status()).toBe(404);
  await f.context.close();
});

test('the petition and village rates come out of the register (GET /api/v1/stats and the console page agree)', async () => {
  // Register rows as the workflows leave them, in a county of their own: only the fields the figures read.
  const c = uniqueVillage('统计');
  const row = (id: string, kind: string, status: string, openedAt: string, snapshot: object, overdue = false) =>
    sys.db.query(
      `INSERT INTO cases (id, kind, status, area, summary, opened_at, overdue, policy_version, version, snapshot)
       VALUES ($1, $2, $3, $4, 'x', $5, $6, 'test', 1, $7)`,
      [`${id}-${c.county}`, kind, status, c.village, openedAt, overdue, JSON.stringify(snapshot)],
    );
  const ev = (...actions: (string | [string, string])[]) =>
    actions.map((a, i) => (typeof a === 'string' ? { seq: i + 1, action: a } : { seq: i + 1, action: a[0], details: { deadline: a[1] } }));
  await row('PET-A', 'petition', 'replied', '2026-03-01T00:00:00+08:00', { reply: { at: '2026-03-11T00:00:00+08:00' }, timeline: ev('registered', 'accepted', 'replied') });
  await row('PET-B', 'petition', 'replied', '2026-03-02T00:00:00+08:00', { reply: { at: '2026-05-06T00:00:00+08:00' }, timeline: ev('registered', 'accepted', ['deadline_passed', 'handleBy'], 'replied') });
  await row('PET-C', 'petition', 'accepted', '2026-03-03T00:00:00+08:00', { reply: null, timeline: ev('registered', 'accepted', ['deadline_passed', 'handleBy']) }, true);
  const m = (step: string, outcome: string) => ({ step, passed: outcome === 'passed', outcome });
  await row('VIL-A', 'village_decision', 'implementation', '2026-03-04T00:00:00+08:00', {
    outcome: null, meetings: [m('proposal', 'passed'), m('discussion', 'passed'), m('review', 'no_quorum'), m('review', 'passed'), m('resolution', 'passed')],
  });
  await row('VIL-B', 'village_decision', 'closed', '2026-03-05T00:00:00+08:00', { outcome: 'ended_after_rejection', meetings: [m('proposal', 'rejected')] });
  await row('VIL-C', 'village_decision', 'closed', '2026-03-06T00:00:00+08:00', { outcome: 'ended_after_rejection', meetings: [m('proposal', 'no_quorum'), m('proposal', 'rejected')] });

  const sup = await createMember(sys, 'supervisor', c.county, { name: '统计督导' });
  const api = await sys.call('GET', `/api/v1/stats?from=2026-03-01&to=2026-04-01`, { token: sup.token });
  expect(api.status).toBe(200);
  // Replies 10 and 65 days: median 37.5, p90 65; on time A of A, B and C (C unreplied past its deadline).
  expect(api.body.petition).toEqual({ replied: 2, onTime: { count: 1, of: 3, rate: 1 / 3 }, lateUnreplied: 1, medianDays: 37.5, p90Days: 65, overdue: 1 });
  // Decided A (adopted), B and C (ended after rejection); meetings 5 + 1 + 2, without quorum 2.
  expect(api.body.village).toEqual({
    decided: 3, adopted: { count: 1, of: 3, rate: 1 / 3 }, rejected: { count: 2, of: 3, rate: 2 / 3 }, meetings: 8, withoutQuorum: { count: 2, of: 8, rate: 0.25 },
  });

  const { context, page } = await signedIn(browser, sup, DESKTOP);
  await page.goto(`${sys.url}/console/stats?area=${encodeURIComponent(c.county)}&from=2026-03-01&to=2026-04-01`);
  const table = (caption: string) => page.locator('table', { has: page.locator('caption', { hasText: caption }) }).innerText();
  const petition = await table('信访答复');
  expect(petition).toContain('按期答复率\t33.3%\t1\t3');
  expect(petition).toContain('答复用时中位数（天）\t37.5');
  const village = await table('村务决策结果');
  expect(village).toContain('决议通过\t33.3%\t1\t3');
  expect(village).toContain('否决后终止\t66.7%\t2\t3');
  expect(village).toContain('到会人数不足、会议无效\t25.0%\t2\t8');
  expect(await check(page, 'stats-rates-desktop')).toEqual([]);
  const csv = await page.request.get(`${sys.url}/console/stats.csv?table=village&area=${encodeURIComponent(c.county)}&from=2026-03-01&to=2026-04-01`);
  expect(await csv.text()).toContain('"决议通过","33.3%","1","3"');
  await context.close();
});

test('the 协议书 is filed with the case when the agreement is recorded, re-renders to the same bytes, and the console serves the filed one', async () => {
  const mediator = await createMember(sys, 'mediator', where.village, { name: '孙调解', level: 'village' });
  const call = (route: string, body: object) => sys.call('POST', route, { token: mediator.token, body });
  const opened = await call('/api/v1/mediations', {
    category: 'neighbourhood', summary: '两户因排水沟堵塞发生争执<b>', area: where.village, channel: 'walk_in',
    parties: [{ name: '张三', role: 'applicant', phone: '13800000000' }, { name: '李四', role: 'respondent' }],
  });
  expect(opened.status).toBe(201);
  const id: string = opened.body.id;
  expect((await call(`/api/v1/mediations/${id}/accept`, {})).status).toBe(200);
  const agreed = await call(`/api/v1/mediations/${id}/agreement`, { form: 'written', terms: '共同疏通，费用平摊', performance: '7日内疏通', parties: ['张三', '李四'] });
  expect(agreed.status).toBe(200);

  // Filed at agreement time: before anybody opens the page.
  const docs = await sys.db.query(`SELECT id, kind, title, body FROM documents WHERE case_id = $1`, [id]);
  expect(docs.rows).toHaveLength(1);
  const filed = docs.rows[0];
  const seq = agreed.body.timeline.find((e: { action: string }) => e.action === 'agreement_recorded').seq;
  expect(filed).toMatchObject({ id: agreementDocumentId(id, seq), kind: 'mediation_agreement', title: '人民调解协议书' });
  expect(filed.body).toContain('两户因排水沟堵塞发生争执&lt;b&gt;');
  expect(filed.body).toContain('共同疏通，费用平摊');
  expect(filed.body).toContain(`当事人可以自本协议生效之日起${durationText(sys.policy.mediation.judicialConfirmationWindow.value)}内`);
  const audit = await sys.db.query(`SELECT actor_id, details FROM audit_events WHERE details->>'caseId' = $1 AND action = 'document_filed'`, [id]);
  expect(audit.rows).toEqual([{ actor_id: mediator.id, details: expect.objectContaining({ documentId: filed.id, sha256: createHash('sha256').update(filed.body).digest('hex') }) }]);

  // A re-render of the case gives the same bytes; filing again (a retried activity) changes nothing.
  const snapshot = (await sys.db.query(`SELECT snapshot FROM cases WHERE id = $1`, [id])).rows[0].snapshot;
  const window = durationText(sys.policy.mediation.judicialConfirmationWindow.value);
  expect(Buffer.from(renderAgreementDocument(snapshot, window)).equals(Buffer.from(filed.body))).toBe(true);
  await fileAgreementDocument(sys.db, snapshot, seq, window, { id: 'x', name: 'x', role: 'system' }, new Date().toISOString());
  expect((await sys.db.query(`SELECT body FROM documents WHERE case_id = $1`, [id])).rows).toEqual([{ body: filed.body }]);
  expect((await sys.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE details->>'caseId' = $1 AND action = 'document_filed'`, [id])).rows[0].n).toBe(1);

  // The console serves the filed document, byte for byte, inside its page.
  const { context, page } = await signedIn(browser, mediator, DESKTOP);
  const served = await page.request.get(`${sys.url}/console/mediations/${id}/agreement`);
  expect(served.status()).toBe(200);
  expect(await served.text()).toContain(filed.body);
  await page.goto(`${sys.url}/console/mediations/${id}/agreement`);
  expect(await page.locator('h1.doc-title').innerText()).toBe('人民调解协议书');
  expect(await check(page, 'agreement-filed-desktop')).toEqual([]);
  await context.close();
});

test("a supervisor's lists: the kind filter moves between mediations and village matters with the shared filters; village matters filter by status, text, area, dates, overdue, a page at a time", async () => {
  const c = uniqueVillage('筛选');
  const clerk = await createMember(sys, 'village_clerk', c.village);
  const opened = await sys.call('POST', '/api/v1/village-decisions', { token: clerk.token, body: { type: 'village_rules', title: '原始事项', description: '修订村规民约' } });
  expect(opened.status).toBe(201);
  // 22 more matters in the register, copies of the real one opened 1..22 days earlier; every third closed, every
  // fourth overdue.
  await sys.db.query(
    `INSERT INTO cases (id, kind, status, area, summary, opened_at, overdue, policy_version, version, snapshot)
     SELECT $1 || '-' || n, kind, CASE WHEN n % 3 = 0 THEN 'closed' ELSE status END, area, '克隆事项' || n,
            opened_at - make_interval(days => n), n % 4 = 0, policy_version, version,
            jsonb_set(jsonb_set(jsonb_set(snapshot, '{id}', to_jsonb($1 || '-' || n)), '{title}', to_jsonb('克隆事项' || n)),
                      '{status}', to_jsonb(CASE WHEN n % 3 = 0 THEN 'closed' ELSE status END))
       FROM cases, generate_series(1, 22) AS n WHERE id = $1`,
    [opened.body.id],
  );
  const sup = await createMember(sys, 'supervisor', c.county);
  const { context, page } = await signedIn(browser, sup, PHONE);
  const ids = () => page.locator('table.list tbody tr td:first-child').allInnerTexts();
  const summary = () => page.locator('p.summary').innerText();

  // From the mediation list, the kind filter carries the shared filters over.
  await page.goto(`${sys.url}/console/mediations`);
  await page.selectOption('#f-kind', 'village_decision');
  await page.fill('#f-text', '克隆事项7');
  await Promise.all([page.waitForURL(/\/console\/village\?/), page.click('form.filters button[type=submit]')]);
  expect(await page.inputValue('#f-text')).toBe('克隆事项7');
  expect(await ids()).toEqual([`${opened.body.id}-7`]);
  expect(await check(page, 'village-list-filtered-phone')).toEqual([]);
  // On the phone the list comes first: the filters fold away under a summary that counts them, named in one line, and
  // the first card is on the first screen. At desk width the same page shows the form.
  expect(await page.locator('details.filter-box').getAttribute('open')).toBeNull();
  expect(await page.locator('details.filter-box summary').innerText()).toBe('筛选（已选1项）');
  expect(await page.locator('p.chosen').innerText()).toBe('已选：关键词：克隆事项7 · 清除筛选');
  expect(await page.isVisible('#f-text')).toBe(false);
  const first = (await page.locator('table.list tbody tr').first().boundingBox())!;
  expect(first.y + first.height).toBeLessThanOrEqual(PHONE.height);
  await page.setViewportSize(DESKTOP);
  expect(await page.isVisible('#f-text')).toBe(true);
  await page.setViewportSize(PHONE);

  await page.goto(`${sys.url}/console/village`);
  expect(await summary()).toBe('共 23 件 · 第 1/2 页');
  expect(await ids()).toHaveLength(20);
  await Promise.all([page.waitForURL(/page=2/), page.click('nav.pager >> text=下一页')]);
  expect(await ids()).toHaveLength(3);
  // Closed: n = 3, 6, …, 21 (7 of them).
  await page.goto(`${sys.url}/console/village?status=closed`);
  expect(await summary()).toBe('共 7 件 · 第 1/1 页');
  // Overdue: n = 4, 8, 12, 16, 20.
  await page.goto(`${sys.url}/console/village?overdue=1`);
  expect((await ids()).sort()).toEqual([4, 8, 12, 16, 20].map((n) => `${opened.body.id}-${n}`).sort());
  // Registered from 5 days ago to 3 days ago (Asia/Shanghai dates, both included): n = 3, 4, 5.
  const day = (n: number) => new Date(Date.now() + 8 * 3_600_000 - n * 86_400_000).toISOString().slice(0, 10);
  await page.goto(`${sys.url}/console/village?from=${day(5)}&to=${day(3)}`);
  expect((await ids()).sort()).toEqual([3, 4, 5].map((n) => `${opened.body.id}-${n}`).sort());
  // Another township of the county: nothing.
  await page.goto(`${sys.url}/console/village?area=${encodeURIComponent(`${c.county}/河街镇`)}`);
  expect(await page.locator('p.empty').innerText()).toBe('没有符合条件的事项。');
  // And back to mediations with the text kept.
  await page.goto(`${sys.url}/console/village?kind=mediation&text=abc&status=closed`);
  expect(page.url()).toBe(`${sys.url}/console/mediations?text=abc`);
  await context.close();
});
