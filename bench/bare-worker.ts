/** The bare baseline's worker process (bench/bare.ts): DATABASE_URL, TEMPORAL_ADDRESS, BARE_TASK_QUEUE. */
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Pool } from 'pg';
import type { BareActivities } from './bare';

export const BARE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS bench_bare (id text PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz);
  CREATE TABLE IF NOT EXISTS bench_bare_escalations (id text NOT NULL, at timestamptz NOT NULL DEFAULT now());`;

async function main() {
  const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const activities: BareActivities = {
    async insertCase(id) {
      await db.query(`INSERT INTO bench_bare (id, status) VALUES ($1, 'open') ON CONFLICT (id) DO NOTHING`, [id]);
    },
    async acceptCase(id) {
      await db.query(`UPDATE bench_bare SET status = 'accepted', updated_at = now() WHERE id = $1`, [id]);
    },
    async escalateCase(id) {
      // No key on purpose: a doubled escalation shows as a second row.
      await db.query('INSERT INTO bench_bare_escalations (id) VALUES ($1)', [id]);
    },
  };
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.BARE_TASK_QUEUE ?? 'bench-bare',
    workflowsPath: path.join(__dirname, 'bare.ts'),
    activities,
  });
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => worker.shutdown());
  console.log(JSON.stringify({ msg: 'worker running' }));
  await worker.run();
  await connection.close();
  await db.end();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
