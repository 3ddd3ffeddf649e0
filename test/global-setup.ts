/**
 * Starts the real infrastructure the suite runs against, once:
 * - the Temporal CLI dev server (built by `go install` when missing), in memory, on a free port;
 * - the Java time-skipping test server's jars (fetched once with Maven when missing; each suite starts its own);
 * - a throw-away PostgreSQL cluster, unless TEST_DATABASE_URL names a server.
 * Missing infrastructure fails the run loudly; nothing is skipped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../platform/logger';
import { freePort } from '../platform/net';
import { ensureTemporalCli } from '../platform/temporal-cli';
import { ensureTimeSkippingServer } from '../platform/test-server';
import { startDevServer, type DevServer } from '../platform/temporal';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../platform/throwaway-postgres';

declare global {
  // eslint-disable-next-line no-var
  var __pinganInfra: { temporal?: DevServer; postgres?: ThrowawayPostgres; tmp: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const logger = createLogger('info', 'test-setup');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-test-'));
  globalThis.__pinganInfra = { tmp };
  const started = Date.now();

  const cli = await ensureTemporalCli(logger);
  const testServer = await ensureTimeSkippingServer((msg) => logger.info(msg));
  logger.info({ testServer }, 'Temporal time-skipping test server available');
  process.env.TEMPORAL_CLI_PATH = cli;
  if (!process.env.TEST_TEMPORAL_ADDRESS) {
    const temporal = await startDevServer({
      cli,
      port: await freePort(),
      namespace: 'default',
      logFile: path.join(tmp, 'temporal.log'),
      logger,
    });
    globalThis.__pinganInfra.temporal = temporal;
    process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  }

  if (!process.env.TEST_DATABASE_URL) {
    const pg = startThrowawayPostgres(await freePort());
    globalThis.__pinganInfra.postgres = pg;
    process.env.TEST_DATABASE_URL = pg.url;
  }
  // Should the run die before the teardown (a crash, Ctrl-C), nothing is left running.
  process.once('exit', () => {
    globalThis.__pinganInfra?.temporal?.child.kill('SIGKILL');
    globalThis.__pinganInfra?.postgres?.stop(); // a no-op after the teardown
  });
  const c = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await c.connect();
  const version = (await c.query('SHOW server_version')).rows[0].server_version;
  await c.end();
  logger.info(
    { temporal: process.env.TEST_TEMPORAL_ADDRESS, postgres: version, seconds: (Date.now() - started) / 1000 },
    'test infrastructure ready',
  );
}
