/** `npm run migrate`: applies db/migrations to DATABASE_URL (the processes also migrate at start-up). */
import { loadConfig } from '../platform/config';
import { createPool, migrate } from '../platform/db';
import { createLogger } from '../platform/logger';

async function main() {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new Error('npm run migrate needs DATABASE_URL');
  const db = createPool(config.DATABASE_URL, 1);
  try {
    const applied = await migrate(db, createLogger(config.LOG_LEVEL));
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'the database is up to date');
  } finally {
    await db.end();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
