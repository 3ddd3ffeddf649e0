import { randomBytes } from 'node:crypto';
import { changeUser, checkToken, findUsersByIds, replaceToken, TOKEN_CACHE_MS, toActor } from '../platform/users';
import { countingPool } from './counting-pool';
import { startTestSystem, type TestSystem } from './harness';

/**
 * Bearer tokens expire, can be revoked and rotated, and end with their member's deactivation; an administrator acts
 * only on members inside its own area (404 outside it). Over HTTP against the real dev server and PostgreSQL.
 */
let sys: TestSystem;
const tag = randomBytes(3).toString('hex');
const xian = `献县${tag}`;
const suning = `肃宁县${tag}`;

beforeAll(async () => {
  sys = await startTestSystem({ env: { TOKEN_TTL_DAYS: '30' } });
});
afterAll(async () => {
  await sys?.stop();
});

const me = (token: string) => sys.call('GET', '/api/v1/users/me', { token });
const audit = async (userId: string, action: string) =>
  (await sys.db.query('SELECT actor_id, at FROM audit_events WHERE action = $1 AND details->>\'userId\' = $2', [action, userId])).rows;

test('a fresh token works on /users/me and carries the configured expiry; the built-in administrator\'s does not expire', async () => {
  const sup = await sys.user('supervisor', xian);
  const r = await me(sup.token);
  expect(r.status).toBe(200);
  expect(r.body.id).toBe(sup.id);
  const row = (await sys.db.query(`SELECT extract(epoch FROM token_expires_at - now()) / 86400 AS days FROM users WHERE id = $1`, [sup.id])).rows[0];
  expect(Number(row.days)).toBeGreaterThan(29.9);
  expect(Number(row.days)).toBeLessThanOrEqual(30);
  const admin = (await sys.db.query(`SELECT token_expires_at FROM users WHERE id = 'admin'`)).rows[0];
  expect(admin.token_expires_at).toBeNull();
  expect((await me(sys.adminToken)).status).toBe(200);
});

test('an expired token answers 401 token_expired; an unknown one 401 unauthenticated', async () => {
  const sup = await sys.user('supervisor', xian);
  await sys.db.query(`UPDATE users SET token_expires_at = now() - interval '1 minute' WHERE id = $1`, [sup.id]);
  const expired = await me(sup.token);
  expect(expired.status).toBe(401);
  expect(expired.body.error.code).toBe('token_expired');
  const unknown = await me(`pgn_${randomBytes(24).toString('base64url')}`);
  expect(unknown.status).toBe(401);
  expect(unknown.body.error.code).toBe('unauthenticated');
  expect(JSON.stringify(unknown.body)).not.toContain('u_');
});

test('revocation: the old token answers 401 at once, audited with who revoked it', async () => {
  const countyAdmin = await sys.user('admin', xian);
  const sup = await sys.user('supervisor', `${xian}/河街镇`);
  expect((await me(sup.token)).status).toBe(200);
  const r = await sys.call('DELETE', `/api/v1/users/${sup.id}/tokens`, { token: countyAdmin.token });
  expect(r.status).toBe(204);
  const after = await me(sup.token);
  expect(after.status).toBe(401);
  expect(after.body.error.code).toBe('unauthenticated');
  expect((await audit(sup.id, 'token_revoked')).map((e) => e.actor_id)).toEqual([countyAdmin.id]);
  // A member may revoke its own token too.
  const other = await sys.user('grid_worker', `${xian}/河街镇/南村`);
  expect((await sys.call('DELETE', `/api/v1/users/${other.id}/tokens`, { token: other.token })).status).toBe(204);
  expect((await me(other.token)).status).toBe(401);
});

test('rotation: a new token once, the old one stops working, the new one works', async () => {
  const sup = await sys.user('supervisor', xian);
  const r = await sys.call('POST', `/api/v1/users/${sup.id}/tokens`, { token: sys.adminToken });
  expect(r.status).toBe(201);
  expect(r.body.token).toMatch(/^pgn_/);
  expect(r.body.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect((await me(sup.token)).status).toBe(401);
  const fresh = await me(r.body.token);
  expect(fresh.status).toBe(200);
  expect(fresh.body.id).toBe(sup.id);
  // The member rotates its own token.
  const again = await sys.call('POST', `/api/v1/users/${sup.id}/tokens`, { token: r.body.token });
  expect(again.status).toBe(201);
  expect((await me(r.body.token)).status).toBe(401);
  expect((await me(again.body.token)).status).toBe(200);
  expect((await audit(sup.id, 'token_rotated')).map((e) => e.actor_id).sort()).toEqual(['admin', sup.id].sort());
  // Rotation after expiry gives a fresh expiry.
  await sys.db.query(`UPDATE users SET token_expires_at = now() - interval '1 day' WHERE id = $1`, [sup.id]);
  const renewed = await sys.call('POST', `/api/v1/users/${sup.id}/tokens`, { token: sys.adminToken });
  expect((await me(renewed.body.token)).status).toBe(200);
});

test('deactivation: the member\'s token and console sessions end; it is audited; a deactivated member is refused even if its hash returns', async () => {
  const countyAdmin = await sys.user('admin', xian);
  const sup = await sys.user('supervisor', `${xian}/河街镇`);
  await sys.db.query(
    `INSERT INTO console_sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, 'x', now() + interval '1 hour')`,
    [`test-${randomBytes(8).toString('hex')}`, sup.id],
  );
  const hashBefore = (await sys.db.query('SELECT token_hash FROM users WHERE id = $1', [sup.id])).rows[0].token_hash;
  const r = await sys.call('POST', `/api/v1/users/${sup.id}/deactivation`, { token: countyAdmin.token });
  expect(r.status).toBe(200);
  expect(r.body).toEqual({ id: sup.id, active: false });
  expect((await me(sup.token)).status).toBe(401);
  expect((await sys.db.query('SELECT count(*)::int AS n FROM console_sessions WHERE user_id = $1', [sup.id])).rows[0].n).toBe(0);
  expect((await audit(sup.id, 'user_deactivated')).map((e) => e.actor_id)).toEqual([countyAdmin.id]);
  // findUserByToken refuses a deactivated member explicitly, not only because its hash was overwritten.
  await sys.db.query('UPDATE users SET token_hash = $2 WHERE id = $1', [sup.id, hashBefore]);
  const back = await me(sup.token);
  expect(back.status).toBe(401);
  expect(back.body.error.code).toBe('unauthenticated');
  // Nothing more to do on a deactivated member.
  expect((await sys.call('POST', `/api/v1/users/${sup.id}/tokens`, { token: countyAdmin.token })).status).toBe(409);
  expect((await sys.call('POST', `/api/v1/users/${sup.id}/deactivation`, { token: countyAdmin.token })).status).toBe(409);
});

test('another county\'s administrator gets 404, like an unknown id; members who are not administrators get 403 on others', async () => {
  const suningAdmin = await sys.user('admin', suning);
  const sup = await sys.user('supervisor', xian);
  for (const [method, route] of [['DELETE', 'tokens'], ['POST', 'tokens'], ['POST', 'deactivation']] as const) {
    const r = await sys.call(method, `/api/v1/users/${sup.id}/${route}`, { token: suningAdmin.token });
    expect(r.status).toBe(404);
    const unknown = await sys.call(method, `/api/v1/users/u_doesnotexist00000/${route}`, { token: suningAdmin.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message.replace('u_doesnotexist00000', sup.id)).toBe(r.body.error.message);
    // The built-in administrator is out of every county administrator's reach.
    expect((await sys.call(method, `/api/v1/users/admin/${route}`, { token: suningAdmin.token })).status).toBe(404);
  }
  const peer = await sys.user('supervisor', xian);
  expect((await sys.call('DELETE', `/api/v1/users/${sup.id}/tokens`, { token: peer.token })).status).toBe(403);
  // Deactivation is the administrators' alone (api/access.ts): a supervisor is refused before its target is looked at.
  expect((await sys.call('POST', `/api/v1/users/${sup.id}/deactivation`, { token: sup.token })).status).toBe(403);
  // Nothing changed: the token still works, nothing was audited.
  expect((await me(sup.token)).status).toBe(200);
  expect(await audit(sup.id, 'token_revoked')).toEqual([]);
  expect(await audit(sup.id, 'user_deactivated')).toEqual([]);
});

test('the three endpoints are documented in the OpenAPI document', async () => {
  const doc = (await sys.call('GET', '/api/v1/openapi.json')).body;
  expect(Object.keys(doc.paths['/api/v1/users/{id}/tokens'])).toEqual(expect.arrayContaining(['delete', 'post']));
  expect(doc.paths['/api/v1/users/{id}/deactivation'].post).toBeDefined();
});

test('a token looked up once is reused for a few seconds (one statement for a burst of requests); revocation, rotation, deactivation and a role change end that at once; its expiry holds while cached', async () => {
  const { pool, count } = countingPool();
  try {
    const admin = { ...toActor((await findUsersByIds(sys.db, ['admin']))[0]) };
    const sup = await sys.user('supervisor', xian);
    // A burst of requests with one token: one look-up.
    expect(await count(async () => {
      for (let i = 0; i < 5; i++) expect('user' in (await checkToken(pool, sup.token))).toBe(true);
    })).toBe(1);
    // Revoked: refused at once, though it was cached.
    await replaceToken(sys.db, sup.id, admin, 'revoke');
    expect(await checkToken(pool, sup.token)).toEqual({ refused: 'unknown' });

    // Rotated: the old token refused at once.
    const other = await sys.user('supervisor', xian);
    expect('user' in (await checkToken(pool, other.token))).toBe(true);
    const rotated = await replaceToken(sys.db, other.id, admin, 'rotate');
    expect(await checkToken(pool, other.token)).toEqual({ refused: 'unknown' });
    expect('user' in (await checkToken(pool, rotated!.token!))).toBe(true);

    // A new role: the next request acts with it.
    const changed = await checkToken(pool, rotated!.token!);
    expect('user' in changed && changed.user.role).toBe('supervisor');
    await changeUser(sys.db, other.id, { role: 'leader', area: xian, level: null, committee: null }, admin);
    const after = await checkToken(pool, rotated!.token!);
    expect('user' in after && after.user.role).toBe('leader');

    // Deactivated (the API's endpoint): refused at once.
    const third = await sys.user('grid_worker', `${xian}/河街镇/南村`);
    expect((await me(third.token)).status).toBe(200);
    expect((await sys.call('POST', `/api/v1/users/${third.id}/deactivation`, { token: sys.adminToken })).status).toBe(200);
    expect((await me(third.token)).status).toBe(401);

    // A token that expires while it is cached is refused once its expiry passes, without asking PostgreSQL again.
    const soon = await sys.user('supervisor', xian);
    await sys.db.query(`UPDATE users SET token_expires_at = now() + interval '1 second' WHERE id = $1`, [soon.id]);
    expect('user' in (await checkToken(pool, soon.token))).toBe(true);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await count(async () => expect(await checkToken(pool, soon.token)).toEqual({ refused: 'expired' }))).toBe(0);
    // After TOKEN_CACHE_MS, PostgreSQL is asked again.
    await new Promise((r) => setTimeout(r, TOKEN_CACHE_MS));
    expect(await count(async () => expect(await checkToken(pool, soon.token)).toEqual({ refused: 'expired' }))).toBe(1);
  } finally {
    await pool.end();
  }
});
