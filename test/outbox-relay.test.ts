import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { insertOutbox } from '../activities/mail';
import type { OutboxRow } from '../activities/register';
import { MAIL_RETRY, mailRetryDelayMs } from '../domain/mail-retry';
import { createPool, migrate, type Db } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer, SMTP_POOL, type Mailer } from '../platform/mailer';
import { startRelay, type Relay } from '../worker/relay';
import { startSmtpReceiver, type SmtpReceiver } from './smtp';
import { startTcpProxy } from './tcp-proxy';

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
  smtp.setDelay(0);
});
afterAll(async () => {
  mailer.close();
  await smtp.stop();
  await db.end();
});

const relay = (opts: { pollMs?: number; concurrency?: number; leaseMs?: number; db?: Db; listenUrl?: string; mailer?: Mailer } = {}) => {
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
  const r = await db.query<{ recipient: string; status: string; attempts: number; last_error: string | null; wait_ms: number | null; lease_ms: number | null }>(
    `SELECT recipient, status, attempts, last_error, (extract(epoch FROM next_attempt_at - now()) * 1000)::int AS wait_ms,
            (extract(epoch FROM lease_until - now()) * 1000)::int AS lease_ms
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

test('a relay sends over pooled SMTP connections: 60 mails, at most as many connections as the pool holds', async () => {
  const tag = randomBytes(4).toString('hex');
  const pooled = createMailer({ smtpUrl: smtp.url, outboxDir: '/tmp', logger });
  try {
    const before = smtp.connections;
    relay({ mailer: pooled, pollMs: 100 });
    await insertOutbox(db, rowsFor(tag, 15, 4));
    const done = await until(() => outbox(tag), (r) => r.length === 60 && r.every((x) => x.status === 'sent'));
    expect(done.filter((x) => x.status === 'sent')).toHaveLength(60);
    expect(mailsOf(tag)).toHaveLength(60);
    // One connection per mail would have opened 60.
    expect(smtp.connections - before).toBeGreaterThan(0);
    expect(smtp.connections - before).toBeLessThanOrEqual(SMTP_POOL.maxConnections);
  } finally {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    pooled.close();
  }
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a mail sent while PostgreSQL is out of reach is recorded sent when it is back, and not sent again by a second relay', async () => {
  const tag = randomBytes(4).toString('hex');
  const pg = new URL(process.env.TEST_DATABASE_URL!);
  const proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port) });
  const cutOff = createPool(proxy.via(process.env.TEST_DATABASE_URL!));
  try {
    // The first relay reaches PostgreSQL through the proxy; the SMTP server takes 1.5 s to answer, time to cut it.
    smtp.setDelay(2_500);
    const leaseMs = 12_000;
    relay({ db: cutOff, listenUrl: proxy.via(process.env.TEST_DATABASE_URL!), pollMs: 100, leaseMs });
    await insertOutbox(db, rowsFor(tag, 1, 1));
    expect(await until(async () => smtp.answering, (n) => n > 0, 10_000)).toBe(1);
    // A second relay on a sound connection runs from now on: it must leave the row to the lease of the first.
    relay({ pollMs: 100 });
    proxy.cut();
    await until(async () => mailsOf(tag).length, (n) => n > 0, 5_000);
    expect(mailsOf(tag)).toHaveLength(1);
    await sleep(2_000);
    // The mail went out, the recording has not reached PostgreSQL: the row is still pending, held by the first relay.
    const [held] = await outbox(tag);
    expect(held).toMatchObject({ status: 'pending', attempts: 1 });
    const leaseEnds = Date.now() + held.lease_ms!;
    proxy.restore();
    const [sent] = await until(() => outbox(tag), (r) => r[0]?.status === 'sent', 5_000);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1 });
    // Past the first relay's lease, with the second polling all along: still one mail.
    await sleep(Math.max(leaseEnds + 1_500 - Date.now(), 0));
    expect(await outbox(tag)).toMatchObject([{ status: 'sent', attempts: 1 }]);
    expect(mailsOf(tag)).toHaveLength(1);
  } finally {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await cutOff.end();
    await proxy.close();
  }
});

/** A relay in a process of its own (test/relay-process.ts), stopped with SIGTERM as the worker is. */
function relayProcess(env: { leaseMs: number; graceMs: number; concurrency?: number; pollMs?: number; listenUrl?: string }) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'relay-process.ts')], {
    cwd: path.join(__dirname, '..'),
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: process.env.TEST_DATABASE_URL, SMTP_URL: smtp.url, POLL_MS: String(env.pollMs ?? 100),
      LEASE_MS: String(env.leaseMs), GRACE_MS: String(env.graceMs), CONCURRENCY: String(env.concurrency ?? 4),
      ...(env.listenUrl ? { LISTEN_URL: env.listenUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const lines: Array<Record<string, unknown>> = [];
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    for (const l of parts) if (l.trim()) lines.push(JSON.parse(l));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    started: () => until(async () => lines.some((l) => l.relay === 'started'), Boolean, 30_000),
    /** SIGTERM; resolves once the process has exited, with how long stop() took in it. */
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      expect(await exited).toBe(0);
      clearTimeout(killer);
      return lines.find((l) => l.relay === 'stopped')!.stopMs as number;
    },
    stderr: () => stderr.split('\n').filter(Boolean),
    kill: () => child.kill('SIGKILL'),
  };
}

test('stopped with a send in flight, a relay takes no more rows and waits for it: recorded sent, not sent again', async () => {
  const tag = randomBytes(4).toString('hex');
  const leaseMs = 4_000;
  const first = relayProcess({ leaseMs, graceMs: 10_000, concurrency: 1 });
  try {
    await first.started();
    smtp.setDelay(1_500);
    await insertOutbox(db, rowsFor(tag, 1, 2));
    await until(async () => smtp.answering, (n) => n > 0, 10_000);
    const stopMs = await first.stop();
    // When the process is gone: the send it waited for is recorded, the other row was not taken (one at a time).
    const rows = await outbox(tag);
    expect(rows.map((r) => [r.status, r.attempts]).sort()).toEqual([['pending', 0], ['sent', 1]]);
    expect(mailsOf(tag)).toHaveLength(1);
    expect(stopMs).toBeLessThan(10_000);
  } finally {
    first.kill();
  }
  smtp.setDelay(0);
  relay({ pollMs: 100 });
  await sleep(leaseMs + 1_000);
  const rows = await outbox(tag);
  expect(rows.map((r) => [r.status, r.attempts])).toEqual([['sent', 1], ['sent', 1]]);
  expect(mailsOf(tag).flatMap((m) => m.to).sort()).toEqual(rows.map((r) => r.recipient).sort());
});

test('a send still unfinished when the grace ends is taken again by another relay after its lease, and sent once', async () => {
  const tag = randomBytes(4).toString('hex');
  const leaseMs = 3_000;
  const first = relayProcess({ leaseMs, graceMs: 500 });
  try {
    await first.started();
    smtp.setDelay(5_000);
    await insertOutbox(db, rowsFor(tag, 1, 1));
    await until(async () => smtp.answering, (n) => n > 0, 10_000);
    const stopMs = await first.stop();
    expect(stopMs).toBeGreaterThanOrEqual(490);
    expect(stopMs).toBeLessThan(3_000);
    // The process went with its send: the server never answered it, the row is pending and held until the lease ends.
    const [held] = await outbox(tag);
    expect(held).toMatchObject({ status: 'pending', attempts: 1 });
    expect(held.lease_ms).toBeGreaterThan(0);
    const leaseEnds = Date.now() + held.lease_ms!;
    smtp.setDelay(0);
    relay({ pollMs: 100 });
    const [sent] = await until(() => outbox(tag), (r) => r[0]?.status === 'sent', leaseMs + 5_000);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2 });
    expect(Date.now()).toBeGreaterThanOrEqual(leaseEnds - 100);
    await sleep(1_000);
    expect(mailsOf(tag)).toHaveLength(1);
  } finally {
    first.kill();
  }
});

test('a relay that cannot keep its LISTEN connection tries again without piling up a listener per try', async () => {
  const pg = new URL(process.env.TEST_DATABASE_URL!);
  const proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port) });
  proxy.cut(); // every LISTEN connection is reset at once: a try every 20 ms
  const r = relayProcess({ leaseMs: 5_000, graceMs: 1_000, pollMs: 20, listenUrl: proxy.via(process.env.TEST_DATABASE_URL!) });
  try {
    await r.started();
    await sleep(1_500);
    await r.stop();
    expect(r.stderr().filter((l) => /MaxListenersExceededWarning/.test(l))).toEqual([]);
  } finally {
    r.kill();
    await proxy.close();
  }
});
