/**
 * `npm run db:embedded`: serves the embedded database (DATA_DIR/pglite) on 127.0.0.1 and prints its URL, for psql or
 * other tools while `npm start` is not running (PGlite allows one process per data directory). The URL carries the
 * password kept in DATA_DIR/pglite-password.
 */
import path from 'node:path';
import { loadConfig } from '../platform/config';
import { startEmbeddedDb } from '../platform/embedded-db';
import { createLogger } from '../platform/logger';

async function main() {
  const config = loadConfig();
  const db = await startEmbeddedDb(path.join(config.dataDir, 'pglite'), createLogger('warn'), Number(process.env.EMBEDDED_DB_PORT ?? 0));
  console.log(db.url);
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => void db.stop().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
