import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Policy } from '../domain/policy';
import { DAY_MS, HOUR_MS, shanghaiDate, startOfShanghaiDate } from '../domain/time';
import { loadTemplates } from '../activities/templates';
import { createPool, migrate, type Db } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { ensureSearchAttributes } from '../platform/temporal';
import { loadPolicy } from '../platform/policy';
import { ensureTimeSkippingServer } from '../platform/test-server';
import { startRelay } from '../worker/relay';
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
  // The worker process's outbox relay, as runWorker starts it beside the worker (lean cases' notices).
  const relay = startRelay({ db, mailer, mailFrom: 'pingan@test.cn', logger: createLogger('silent'), listenUrl: process.env.TEST_DATABASE_URL });
  return {
    env,
    db,
    smtp,
    taskQueue,
    async stop() {
      worker.shutdown();
      await Promise.all([relay.stop(), running]);
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

/**
 * The default policy with no rest days in the years around `now`: the timer tests then count calendar days the same
 * way on whatever date they run (rest days and holidays are tested in test/periods.test.ts, the rules tests and
 * through HTTP). Periods still end at 24:00 of their last day, with the start day not counted.
 */
export function everyDayWorked(now = Date.now()): Policy {
  const policy = loadPolicy();
  const year = Number(shanghaiDate(now).slice(0, 4));
  policy.version = 'test-every-day-worked';
  policy.calendar.value = {
    weekendDays: [],
    years: [year - 1, year, year + 1, year + 2].map((y) => ({ year: y, source: 'test: no rest days', holidays: [], workedWeekendDays: [] })),
  };
  return policy;
}

/** Moves the test server's clock to the next 09:00 Asia/Shanghai, so that hours counted from it read the same on every run. */
export async function sleepUntilNine(env: TestWorkflowEnvironment): Promise<number> {
  const now = await env.currentTimeMs();
  let nine = startOfShanghaiDate(shanghaiDate(now)) + 9 * HOUR_MS;
  if (nine <= now + 60_000) nine += DAY_MS;
  await env.sleep(nine - now);
  return nine;
}

/** The instant a period of `days` calendar days started at `start` ends when every day is worked: 24:00 of its last day. */
export function endOfDayAfter(start: number, days: number): number {
  return startOfShanghaiDate(shanghaiDate(start)) + (days + 1) * DAY_MS;
}
