/** `npm run api`: an API process for production, any number of them, against a Temporal cluster and PostgreSQL. */
import { loadConfig } from '../platform/config';
import { createPool, migrate } from '../platform/db';
import { createLogger } from '../platform/logger';
import { loadPolicy } from '../platform/policy';
import { adminToken, runApi } from '../platform/system';
import { ensureAdmin } from '../platform/users';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'pingan-api');
  if (!config.TEMPORAL_ADDRESS || !config.DATABASE_URL || !config.PINGAN_ADMIN_TOKEN) {
    throw new Error('npm run api needs TEMPORAL_ADDRESS, DATABASE_URL and PINGAN_ADMIN_TOKEN (npm start runs everything in one process instead)');
  }
  const db = createPool(config.DATABASE_URL);
  await migrate(db, logger);
  await ensureAdmin(db, adminToken(config).token);
  const api = await runApi({
    address: config.TEMPORAL_ADDRESS, config, db, policy: loadPolicy(config.POLICY_FILE, config.CALENDAR_DIR), logger, port: config.PORT,
    registerSearchAttributes: true,
  });
  // SIGINT/SIGTERM: no new requests, those in flight are answered (platform/system.ts runApi.stop), then exit 0.
  for (const s of ['SIGINT', 'SIGTERM'] as const) {
    process.once(s, () => {
      logger.info({ signal: s }, 'stopping');
      void api
        .stop()
        .then(() => db.end())
        .then(
          () => process.exit(0),
          (err) => {
            logger.error({ err }, 'error while stopping');
            process.exit(1);
          },
        );
    });
  }
}

main().catch((err) => {
  console.error(`Pingan API stopped: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
