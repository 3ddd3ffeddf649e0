import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from './logger';

/**
 * The embedded default database: PGlite (PostgreSQL compiled to WebAssembly) stored under the data directory and
 * served over the PostgreSQL wire protocol on 127.0.0.1, so the application uses the very same `pg` pool, SQL and
 * migrations as with a real server. It serialises queries and keeps each transaction to its own connection.
 */
export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedDb(dir: string, logger: Logger, port = 0): Promise<EmbeddedDb> {
  fs.mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(path.resolve(dir));
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 16 });
  await server.start();
  const conn = server.getServerConn(); // "127.0.0.1:PORT"
  const url = `postgres://postgres:postgres@${conn}/postgres?sslmode=disable`;
  logger.info({ dir, address: conn }, 'embedded database (PGlite) started');
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
