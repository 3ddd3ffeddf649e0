import { randomBytes } from 'node:crypto';
import { grantRefusal } from '../platform/users';
import { startTestSystem, type TestSystem } from './harness';

/**
 * An administrator limited to a county creates members only inside it, never with a wider area; `*` (every area)
 * belongs to the built-in administrator alone. Over HTTP against the real dev server and PostgreSQL.
 */
let sys: TestSystem;
const tag = randomBytes(3).toString('hex');
const xian = `献县${tag}`;
const suning = `肃宁县${tag}`;

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const member = (role: string, area: string, extra: object = {}) => ({
  name: `${role}-${randomBytes(2).toString('hex')}`, email: `${role.replace(/_/g, '-')}-${randomBytes(3).toString('hex')}@test.pingan.cn`, role, area, ...extra,
});
const create = (token: string, body: object) => sys.call('POST', '/api/v1/users', { token, body });

test('a county administrator cannot make itself global nor create members outside its county', async () => {
  const admin = await create(sys.adminToken, member('admin', xian));
  expect(admin.status).toBe(201);
  const countyAdmin: string = admin.body.token;

  // The escalation of the issue: an administrator with area `*`.
  const global = await create(countyAdmin, member('admin', '*'));
  expect(global.status).toBe(400);
  expect(global.body.error.message).toMatch(/^area: \* \(every area\) belongs to the built-in administrator alone/);
  // Nor another county, nor staff in it.
  for (const body of [member('admin', suning), member('supervisor', suning), member('grid_worker', `${suning}/梁家村镇/东村`)]) {
    const r = await create(countyAdmin, body);
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain(`outside your area ${xian}`);
  }
  // A name that merely starts like the county is another county.
  expect((await create(countyAdmin, member('supervisor', `${xian}外`))).status).toBe(403);
  const none = await sys.db.query(`SELECT count(*)::int AS n FROM users WHERE area = '*' AND id <> 'admin' OR area LIKE $1 || '%'`, [suning]);
  expect(none.rows[0].n).toBe(0);

  // Inside its county: any role, its own included.
  const sup = await create(countyAdmin, member('supervisor', xian));
  expect(sup.status).toBe(201);
  expect((await create(countyAdmin, member('admin', `${xian}/河街镇`))).status).toBe(201);
  expect((await create(countyAdmin, member('mediator', `${xian}/河街镇/南村`, { level: 'village' }))).status).toBe(201);

  // Its token reads nothing of the other county.
  expect((await sys.call('GET', `/api/v1/petitions?area=${encodeURIComponent(suning)}`, { token: countyAdmin })).status).toBe(403);
  // Members who are not administrators create no one.
  expect((await create(sup.body.token, member('grid_worker', `${xian}/河街镇/南村`))).status).toBe(403);
  // The built-in administrator still creates anywhere.
  expect((await create(sys.adminToken, member('supervisor', suning))).status).toBe(201);
});

test('the grant rule itself: own area and below, never wider, never *, only roles the granter may hand out', () => {
  const countyAdmin = { role: 'admin' as const, area: '献县' };
  expect(grantRefusal(countyAdmin, { role: 'admin', area: '献县' })).toBeUndefined();
  expect(grantRefusal(countyAdmin, { role: 'grid_worker', area: '献县/河街镇/南村' })).toBeUndefined();
  expect(grantRefusal(countyAdmin, { role: 'admin', area: '*' })).toMatch(/^area: \* belongs to the built-in administrator/);
  expect(grantRefusal(countyAdmin, { role: 'supervisor', area: '肃宁县' })).toMatch(/^area: 肃宁县 lies outside your area 献县/);
  expect(grantRefusal(countyAdmin, { role: 'supervisor', area: '献县外' })).toMatch(/^area: /);
  const townAdmin = { role: 'admin' as const, area: '献县/河街镇' };
  expect(grantRefusal(townAdmin, { role: 'admin', area: '献县' })).toMatch(/outside your area/);
  expect(grantRefusal({ role: 'supervisor', area: '献县' }, { role: 'grid_worker', area: '献县/河街镇/南村' })).toMatch(/^role: /);
  expect(grantRefusal({ role: 'admin', area: '*' }, { role: 'admin', area: '肃宁县' })).toBeUndefined();
});
