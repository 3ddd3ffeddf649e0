/**
 * `npm start`: the whole system in one process tree, with no configuration needed.
 * Temporal dev server (or TEMPORAL_ADDRESS), database (or DATABASE_URL), worker and API; prints where to go.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { calendarHealth } from '../domain/calendar';
import { loadPolicy } from '../platform/policy';
import { adminToken, prepareDatabase, prepareTemporal, runApi, runWorker } from '../platform/system';
import { findTemporalCli } from '../platform/temporal-cli';
import { ensureAdmin } from '../platform/users';
import { adminInvitation } from '../api/console/accounts';
import { byHandLines } from './by-hand';

/** The CLI this start uses (or would use, against a remote cluster): the same lookup as ensureTemporalCli. */
function temporalCli(): string | undefined {
  try {
    return findTemporalCli();
  } catch {
    return undefined;
  }
}

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const policy = loadPolicy(config.POLICY_FILE, config.CALENDAR_DIR);
  // Stopped in reverse order: the API drains the requests in flight while the worker still answers their updates,
  // then the worker finishes its tasks, then the database and the dev server stop. A second Ctrl-C stops at once.
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const shutdown = async (reason: string, code = 0) => {
    if (stopping) {
      if (reason === 'SIGINT' || reason === 'SIGTERM') process.exit(130); // the exit hook still kills the dev server
      return;
    }
    stopping = true;
    logger.info({ reason }, 'stopping');
    for (const stop of stops.reverse()) await stop().catch((err) => logger.error({ err }, 'error while stopping'));
    logger.info('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err) => {
      logger.fatal({ err }, event);
      void shutdown(event, 1);
    });
  }
  startFailed = (err) => {
    console.error(`Pingan could not start: ${err instanceof Error ? err.message : String(err)}`);
    void shutdown('start-up failed', 1);
  };

  const temporal = await prepareTemporal(config, logger);
  if (temporal.devServer) stops.push(() => temporal.devServer!.stop());
  const database = await prepareDatabase(config, logger);
  stops.push(async () => {
    await database.db.end();
    await database.embedded?.stop();
  });
  const admin = adminToken(config);
  await ensureAdmin(database.db, admin.token);
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, outboxDir: path.join(config.dataDir, 'outbox'), logger });
  const worker = await runWorker({ address: temporal.address, config, db: database.db, mailer, logger });
  stops.push(() => worker.stop());
  const api = await runApi({
    address: temporal.address, config, db: database.db, policy, logger, port: config.PORT,
    registerSearchAttributes: !temporal.devServer,
  });
  stops.push(() => api.stop());
  worker.done.catch((err) => {
    logger.fatal({ err }, 'worker stopped');
    void shutdown('worker-failure', 1);
  });

  const calendar = calendarHealth(policy.calendar.value, Date.now(), policy.calendarLead?.value ?? 60);
  if (calendar.message) logger.warn({ missing: calendar.missing }, calendar.message);
  // The built-in administrator's first console sign-in: a one-time link, printed until it has set a password.
  const invite = await adminInvitation(database.db);
  const line = '─'.repeat(72);
  console.log(
    [
      '',
      line,
      ' 平安 Pingan is running',
      line,
      `  API            ${api.url}  (health: ${api.url}/healthz, OpenAPI: ${api.url}/api/v1/openapi.json)`,
      `  Temporal       ${temporal.address}  namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE}`,
      `  Temporal UI    ${temporal.uiUrl ?? '(the UI of your Temporal cluster)'}`,
      `  Database       ${database.describe}`,
      `  Mail           ${mailer.describe}`,
      `  Policy         ${config.POLICY_FILE ?? 'built-in default'} (version ${policy.version})`,
      `  Calendar       holidays of ${calendar.years.join(', ') || 'no year'}${calendar.message ? `\n  ⚠ WARNING      ${calendar.message}` : ''}`,
      `  Console        ${api.url}/console  ${invite ? `first sign-in (once, 7 days): ${api.url}/console/invite/${invite.token}` : '(administrator: admin@pingan.local)'}`,
      `  Admin token    ${admin.token}${admin.file ? `  (kept in ${admin.file})` : '  (from PINGAN_ADMIN_TOKEN)'}`,
      '',
      '  By hand (README, "A first case by hand"), paste into a shell:',
      ...byHandLines({
        apiUrl: api.url, adminTokenFile: admin.file && path.resolve(admin.file), cli: temporalCli(), temporalAddress: temporal.address,
        namespace: config.TEMPORAL_NAMESPACE, tls: config.TEMPORAL_TLS === 'true',
      }).map((l) => `    ${l}`),
      `  Try: curl -H "Authorization: Bearer $T" $API/users/me`,
      '  Stop with Ctrl-C; open cases continue where they were at the next npm start.',
      line,
      '',
    ].join('\n'),
  );
}

let startFailed = (err: unknown): void => {
  console.error(`Pingan could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
};
main().catch((err) => startFailed(err));
