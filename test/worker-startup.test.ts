import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { createLogger } from '../platform/logger';
import { freePort } from '../platform/net';
import { startDevServer, type DevServer } from '../platform/temporal';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../platform/throwaway-postgres';
import { startPingan, tail, type PinganProcess } from './faults/processes';

/**
 * `npm run worker` started while PostgreSQL and Temporal are both out of reach keeps trying with back-off and logs
 * why; it connects once they open, and stops cleanly (exit 0) on SIGTERM. Before: it exited at once with code 1.
 */
let pg: ThrowawayPostgres | undefined;
let temporal: DevServer | undefined;
let worker: PinganProcess | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-worker-start-'));

afterAll(async () => {
  await worker?.stop('SIGKILL');
  await temporal?.stop();
  pg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a worker started against closed ports retries with back-off, then connects when PostgreSQL and Temporal open', async () => {
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const taskQueue = `startup-${randomBytes(4).toString('hex')}`;
  worker = startPingan('worker', 'worker/main.ts', {
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
    DATA_DIR: tmp,
    TEMPORAL_TASK_QUEUE: taskQueue,
  });
  const pgRetries = (l: Record<string, any>) => l.what === 'PostgreSQL' && l.level === 'warn';
  await worker.waitFor('a second PostgreSQL attempt', (l) => pgRetries(l) && l.attempt === 2, 30_000);
  const waits = worker.lines.filter(pgRetries).map((l) => l.retryInMs);
  expect(waits[1]).toBeGreaterThan(waits[0]); // back-off
  expect(worker.lines.find(pgRetries)!.reason).toMatch(/ECONNREFUSED/); // and why
  expect(worker.child.exitCode).toBeNull();

  pg = startThrowawayPostgres(pgPort);
  await worker.waitFor('PostgreSQL reached', (l) => l.msg === 'PostgreSQL reached', 60_000);
  await worker.waitFor('a Temporal retry', (l) => l.what === 'Temporal' && l.level === 'warn', 60_000);
  expect(worker.child.exitCode).toBeNull();

  temporal = await startDevServer({
    cli: process.env.TEMPORAL_CLI_PATH!, port: temporalPort, namespace: 'default', logFile: path.join(tmp, 'temporal.log'), logger: createLogger('silent'),
  });
  await worker.waitFor('worker running', (l) => l.msg === 'worker running', 90_000);
  // It polls the task queue: Temporal sees it.
  const conn = await Connection.connect({ address: temporal.address });
  try {
    const end = Date.now() + 30_000;
    let pollers = 0;
    while (pollers === 0 && Date.now() < end) {
      const r = await conn.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue, kind: 1 }, taskQueueType: 1 });
      pollers = r.pollers?.length ?? 0;
      if (pollers === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(pollers).toBeGreaterThan(0);
  } finally {
    await conn.close();
  }
  const exit = await worker.stop('SIGTERM');
  if (exit.code !== 0) console.log(tail(worker.lines));
  expect(exit).toEqual({ code: 0, signal: null });
  expect(worker.lines.some((l) => /Channel has been shut down|Unhandled|uncaught/i.test(l.msg ?? l.text ?? ''))).toBe(false);
});
