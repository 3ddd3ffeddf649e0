import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { recordInRegister } from '../activities/register';
import { migrate, withTransaction } from '../platform/db';
import { verifyAuditChains } from '../scripts/audit-verify';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * The audit trail is a hash chain per case (db/migrations/0014_audit_chain.sql): whoever inserts, the trigger links
 * the event to its chain; UPDATE and DELETE are refused; `npm run audit:verify` recomputes every chain in TypeScript
 * and names the first broken link. 0015 gives a configured application role INSERT and SELECT only.
 */
let sys: TestSystem;
const where = uniqueVillage('审计');
let caseId: string;

const ROOT = path.resolve(__dirname, '..');
const superuserUrl = () => process.env.TEST_DATABASE_URL!;
const withDb = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

/** `npm run audit:verify` against a database: its exit code and output. */
function runVerify(url: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(ROOT, 'scripts', 'audit-verify.ts')],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

/** As the superuser, with the table's triggers off (what an intruder with the database's keys could do). */
async function tamper(sql: string, params: unknown[] = []): Promise<void> {
  await withTransaction(sys.db, async (q) => {
    await q.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    await q.query(sql, params);
    await q.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
  });
}

beforeAll(async () => {
  sys = await startTestSystem();
  const grid = await sys.user('grid_worker', where.village, { name: '王网格' });
  const med = await sys.user('mediator', where.village, { level: 'village', name: '李调解' });
  const created = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'neighbourhood', summary: '两户因排水沟堵塞发生争执', area: where.village, channel: 'grid', parties: [{ name: '张三', role: 'applicant' }] },
  });
  expect(created.status).toBe(201);
  caseId = created.body.id;
  expect((await sys.call('POST', `/api/v1/mediations/${caseId}/accept`, { token: med.token, body: {} })).status).toBe(200);
  expect((await sys.call('POST', `/api/v1/mediations/${caseId}/sessions`, { token: med.token, body: { heldAt: new Date().toISOString(), summary: '第一次调解' } })).status).toBe(200);
});
afterAll(async () => {
  await sys?.stop();
});

test('every event of a case is linked to the one before it, whoever inserted it; an intact register verifies', async () => {
  const rows = (await sys.db.query('SELECT seq, chain, chain_pos, prev_hash, hash FROM audit_events WHERE case_id = $1 ORDER BY chain_pos', [caseId])).rows;
  expect(rows.length).toBeGreaterThanOrEqual(3);
  expect(rows.map((r) => r.chain_pos)).toEqual(rows.map((_, i) => i + 1));
  expect(rows[0].prev_hash).toBeNull();
  for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
  expect(rows.every((r) => r.chain === `case:${caseId}` && /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
  // Members' events (created by platform/users.ts) form the chain of their subject.
  const users = await sys.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE chain = 'subject:user'`);
  expect(users.rows[0].n).toBeGreaterThanOrEqual(2);

  const r = await verifyAuditChains(sys.db);
  expect(r.broken).toEqual([]);
  expect(r.events).toBeGreaterThanOrEqual(5);
  const cli = await runVerify(superuserUrl());
  expect(cli.out).toContain('every chain is intact');
  expect(cli.code).toBe(0);
});

test('a retried activity (ON CONFLICT DO NOTHING on its deterministic id) and concurrent inserters keep the chain whole', async () => {
  const id = `AUD-${randomBytes(4).toString('hex')}`;
  const row = (version: number) => ({
    id, kind: 'mediation' as const, status: 'open', level: 'village', area: where.village, category: null, summary: '重试', openedAt: new Date().toISOString(),
    closed: false, nextDeadline: null, overdue: false, policyVersion: 't', version, snapshot: { version },
  });
  const event = (seq: number) => ({ seq, at: new Date().toISOString(), actor: { id: 'u', name: '测试', role: 'mediator' }, action: `a${seq}`, before: null, after: { seq } });
  await withTransaction(sys.db, (q) => recordInRegister(q, row(1), event(1)));
  await withTransaction(sys.db, (q) => recordInRegister(q, row(1), event(1))); // the retry
  // Twelve events of the same case from as many connections at once: each takes the advisory lock of the chain.
  const pool = new Pool({ connectionString: superuserUrl(), max: 12 });
  try {
    await Promise.all(Array.from({ length: 12 }, (_, i) => withTransaction(pool, (q) => recordInRegister(q, row(i + 2), event(i + 2)))));
    await Promise.all(Array.from({ length: 12 }, (_, i) => withTransaction(pool, (q) => recordInRegister(q, row(i + 2), event(i + 2))))); // retried
  } finally {
    await pool.end();
  }
  const rows = (await sys.db.query('SELECT chain_pos FROM audit_events WHERE case_id = $1 ORDER BY chain_pos', [id])).rows;
  expect(rows.map((r) => r.chain_pos)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  expect((await verifyAuditChains(sys.db)).broken).toEqual([]);
});

test('UPDATE, DELETE and TRUNCATE of audit rows are refused, even to the superuser while the triggers stand', async () => {
  for (const sql of [
    `UPDATE audit_events SET actor_name = 'x' WHERE case_id = '${caseId}'`,
    `DELETE FROM audit_events WHERE case_id = '${caseId}'`,
    'TRUNCATE audit_events',
  ]) {
    await expect(sys.db.query(sql)).rejects.toThrow(/append-only/);
  }
  const n = await sys.db.query('SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1', [caseId]);
  expect(n.rows[0].n).toBeGreaterThanOrEqual(3);
});

test('a row altered or removed with SQL is named by audit:verify (case, event id, seq), with a non-zero exit', async () => {
  const second = (await sys.db.query('SELECT id, seq FROM audit_events WHERE case_id = $1 AND chain_pos = 2', [caseId])).rows[0];
  // A copy of the row as it was, to put back afterwards (later suites verify the same database).
  const saved = `audit_saved_${randomBytes(4).toString('hex')}`;
  await sys.db.query(`CREATE TABLE ${saved} AS SELECT * FROM audit_events WHERE id = $1`, [second.id]);
  const restore = () => tamper(`INSERT INTO audit_events SELECT * FROM ${saved} ON CONFLICT (id) DO NOTHING`);
  try {
    await tamper(`UPDATE audit_events SET after = jsonb_set(after, '{status}', '"closed"') WHERE id = $1`, [second.id]);
    const r = await verifyAuditChains(sys.db);
    expect(r.broken).toHaveLength(1);
    expect(r.broken[0]).toMatchObject({ caseId, eventId: second.id, seq: second.seq, chainPos: 2 });
    expect(r.broken[0].reason).toMatch(/does not match its hash/);
    const cli = await runVerify(superuserUrl());
    expect(cli.code).toBe(1);
    expect(cli.out).toContain(`BROKEN case ${caseId}: event ${second.id} (seq ${second.seq}, position 2)`);

    // Removing the event is seen at the next one.
    await tamper('DELETE FROM audit_events WHERE id = $1', [second.id]);
    const gone = await verifyAuditChains(sys.db);
    expect(gone.broken).toHaveLength(1);
    expect(gone.broken[0]).toMatchObject({ caseId, seq: second.seq + 1, chainPos: 3 });
    expect(gone.broken[0].reason).toMatch(/missing before it/);
  } finally {
    await tamper('DELETE FROM audit_events WHERE id = $1', [second.id]);
    await restore();
    await sys.db.query(`DROP TABLE ${saved}`);
  }
  expect((await verifyAuditChains(sys.db)).broken).toEqual([]);
});

test('the migration chains the events recorded before it; a configured application role may INSERT and SELECT audit rows, never UPDATE or DELETE', async () => {
  const tag = randomBytes(4).toString('hex');
  const dbName = `pingan_audit_${tag}`;
  const role = `pingan_app_${tag}`;
  const admin = new Client({ connectionString: superuserUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.query(`CREATE ROLE ${role} LOGIN`);
  const url = withDb(superuserUrl(), dbName);
  const owner = new Pool({ connectionString: url, max: 2, options: `-c pingan.app_role=${role}` });
  const appUrl = new URL(url);
  appUrl.username = role;
  appUrl.password = '';
  const asApp = new Pool({ connectionString: appUrl.toString(), max: 2 });
  for (const p of [owner, asApp]) p.on('error', () => undefined); // DROP DATABASE ... WITH (FORCE) ends what is left
  try {
    // The schema as it was before 0014, with events recorded then.
    const dir = path.join(ROOT, 'db', 'migrations');
    await owner.query('CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.sql') && x < '0014').sort()) {
      await owner.query(fs.readFileSync(path.join(dir, f), 'utf8'));
      await owner.query('INSERT INTO schema_migrations (name) VALUES ($1)', [f]);
    }
    const legacy = `INSERT INTO audit_events (id, case_id, subject, seq, at, actor_id, actor_name, actor_role, action, before, after, details)
                    VALUES ($1, $2, $3, $4, now() - make_interval(mins => $5), 'u1', '李调解', 'mediator', $6, $7, $8, $9)`;
    await owner.query(legacy, ['MED-1:2', 'MED-1', 'mediation', 2, 1, 'accepted', '{"status":"open"}', '{"status":"in_mediation","note":"已联系\\n双方"}', null]);
    await owner.query(legacy, ['MED-1:1', 'MED-1', 'mediation', 1, 2, 'opened', null, '{"status":"open","n":1.50}', '{"b":1,"a":[1,2]}']);
    await owner.query(legacy, ['user:u9:created', null, 'user', null, 3, 'user_created', null, '{"id":"u9"}', null]);
    expect(await migrate(owner)).toEqual(expect.arrayContaining(['0014_audit_chain.sql', '0015_app_role.sql']));

    const chained = (await owner.query('SELECT id, chain, chain_pos FROM audit_events ORDER BY chain, chain_pos')).rows;
    expect(chained).toEqual([
      { id: 'MED-1:1', chain: 'case:MED-1', chain_pos: 1 },
      { id: 'MED-1:2', chain: 'case:MED-1', chain_pos: 2 },
      { id: 'user:u9:created', chain: 'subject:user', chain_pos: 1 },
    ]);
    const cli = await runVerify(url);
    expect(cli.out).toContain('3 audit events in 2 chains: every chain is intact');
    expect(cli.code).toBe(0);

    // The application's role: its start-up migration finds nothing to do; it reads and appends; it changes nothing.
    expect(await migrate(asApp)).toEqual([]);
    await asApp.query(legacy.replace("now() - make_interval(mins => $5)", 'now() + make_interval(mins => $5)'), ['MED-1:3', 'MED-1', 'mediation', 3, 0, 'urged', null, '{}', null]);
    expect((await asApp.query(`SELECT count(*)::int AS n FROM audit_events`)).rows[0].n).toBe(4);
    for (const sql of [`UPDATE audit_events SET actor_name = 'x'`, 'DELETE FROM audit_events', 'TRUNCATE audit_events']) {
      await expect(asApp.query(sql)).rejects.toThrow(/permission denied for table audit_events/);
    }
    await expect(asApp.query('ALTER TABLE audit_events DISABLE TRIGGER USER')).rejects.toThrow(/must be owner/);
    // Everything else stays the application's to write.
    await asApp.query(`UPDATE cases SET status = status WHERE false`);
    await asApp.query(`DELETE FROM mail_outbox WHERE false`);
    expect((await verifyAuditChains(asApp)).broken).toEqual([]);
  } finally {
    await owner.end();
    await asApp.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  }
});
