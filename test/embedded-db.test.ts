import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createPool, migrate, withTransaction } from '../platform/db';
import { EMBEDDED_POOL_SIZE } from '../platform/system';

/**
 * The embedded default (PGlite over the wire protocol, in its own process as under `npm start`; PGlite cannot load
 * inside Jest's module sandbox) under concurrent use, as the worker and the API use it at once: parameterised
 * statements and transactions from many callers must neither interleave nor fail, and the data outlives a restart.
 */
const root = path.resolve(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-embedded-'));

async function serve(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/embedded-db.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /postgres:\/\/\S+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`embedded database exited with ${code}`)));
  });
  return { url, child };
}
const stop = (child: ChildProcess) =>
  new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the embedded database takes concurrent statements and transactions, and keeps its data across a restart', async () => {
  let server = await serve();
  let db = createPool(server.url, EMBEDDED_POOL_SIZE);
  try {
    await migrate(db);
    await db.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
    const writes = Array.from({ length: 40 }, (_, i) =>
      i % 4 === 0
        ? withTransaction(db, async (q) => {
            await q.query('INSERT INTO t (id, v) VALUES ($1, $2)', [i, `tx-${i}`]);
            await q.query('UPDATE t SET v = v || $2 WHERE id = $1', [i, '!']);
          })
        : db.query('INSERT INTO t (id, v) VALUES ($1, $2)', [i, `q-${i}`]),
    );
    await Promise.all(writes);
    const reads = await Promise.all(Array.from({ length: 40 }, (_, i) => db.query<{ v: string }>('SELECT v FROM t WHERE id = $1', [i])));
    expect(reads.map((r) => r.rows[0].v)).toEqual(Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? `tx-${i}!` : `q-${i}`)));
  } finally {
    await db.end();
    await stop(server.child);
  }
  server = await serve();
  db = createPool(server.url, EMBEDDED_POOL_SIZE);
  try {
    expect((await db.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(40);
    expect(await migrate(db)).toEqual([]); // already applied
  } finally {
    await db.end();
    await stop(server.child);
  }
});

test('the embedded database asks for the generated password kept under the data directory, on 127.0.0.1 only', async () => {
  const server = await serve();
  try {
    const url = new URL(server.url);
    expect(url.hostname).toBe('127.0.0.1');
    const file = path.join(dir, 'pglite-password');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const password = fs.readFileSync(file, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(decodeURIComponent(url.password)).toBe(password);
    for (const wrong of ['postgres', '', 'x'.repeat(32)]) {
      const u = new URL(server.url);
      u.password = wrong;
      const c = new Client({ connectionString: u.toString() });
      await expect(c.connect()).rejects.toMatchObject({ code: '28P01' });
      await c.end().catch(() => undefined);
    }
    const ok = new Client({ connectionString: server.url });
    await ok.connect();
    expect((await ok.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await ok.end();
  } finally {
    await stop(server.child);
  }
});
