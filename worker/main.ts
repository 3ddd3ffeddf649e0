/** `npm run worker`: a worker process for production, any number of them, against a Temporal cluster and PostgreSQL. */
import path from 'node:path';
import { loadConfig } from '../platform/config';
import { createPool, migrate } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { runWorker } from '../platform/system';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'pingan-worker');
  if (!config.TEMPORAL_ADDRESS || !config.DATABASE_URL) {
    throw new Error('npm run worker needs TEMPORAL_ADDRESS and DATABASE_URL (npm start runs everything in one process instead)');
  }
  const db = createPool(config.DATABASE_URL);
  await migrate(db, logger);
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, outboxDir: path.join(config.dataDir, 'outbox'), logger });
  const worker = await runWorker({ address: config.TEMPORAL_ADDRESS, config, db, mailer, logger });
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => void worker.stop());
  await worker.done;
  await db.end();
}

main().catch((err) => {
  console.error(`Pingan worker stopped: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
