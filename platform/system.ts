import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadTemplates } from '../activities/templates';
import { createApp, REQUEST_DEADLINE_MS } from '../api/app';
import type { Policy } from '../domain/policy';
import { startRelay } from '../worker/relay';
import { createWorker } from '../worker/worker';
import { trustProxy, type Config } from './config';
import { createPool, migrate, type Db } from './db';
import { startEmbeddedDb, type EmbeddedDb } from './embedded-db';
import type { Logger } from './logger';
import type { Mailer } from './mailer';
import { ensureMeetingSchedule } from './schedules';
import { ensureTemporalCli } from './temporal-cli';
import { connectClient, connectWorker, ensureSearchAttributes, installTemporalRuntime, startDevServer, type DevServer } from './temporal';
import { newToken } from './users';

export const VERSION: string = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf8')).version;

/** PGlite runs one backend: statements of concurrent connections would interleave, so the embedded default gets one. */
export const EMBEDDED_POOL_SIZE = 1;

/** PostgreSQL at DATABASE_URL, or the embedded default under DATA_DIR; migrated either way. */
export async function prepareDatabase(config: Config, logger: Logger): Promise<{ db: Db; embedded?: EmbeddedDb; describe: string }> {
  let embedded: EmbeddedDb | undefined;
  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedDb(path.join(config.dataDir, 'pglite'), logger);
    url = embedded.url;
  }
  const db = createPool(url, embedded ? EMBEDDED_POOL_SIZE : 10);
  await migrate(db, logger);
  const u = new URL(url);
  return { db, embedded, describe: embedded ? `embedded PGlite in ${path.join(config.dataDir, 'pglite')}` : `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname}` };
}

/** The Temporal server at TEMPORAL_ADDRESS, or the CLI dev server persisted under DATA_DIR. */
export async function prepareTemporal(config: Config, logger: Logger): Promise<{ address: string; devServer?: DevServer; uiUrl?: string }> {
  if (config.TEMPORAL_ADDRESS) return { address: config.TEMPORAL_ADDRESS };
  const cli = await ensureTemporalCli(logger);
  const devServer = await startDevServer({
    cli,
    port: config.TEMPORAL_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFile: path.join(config.dataDir, 'temporal.db'),
    namespace: config.TEMPORAL_NAMESPACE,
    logFile: path.join(config.dataDir, 'temporal.log'),
    logger,
  });
  return { address: devServer.address, devServer, uiUrl: devServer.uiUrl };
}

/** PINGAN_ADMIN_TOKEN, or a token created once and kept in DATA_DIR/admin-token (mode 0600). */
export function adminToken(config: Config): { token: string; file?: string; created: boolean } {
  if (config.PINGAN_ADMIN_TOKEN) return { token: config.PINGAN_ADMIN_TOKEN, created: false };
  const file = path.join(config.dataDir, 'admin-token');
  if (fs.existsSync(file)) return { token: fs.readFileSync(file, 'utf8').trim(), file, created: false };
  const token = newToken();
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file, created: true };
}

/** The activities, each calling `wake` once it has succeeded (whatever it wrote to the outbox is then due). */
function wakingAfterEach<T extends object>(activities: T, wake: () => void): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        const result = await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        wake();
        return result;
      },
    ]),
  ) as T;
}

export interface RunningWorker {
  worker: Worker;
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function runWorker(o: {
  address: string;
  config: Config;
  db: Db;
  mailer: Mailer;
  logger: Logger;
}): Promise<RunningWorker> {
  installTemporalRuntime(o.logger, o.config.WORKER_METRICS_ADDRESS);
  const connection = await connectWorker(o.address, o.config);
  // The outbox relay delivers the notices of lean runs from this process (LISTEN needs a server of its own: with the
  // embedded database it polls, and is woken by this worker's own activities, which are then the only writers). It
  // stops with the worker, its sends in flight given the worker's grace.
  const embedded = !o.config.DATABASE_URL;
  const relay = startRelay({ db: o.db, mailer: o.mailer, mailFrom: o.config.MAIL_FROM, logger: o.logger, listenUrl: o.config.DATABASE_URL });
  const built = createActivities({ db: o.db, mailer: o.mailer, render: loadTemplates(), mailFrom: o.config.MAIL_FROM });
  const activities = embedded ? wakingAfterEach(built, relay.wake) : built;
  const worker = await createWorker({ connection, namespace: o.config.TEMPORAL_NAMESPACE, taskQueue: o.config.TEMPORAL_TASK_QUEUE, activities, maxCachedWorkflows: o.config.WORKER_MAX_CACHED_WORKFLOWS }).catch(
    async (err) => {
      await Promise.all([relay.stop(), connection.close().catch(() => undefined)]);
      throw err;
    },
  );
  const done = worker.run().finally(() => Promise.all([relay.stop(), connection.close()]));
  o.logger.info({ taskQueue: o.config.TEMPORAL_TASK_QUEUE, namespace: o.config.TEMPORAL_NAMESPACE }, 'worker running');
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.all([relay.stop(), done]);
    },
  };
}

export interface RunningApi {
  client: Client;
  server: http.Server;
  url: string;
  stop(graceMs?: number): Promise<void>;
}

export async function runApi(o: {
  address: string;
  config: Config;
  db: Db;
  policy: Policy;
  logger: Logger;
  port: number;
  registerSearchAttributes?: boolean;
}): Promise<RunningApi> {
  const client = await connectClient(o.address, o.config);
  if (o.registerSearchAttributes) await ensureSearchAttributes(client, o.config.TEMPORAL_NAMESPACE, o.logger);
  await ensureMeetingSchedule(client, o.config.TEMPORAL_TASK_QUEUE, o.policy, o.logger, o.db);
  const app = createApp({
    client, db: o.db, policy: o.policy, taskQueue: o.config.TEMPORAL_TASK_QUEUE, logger: o.logger, version: VERSION, trustProxy: trustProxy(o.config),
    tokenTtlDays: o.config.TOKEN_TTL_DAYS, metricsToken: o.config.METRICS_TOKEN, searchAttributes: o.config.SEARCH_ATTRIBUTES,
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.config.HOST, () => resolve());
  });
  const port = (server.address() as import('node:net').AddressInfo).port;
  const local = ['0.0.0.0', '::'].includes(o.config.HOST) ? '127.0.0.1' : o.config.HOST;
  const url = `http://${local.includes(':') ? `[${local}]` : local}:${port}`;
  o.logger.info({ url }, 'API listening');
  return {
    client,
    server,
    url,
    /**
     * Takes no new requests, lets those in flight finish, then closes the Temporal connection. Every request ends by
     * itself within REQUEST_DEADLINE_MS; connections are cut only after that, since closing the connection under a
     * call that is still retrying throws an uncaught "Channel has been shut down" from the client's retry timer.
     */
    async stop(graceMs = REQUEST_DEADLINE_MS + 5_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections that fall idle once their request is answered are closed as they do.
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      server.closeIdleConnections();
      await closed;
      clearInterval(idle);
      clearTimeout(cut);
      await client.connection.close();
    },
  };
}
