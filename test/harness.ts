import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Role } from '../domain/actors';
import type { Policy } from '../domain/policy';
import { loadConfig, type Config } from '../platform/config';
import type { Db } from '../platform/db';
import { createLogger, type Logger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { loadPolicy } from '../platform/policy';
import { prepareDatabase, runApi, runWorker, type RunningApi, type RunningWorker } from '../platform/system';
import { ensureAdmin, newToken } from '../platform/users';
import { startSmtpReceiver, type SmtpReceiver } from './smtp';

/**
 * The whole system wired as `npm start` wires it, against the suite's Temporal dev server, PostgreSQL and an SMTP
 * receiver in this process. Each test file gets its own task queue, so workers of other files never run its cases.
 */
export interface TestSystem {
  url: string;
  adminToken: string;
  smtp: SmtpReceiver;
  db: Db;
  client: Client;
  config: Config;
  policy: Policy;
  worker: RunningWorker;
  api: RunningApi;
  call(method: string, route: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  user(role: Role, area: string, extra?: { level?: string; committee?: string; name?: string }): Promise<{ id: string; token: string; email: string; name: string }>;
  stop(): Promise<void>;
}

/**
 * A dispute reported by a new grid worker of the village (a debt between 甲 and 乙), with a new village mediator who may
 * act on it: the opening most suites start from. Answers the case's id (201 checked) and both members.
 */
export async function reportDebtDispute(sys: TestSystem, where: { village: string }) {
  const grid = await sys.user('grid_worker', where.village);
  const med = await sys.user('mediator', where.village, { level: 'village' });
  const created = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'debt', summary: '借款到期未还引发争执', area: where.village, channel: 'grid', parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }] },
  });
  expect(created.status).toBe(201);
  return { id: created.body.id as string, grid, med };
}

/** The workflow ids Temporal's visibility lists for `query`, asked again (up to 10 s) until `id` is among them. */
export async function listedUntil(sys: TestSystem, query: string, id: string): Promise<string[]> {
  let listed: string[] = [];
  for (let i = 0; i < 50 && !listed.includes(id); i++) {
    listed = [];
    for await (const w of sys.client.workflow.list({ query })) listed.push(w.workflowId);
    if (!listed.includes(id)) await new Promise((r) => setTimeout(r, 200));
  }
  return listed;
}

export function uniqueVillage(prefix = '测试'): { county: string; township: string; village: string } {
  const tag = randomBytes(3).toString('hex');
  const county = `${prefix}县${tag}`;
  const township = `${county}/梁家村镇`;
  return { county, township, village: `${township}/东村` };
}

export async function startTestSystem(opts: { env?: Record<string, string>; embeddedDataDir?: string; logger?: Logger } = {}): Promise<TestSystem> {
  const smtp = await startSmtpReceiver();
  const logger = opts.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', 'test');
  const adminToken = newToken();
  const config = loadConfig({
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: opts.embeddedDataDir ? undefined : process.env.TEST_DATABASE_URL,
    DATA_DIR: opts.embeddedDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-data-')),
    SMTP_URL: smtp.url,
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(4).toString('hex')}`,
    PINGAN_ADMIN_TOKEN: adminToken,
    ...opts.env,
  });
  const policy = loadPolicy(config.POLICY_FILE, config.CALENDAR_DIR);
  const database = await prepareDatabase(config, logger);
  const db = database.db;
  await ensureAdmin(db, adminToken);
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, outboxDir: path.join(config.dataDir, 'outbox'), logger });
  const worker = await runWorker({ address: config.TEMPORAL_ADDRESS!, config, db, mailer, logger });
  const api = await runApi({ address: config.TEMPORAL_ADDRESS!, config, db, policy, logger, port: 0 });

  const call: TestSystem['call'] = async (method, route, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    }
    const res = await fetch(`${api.url}${route}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as any };
  };

  return {
    url: api.url,
    adminToken,
    smtp,
    db,
    client: api.client,
    config,
    policy,
    worker,
    api,
    call,
    async user(role, area, extra = {}) {
      const name = extra.name ?? `${role}-${randomBytes(2).toString('hex')}`;
      const email = `${role.replace(/_/g, "-")}-${randomBytes(4).toString("hex")}@test.pingan.cn`;
      const r = await call('POST', '/api/v1/users', { token: adminToken, body: { name, email, role, area, ...extra } });
      if (r.status !== 201) throw new Error(`creating ${role} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return { id: r.body.user.id, token: r.body.token, email, name };
    },
    async stop() {
      await api.stop();
      await worker.stop();
      await db.end();
      await database.embedded?.stop();
      await smtp.stop();
      mailer.close();
    },
  };
}
