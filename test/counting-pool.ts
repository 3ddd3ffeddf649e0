import { Client, Pool } from 'pg';

/**
 * A pool on the test database whose connections count the statements they send: PostgreSQL is real, only the counting
 * is added. `count(fn)` runs fn and answers how many statements (round trips) it sent through this pool.
 */
export function countingPool(max = 2): { pool: Pool; count(fn: () => Promise<unknown>): Promise<number> } {
  let statements = 0;
  class CountingClient extends Client {
    override query(...args: unknown[]): never {
      statements += 1;
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  }
  const pool = new Pool({ connectionString: process.env.TEST_DATABASE_URL, Client: CountingClient, max });
  return {
    pool,
    async count(fn) {
      statements = 0;
      await fn();
      return statements;
    },
  };
}
