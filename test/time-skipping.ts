import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadTemplates } from '../activities/templates';
import { createPool, migrate, type Db } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { ensureSearchAttributes } from '../platform/temporal';
import { ensureTimeSkippingServer } from '../platform/test-server';
import { workflowBundle } from '../worker/worker';
import { startSmtpReceiver, type SmtpReceiver } from './smtp';

/**
 * The real workflows with the real activities (PostgreSQL, SMTP) on the Java time-skipping test server, for timers
 * at their real lengths. One environment per test file: a stuck workflow would stop time for all in it.
 */
export interface TimeSkippingWorld {
  env: TestWorkflowEnvironment;
  db: Db;
  smtp: SmtpReceiver;
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startTimeSkipping(name: string): Promise<TimeSkippingWorld> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: await ensureTimeSkippingServer(() => undefined) } },
  });
  // The test server knows no custom search attributes until they are registered (before any worker runs).
  await ensureSearchAttributes(env.client, 'default', createLogger('silent'));
  const db = createPool(process.env.TEST_DATABASE_URL!);
  await migrate(db);
  const smtp = await startSmtpReceiver();
  const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/tmp', logger: createLogger('silent') });
  const taskQueue = `${name}-${randomBytes(3).toString('hex')}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ db, mailer, render: loadTemplates(), mailFrom: 'pingan@test.cn' }),
  });
  const running = worker.run();
  return {
    env,
    db,
    smtp,
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
      mailer.close();
      await smtp.stop();
      await db.end();
    },
  };
}

/** A timer fires at its time; the workflow sees it a few milliseconds later. */
export function expectWithinASecond(actual: number, expected: number): void {
  expect(actual).toBeGreaterThanOrEqual(expected - 1000);
  expect(actual - expected).toBeLessThan(1000);
}
