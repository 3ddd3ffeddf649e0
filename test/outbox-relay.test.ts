import { randomBytes } from 'node:crypto';
import { insertOutbox } from '../activities/mail';
import type { OutboxRow } from '../activities/register';
import { MAIL_RETRY, mailRetryDelayMs } from '../domain/mail-retry';
import { createPool, migrate, type Db } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer, type Mailer } from '../platform/mailer';
import { startRelay, type Relay } from '../worker/relay';
import { startSmtpReceiver, type SmtpReceiver } from './smtp';

/**
 * The outbox relay (worker/relay.ts) on real PostgreSQL and real SMTP (test/smtp.ts): rows written for it are sent
 * once per (notice, recipient) however many relays run, retried on the schedule stored on the row, failed with the
 * reason when refused for good or after the last attempt, and taken again after the lease of a relay that died.
 */
let db: Db;
let smtp: SmtpReceiver;
let mailer: Mailer;
const relays: Relay[] = [];
const logger = createLogger('silent');

beforeAll(async () => {
  db = createPool(process.env.TEST_DATABASE_URL!);
  await migrate(db);
  smtp = await startSmtpReceiver();
  mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/tmp', logger });
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  smtp.setMode('accept');
});
afterAll(async () => {
  mailer.close();
  await smtp.stop();
  await db.end();
});

const relay = (opts: { pollMs?: number; concurrency?: number } = {}) => {
  const r = startRelay({ db, mailer, mailFrom: 'pingan@test.cn', logger, listenUrl: process.env.TEST_DATABASE_URL, ...opts });
  relays.push(r);
  return r;
};

const rowsFor = (tag: string, notices: number, recipients: number): OutboxRow[] =>
  Array.from({ length: notices }, (_, n) =>
    Array.from({ length: recipients }, (_, r) => ({
      key: `RELAY-${tag}:${n}:test/notice`, recipient: `r${r}-${tag}@test.pingan.cn`, template: 'test/notice',
      subject: `通知 ${tag} ${n}`, body: '正文', message_id: `<${tag}-${n}-${r}@pingan>`, relay: true,
    })),
  ).flat();

async function outbox(tag: string) {
  const r = await db.query<{ recipient: string; status: string; attempts: number; last_error: string | null; wait_ms: number | null }>(
    `SELECT recipient, status, attempts, last_error, (extract(epoch FROM next_attempt_at - now()) * 1000)::int AS wait_ms
       FROM mail_outbox WHERE key LIKE $1 ORDER BY key, recipient`,
    [`RELAY-${tag}:%`],
  );
  return r.rows;
}

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const mailsOf = (tag: string) => smtp.messages.filter((m) => m.subject.includes(tag));

test('two relays on one outbox send each (notice, recipient) once', async () => {
  const tag = randomBytes(4).toString('hex');
  // Both listen before the rows are written: one NOTIFY wakes them at once, and they poll fast besides.
  relay({ pollMs: 50, concurrency: 8 });
  relay({ pollMs: 50, concurrency: 8 });
  await new Promise((r) => setTimeout(r, 500));
  const rows = rowsFor(tag, 20, 4);
  await insertOutbox(db, rows);
  const done = await until(() => outbox(tag), (r) => r.every((x) => x.status === 'sent'));
  expect(done.filter((x) => x.status === 'sent')).toHaveLength(80);
  await new Promise((r) => setTimeout(r, 1000)); // a second send would show now
  const deliveries = new Map<string, number>();
  for (const m of mailsOf(tag)) for (const to of m.to) deliveries.set(`${m.messageId} ${to}`, (deliveries.get(`${m.messageId} ${to}`) ?? 0) + 1);
  expect(deliveries.size).toBe(80);
  expect([...deliveries.values()].filter((n) => n > 1)).toEqual([]);
  expect(done.every((x) => x.attempts === 1)).toBe(true);
});

test('with the SMTP server refusing (421), then accepting, a row is retried on its schedule and delivered once', async () => {
  const tag = randomBytes(4).toString('hex');
  smtp.setMode('refuse');
  relay({ pollMs: 200 });
  await insertOutbox(db, rowsFor(tag, 1, 1));
  // First attempt at once, the second 2 s later; after it the row waits mailRetryDelayMs(2) = 4 s, stored on the row.
  const [retrying] = await until(() => outbox(tag), (r) => r[0]?.attempts >= 2 && r[0].wait_ms! > 1000, 15_000);
  expect(retrying).toMatchObject({ status: 'pending', attempts: 2 });
  expect(retrying.last_error).toMatch(/^SMTP 421/);
  expect(retrying.wait_ms).toBeGreaterThan(mailRetryDelayMs(2) - 1500);
  expect(retrying.wait_ms).toBeLessThanOrEqual(mailRetryDelayMs(2));
  expect(mailsOf(tag)).toHaveLength(0);

  smtp.setMode('accept');
  const [sent] = await until(() => outbox(tag), (r) => r[0]?.status === 'sent', 15_000);
  expect(sent).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
  await new Promise((r) => setTimeout(r, 1000));
  expect(mailsOf(tag)).toHaveLength(1);
});

test('a recipient refused for good (550) is failed with the reason at once and not retried', async () => {
  const tag = randomBytes(4).toString('hex');
  const rows = rowsFor(tag, 1, 2);
  smtp.rejected.add(rows[0].recipient);
  relay({ pollMs: 100 });
  await insertOutbox(db, rows);
  const done = await until(() => outbox(tag), (r) => r.length === 2 && r.every((x) => x.status !== 'pending'));
  expect(done[0]).toMatchObject({ recipient: rows[0].recipient, status: 'failed', attempts: 1 });
  expect(done[0].last_error).toMatch(/^SMTP 550/);
  expect(done[1]).toMatchObject({ recipient: rows[1].recipient, status: 'sent', attempts: 1 });
  await new Promise((r) => setTimeout(r, 1000));
  expect((await outbox(tag))[0]).toMatchObject({ status: 'failed', attempts: 1 });
  expect(mailsOf(tag).flatMap((m) => m.to)).toEqual([rows[1].recipient]);
});

test('a row held by a relay that died mid-send is taken again once its lease has passed, and sent once', async () => {
  const tag = randomBytes(4).toString('hex');
  await insertOutbox(db, rowsFor(tag, 1, 1));
  // What a relay killed mid-send leaves: the attempt counted, the row held for a while.
  await db.query(`UPDATE mail_outbox SET attempts = 1, lease_until = now() + interval '2 seconds' WHERE key LIKE $1`, [`RELAY-${tag}:%`]);
  relay({ pollMs: 200 });
  await new Promise((r) => setTimeout(r, 1000));
  expect(mailsOf(tag)).toHaveLength(0);
  const [sent] = await until(() => outbox(tag), (r) => r[0]?.status === 'sent', 10_000);
  expect(sent).toMatchObject({ status: 'sent', attempts: 2 });
  expect(mailsOf(tag)).toHaveLength(1);
});

test('rows written while no relay runs stay pending, and go out when one starts', async () => {
  const tag = randomBytes(4).toString('hex');
  await insertOutbox(db, rowsFor(tag, 2, 1));
  await new Promise((r) => setTimeout(r, 500));
  expect((await outbox(tag)).map((r) => r.status)).toEqual(['pending', 'pending']);
  relay({ pollMs: 5_000 }); // found at start (LISTEN's first look), not by the poll
  const done = await until(() => outbox(tag), (r) => r.every((x) => x.status === 'sent'), 4_000);
  expect(done.map((r) => r.status)).toEqual(['sent', 'sent']);
});

test('after its last attempt a row is failed with the reason (MAIL_RETRY, the same schedule as the mailroom)', async () => {
  const tag = randomBytes(4).toString('hex');
  smtp.setMode('refuse');
  relay({ pollMs: 100 });
  await insertOutbox(db, rowsFor(tag, 1, 1));
  // The two hours of the schedule pass by moving the row's next attempt to now after each failure.
  for (let i = 0; i < MAIL_RETRY.maximumAttempts + 5; i++) {
    const [row] = await until(() => outbox(tag), (r) => r[0]?.status !== 'pending' || (r[0]?.attempts > i && r[0].wait_ms !== null && r[0].wait_ms > 0), 10_000);
    if (row.status !== 'pending') break;
    expect(row.wait_ms).toBeLessThanOrEqual(mailRetryDelayMs(row.attempts));
    await db.query(`UPDATE mail_outbox SET next_attempt_at = now() WHERE key LIKE $1 AND status = 'pending'`, [`RELAY-${tag}:%`]);
  }
  const [failed] = await until(() => outbox(tag), (r) => r[0]?.status === 'failed', 10_000);
  expect(failed).toMatchObject({ status: 'failed', attempts: MAIL_RETRY.maximumAttempts });
  expect(failed.last_error).toMatch(/^gave up after its retries: SMTP 421/);
  expect(mailsOf(tag)).toHaveLength(0);
});
