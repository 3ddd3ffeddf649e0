import { randomBytes } from 'node:crypto';
import { sqlAreaWithin } from '../platform/area-sql';
import { startTestSystem, type TestSystem } from './harness';

/**
 * `_` and `%` in area names are plain characters: a supervisor of `…/甲_镇` sees nothing of `…/甲乙镇` (lists, statistics,
 * mail), nor one of `…/丙%` anything of `…/丙丁镇`. Real dev server, PostgreSQL and SMTP.
 */
let sys: TestSystem;
const county = `测试县${randomBytes(3).toString('hex')}`;
const underscore = `${county}/甲_镇`;
const percent = `${county}/丙%`;
const other = `${county}/甲乙镇`;
const other2 = `${county}/丙丁镇`;
type U = Awaited<ReturnType<TestSystem['user']>>;
let supUnderscore: U, supPercent: U, supOther: U;

beforeAll(async () => {
  sys = await startTestSystem();
  supUnderscore = await sys.user('supervisor', underscore);
  supPercent = await sys.user('supervisor', percent);
  supOther = await sys.user('supervisor', other);
});
afterAll(async () => {
  await sys?.stop();
});

test('containment in SQL compares paths, not LIKE patterns', async () => {
  const pairs: [string, string, boolean][] = [
    ['测试县/甲_镇', '测试县/甲_镇', true],
    ['测试县/甲_镇/东村', '测试县/甲_镇', true],
    ['测试县/甲乙镇/东村', '测试县/甲_镇', false],
    ['测试县/甲乙镇', '测试县/甲_镇', false],
    ['测试县/丙丁镇/东村', '测试县/丙%', false],
    ['测试县/丙%/东村', '测试县/丙%', true],
    ['测试县/甲_镇外/东村', '测试县/甲_镇', false],
    ['测试县', '测试县/甲_镇', false],
    ['a\\b/c', 'a\\b', true],
    ['aXb/c', 'a\\b', false],
  ];
  for (const [inner, outer, expected] of pairs) {
    const r = await sys.db.query<{ within: boolean }>(`SELECT ${sqlAreaWithin('$1::text', '$2::text')} AS within`, [inner, outer]);
    expect([inner, outer, r.rows[0].within]).toEqual([inner, outer, expected]);
  }
});

test('a supervisor of 甲_镇 sees no case, matter or statistic of 甲乙镇 and gets none of its mail', async () => {
  const grid = await sys.user('grid_worker', `${other}/东村`);
  const grid2 = await sys.user('grid_worker', `${other2}/东村`);
  const clerk = await sys.user('village_clerk', `${other}/东村`);
  const report = (area: string) => ({
    category: 'neighbourhood', summary: '占道堆放柴草', area, channel: 'grid',
    parties: [{ name: '张三', role: 'applicant' }, { name: '李四', role: 'respondent' }],
  });
  const med = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report(`${other}/东村`) });
  expect(med.status).toBe(201);
  expect((await sys.call('POST', '/api/v1/mediations', { token: grid2.token, body: report(`${other2}/东村`) })).status).toBe(201);
  const matter = await sys.call('POST', '/api/v1/village-decisions', {
    token: clerk.token, body: { type: 'village_rules', title: '修订村规民约', description: '增加禁止占道堆放条款' },
  });
  expect(matter.status).toBe(201);

  for (const sup of [supUnderscore, supPercent]) {
    const cases = await sys.call('GET', '/api/v1/mediations', { token: sup.token });
    expect(cases.status).toBe(200);
    expect(cases.body.items).toEqual([]);
    const stats = await sys.call('GET', '/api/v1/mediations/stats', { token: sup.token });
    expect(stats.body.total).toBe(0);
    const matters = await sys.call('GET', '/api/v1/village-decisions', { token: sup.token });
    expect(matters.body.items).toEqual([]);
  }
  // The township's own supervisor sees both and is mailed the new matter.
  expect((await sys.call('GET', '/api/v1/mediations', { token: supOther.token })).body.items.map((c: any) => c.id)).toEqual([med.body.id]);
  expect((await sys.call('GET', '/api/v1/village-decisions', { token: supOther.token })).body.items.map((m: any) => m.id)).toEqual([matter.body.id]);
  await sys.smtp.waitFor((m) => m.to.includes(supOther.email) && m.subject.includes(matter.body.id));
  // The notice goes to its recipients one after the other: give the rest of them time, then look at the outbox.
  await new Promise((r) => setTimeout(r, 2000));
  const outbox = await sys.db.query<{ recipient: string }>(`SELECT recipient FROM mail_outbox WHERE key LIKE $1 || ':%'`, [matter.body.id]);
  const recipients = outbox.rows.map((r) => r.recipient);
  expect(recipients).toContain(supOther.email);
  expect(recipients).not.toContain(supUnderscore.email);
  expect(recipients).not.toContain(supPercent.email);
  expect(sys.smtp.messages.some((m) => m.to.includes(supUnderscore.email) || m.to.includes(supPercent.email))).toBe(false);
});
