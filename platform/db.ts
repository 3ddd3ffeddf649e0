import fs from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';
import type { Logger } from './logger';

export type Db = Pool;

/** How long a query waits for a connection (a new one, or a free one of the pool) before it fails. */
export const CONNECT_TIMEOUT_MS = 5_000;

export function createPool(connectionString: string, max = 10): Db {
  // A server that does not answer fails the query within CONNECT_TIMEOUT_MS instead of holding the request.
  const pool = new Pool({ connectionString, max, idleTimeoutMillis: 10_000, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

// Network errors, and the server's "shutting down / starting up / too many connections / connection lost" classes
// (SQLSTATE 57P01-57P03, 53300, 08xxx): the server is out of reach, not the request wrong.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006',
]);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down|in recovery mode)/i;

/** Whether an error means that PostgreSQL cannot be reached right now (the API answers 503, the worker retries). */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'db', 'migrations');
const LOCK_ID = 74_310_001; // pg_advisory_lock key: one migrator at a time across processes

class PgStorage implements UmzugStorage {
  constructor(private readonly pool: Pick<Db, 'query'>) {}
  async logMigration({ name }: { name: string }): Promise<void> {
    await this.pool.query('INSERT INTO schema_migrations (name) VALUES ($1) ON CONFLICT DO NOTHING', [name]);
  }
  async unlogMigration({ name }: { name: string }): Promise<void> {
    await this.pool.query('DELETE FROM schema_migrations WHERE name = $1', [name]);
  }
  async executed(): Promise<string[]> {
    const r = await this.pool.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    return r.rows.map((x) => x.name);
  }
}

/** Applies db/migrations/*.sql in name order, each in its own transaction, once. */
export async function migrate(pool: Db, logger?: Logger): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    // Looked up before creating it: an application role without CREATE on the schema (0015) only reads it.
    const known = await client.query<{ found: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS found`);
    if (!known.rows[0].found) {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    }
    const files = fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    const umzug = new Umzug({
      migrations: files.map((name) => ({
        name,
        up: async () => {
          const sql = fs.readFileSync(path.join(MIGRATIONS_DIR, name), 'utf8');
          await client.query('BEGIN');
          try {
            await client.query(sql);
            await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          }
        },
      })),
      // logMigration is a no-op insert-if-missing: the row is written inside the migration's own transaction.
      storage: new PgStorage(client),
      logger: undefined,
    });
    const applied = await umzug.up();
    for (const m of applied) logger?.info({ migration: m.name }, 'migration applied');
    return applied.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => undefined);
    client.release();
  }
}

export async function withTransaction<T>(pool: Db, fn: (q: import('pg').PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
