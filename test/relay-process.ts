/**
 * An outbox relay in a process of its own, stopped as the worker stops (worker/main.ts): on SIGTERM, `stop(GRACE_MS)`,
 * then the pool and the mailer are closed and the process exits, taking any send still in flight with it. Prints
 * `{"relay":"started"}` and `{"relay":"stopped","stopMs":…}` on stdout for test/outbox-relay.test.ts; Node's own
 * warnings go to stderr as they do in production.
 */
import { createPool } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { startRelay } from '../worker/relay';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const logger = createLogger('silent');
const db = createPool(env('DATABASE_URL'));
const mailer = createMailer({ smtpUrl: env('SMTP_URL'), outboxDir: '/tmp', logger });
const relay = startRelay({
  db, mailer, mailFrom: 'pingan@test.cn', logger, listenUrl: process.env.LISTEN_URL ?? env('DATABASE_URL'),
  pollMs: Number(env('POLL_MS')), leaseMs: Number(env('LEASE_MS')), concurrency: Number(env('CONCURRENCY')),
});
process.stdout.write(`${JSON.stringify({ relay: 'started' })}\n`);
process.once('SIGTERM', () => {
  const t0 = Date.now();
  void relay.stop(Number(env('GRACE_MS'))).then(async () => {
    const stopMs = Date.now() - t0;
    await db.end().catch(() => undefined);
    mailer.close();
    process.stdout.write(`${JSON.stringify({ relay: 'stopped', stopMs })}\n`, () => process.exit(0));
  });
});
