/** `npm run worker`: a worker process for production, any number of them, against a Temporal cluster and PostgreSQL. */
import path from 'node:path';
import { loadConfig } from '../platform/config';
import { createPool, isDatabaseUnavailable, migrate } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { retryWithBackoff } from '../platform/retry';
import { runWorker, type RunningWorker } from '../platform/system';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'pingan-worker');
  if (!config.TEMPORAL_ADDRESS || !config.DATABASE_URL) {
    throw new Error('npm run worker needs TEMPORAL_ADDRESS and DATABASE_URL (npm start runs everything in one process instead)');
  }
  // SIGINT/SIGTERM: stop polling, let the tasks in hand finish (Worker.shutdown), then close the pool and exit 0.
  const stopping = new AbortController();
  let worker: RunningWorker | undefined;
  for (const s of ['SIGINT', 'SIGTERM'] as const) {
    process.once(s, () => {
      logger.info({ signal: s }, 'stopping');
      stopping.abort();
      void worker?.stop().catch(() => undefined);
    });
  }
  const signal = stopping.signal;
  const db = createPool(config.DATABASE_URL);
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, outboxDir: path.join(config.dataDir, 'outbox'), logger });
  try {
    // Started while PostgreSQL or Temporal is out of reach, the worker keeps trying (and says why) instead of exiting.
    await retryWithBackoff('PostgreSQL', () => migrate(db, logger), logger, { signal, retryable: isDatabaseUnavailable });
    while (!signal.aborted) {
      worker = await retryWithBackoff('Temporal', () => runWorker({ address: config.TEMPORAL_ADDRESS!, config, db, mailer, logger }), logger, { signal });
      if (signal.aborted) await worker.stop();
      try {
        await worker.done;
        break;
      } catch (err) {
        if (signal.aborted) break;
        logger.error({ err }, 'worker failed; starting it again');
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    await db.end().catch(() => undefined);
    mailer.close();
  }
  logger.info('worker stopped');
}

main().then(() => process.exit(0), (err) => {
  console.error(`Pingan worker stopped: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
