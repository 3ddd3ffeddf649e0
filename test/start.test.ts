import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { freePort } from '../platform/net';

/**
 * `npm start` as a newcomer runs it: no DATABASE_URL (embedded PGlite), no SMTP_URL (.eml outbox), no TEMPORAL_ADDRESS
 * (the CLI dev server, persisted under DATA_DIR). A second start after a stop finds the open case where it was.
 */
const root = path.resolve(__dirname, '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-start-'));
let ports: { api: number; temporal: number; ui: number };
let proc: ChildProcess | undefined;

async function start(): Promise<string> {
  const child = spawn(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/start.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      TEMPORAL_CLI: process.env.TEMPORAL_CLI_PATH,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc = child;
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const end = Date.now() + 120_000;
  while (!out.includes('Pingan is running')) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > end) throw new Error(`npm start did not come up in 120 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return out;
}

async function stop(): Promise<void> {
  const child = proc;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
}

async function call(method: string, route: string, token: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${ports.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
});
afterAll(async () => {
  await stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('npm start brings everything up, prints where to go, and a restart finds the open case where it was', async () => {
  const banner = await start();
  const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  expect(banner).toContain(`http://127.0.0.1:${ports.api}`);
  expect(banner).toContain(`http://127.0.0.1:${ports.ui}`);
  expect(banner).toContain(token);
  expect(banner).toContain('embedded PGlite');
  expect(banner).toContain(`T=$(cat ${path.join(dataDir, 'admin-token')}); API=http://127.0.0.1:${ports.api}/api/v1`);
  expect(banner).toContain(`TEMPORAL='${process.env.TEMPORAL_CLI_PATH} --address 127.0.0.1:${ports.temporal} --namespace default'`);
  const health = (await call('GET', '/healthz', token)).body;
  expect(health).toMatchObject({ database: 'ok', temporal: 'ok' });
  expect(health.status).toBe(health.calendar.missing.length > 0 ? 'degraded' : 'ok');
  expect(banner).toContain('Calendar       holidays of 2026');
  // From 60 days before a year without a calendar, the banner says so (2027 is not published in calendars/ yet).
  if (health.calendar.missing.length > 0) expect(banner).toContain(`WARNING      no holiday calendar for ${health.calendar.missing[0]}`);
  // The first administrator's console sign-in: a one-time link that opens the set-a-password page.
  const invite = /Console +(http:\/\/\S+\/console) +first sign-in \(once, 7 days\): (\S+)/.exec(banner);
  expect(invite?.[1]).toBe(`http://127.0.0.1:${ports.api}/console`);
  expect((await fetch(invite![2])).status).toBe(200);
  expect(fs.existsSync(path.join(dataDir, 'temporal.db'))).toBe(true);

  const village = '献县/河街镇/南村';
  const mk = async (body: object) => (await call('POST', '/api/v1/users', token, body)).body.token as string;
  const grid = await mk({ name: '网格员甲', email: 'grid@xian.cn', role: 'grid_worker', area: village });
  const med = await mk({ name: '调解员乙', email: 'med@xian.cn', role: 'mediator', level: 'village', area: village });
  const created = await call('POST', '/api/v1/mediations', grid, {
    category: 'homestead', summary: '宅基地边界争议，双方各执一词', area: village, channel: 'walk_in',
    parties: [{ name: '刘一', role: 'applicant' }, { name: '陈二', role: 'respondent' }],
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  expect((await call('POST', `/api/v1/mediations/${id}/accept`, med, {})).body.status).toBe('in_mediation');

  // Without SMTP_URL the notice is an .eml file in the outbox.
  const outbox = path.join(dataDir, 'outbox');
  const files = fs.readdirSync(outbox).filter((f) => f.endsWith('.eml'));
  expect(files).toHaveLength(1);
  const mail = await simpleParser(fs.readFileSync(path.join(outbox, files[0])));
  expect(mail.subject).toContain(id);
  expect(mail.text).toContain('调解员乙，您好');

  await stop();
  await start();
  const again = await call('GET', `/api/v1/mediations/${id}`, med);
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ id, status: 'in_mediation', version: 2 });
  const closed = await call('POST', `/api/v1/mediations/${id}/agreement`, med, {
    form: 'written', terms: '按1998年确权图重新立界', parties: ['刘一', '陈二'],
  });
  expect(closed.status).toBe(200);
  expect(closed.body.status).toBe('closed');
  expect(closed.body.timeline.map((e: any) => e.action)).toEqual(['opened', 'accepted', 'agreement_recorded']);
});
