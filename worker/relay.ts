import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { sendRow, type PendingRow } from '../activities/mail';
import { RELAY_CHANNEL } from '../activities/register';
import { MAIL_RETRY, mailRetryDelayMs } from '../domain/mail-retry';
import { isDatabaseUnavailable, type Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import { SMTP_POOL, SMTP_SEND_BOUND_MS, type Mailer } from '../platform/mailer';
import { retryWithBackoff } from '../platform/retry';

/**
 * The outbox relay: runs in every worker process and delivers the `mail_outbox` rows of lean runs (written with their
 * transition, `next_attempt_at` set), so that a case's history carries no delivery activity. A row is taken for a send
 * with a lease (`FOR UPDATE SKIP LOCKED`, then `lease_until`), so two relays never send it at once and a relay killed
 * mid-send leaves it to be taken again when the lease has passed. A transient failure sets the row's next attempt
 * time (MAIL_RETRY, domain/mail-retry.ts); after the last attempt, or at once when the server refuses it for good,
 * the row is marked failed with the reason. Woken by NOTIFY from the statement that wrote the rows, and by a poll.
 */
export interface RelayOptions {
  db: Db;
  mailer: Mailer;
  mailFrom: string;
  logger: Logger;
  /** PostgreSQL to LISTEN on; absent (the embedded database, one backend), the relay polls only. */
  listenUrl?: string;
  /** The polling fallback: due rows are looked for at least this often. */
  pollMs?: number;
  /** Sends in flight at once. */
  concurrency?: number;
  /** How long a taken row is held: longer than a whole send (SMTP_SEND_BOUND_MS), so no lease ends mid-send. */
  leaseMs?: number;
}

export interface Relay {
  /** Looks for due rows now. */
  wake(): void;
  /** Stops taking rows and waits up to `graceMs` for the sends in flight (an unfinished one is retaken after its lease). */
  stop(graceMs?: number): Promise<void>;
}

export const RELAY_POLL_MS = 3_000;
/** One send per pooled SMTP connection (platform/mailer.ts). */
export const RELAY_CONCURRENCY = SMTP_POOL.maxConnections;
export const RELAY_LEASE_MS = SMTP_SEND_BOUND_MS + 15_000;

interface TakenRow extends PendingRow {
  attempts: number;
}

// One round trip takes up to $1 due rows nobody holds, counts the attempt on each, and holds them for $2 ms.
const TAKE = `
  UPDATE mail_outbox m SET attempts = m.attempts + 1, lease_until = now() + $2 * interval '1 millisecond'
    FROM (SELECT key, recipient FROM mail_outbox
           WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED) due
   WHERE m.key = due.key AND m.recipient = due.recipient
  RETURNING m.key, m.recipient, m.subject, m.body, m.message_id, m.attempts`;

export function startRelay(o: RelayOptions): Relay {
  const pollMs = o.pollMs ?? RELAY_POLL_MS;
  const concurrency = o.concurrency ?? RELAY_CONCURRENCY;
  const leaseMs = o.leaseMs ?? RELAY_LEASE_MS;
  const log = o.logger.child({ component: 'outbox-relay' });
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let woken = false;
  let wakeUp: (() => void) | undefined;
  let unreachable = false;

  const wake = () => {
    woken = true;
    wakeUp?.();
  };

  /** After a transient failure: the next attempt by the schedule, or failed with the reason after the last one. */
  const retryLater = async (db: Pick<Db, 'query'>, row: TakenRow, reason: string) => {
    if (row.attempts >= MAIL_RETRY.maximumAttempts) {
      const why = `gave up after its retries: ${reason}`.slice(0, 1000);
      await db.query(
        `UPDATE mail_outbox SET status = 'failed', last_error = $3, failed_at = now(), lease_until = NULL
          WHERE key = $1 AND recipient = $2 AND status = 'pending'`,
        [row.key, row.recipient, why],
      );
      log.warn({ key: row.key, recipient: row.recipient, attempts: row.attempts, reason }, 'notice not delivered after its retries: marked failed');
      return;
    }
    const delayMs = mailRetryDelayMs(row.attempts);
    await db.query(
      `UPDATE mail_outbox SET next_attempt_at = now() + $3 * interval '1 millisecond', lease_until = NULL
        WHERE key = $1 AND recipient = $2 AND status = 'pending'`,
      [row.key, row.recipient, delayMs],
    );
    log.warn({ key: row.key, recipient: row.recipient, attempts: row.attempts, retryInMs: delayMs, reason }, 'mail not delivered: will retry');
  };

  const deliver = async (row: TakenRow) => {
    // What a send leaves to record (sent, failed, next attempt) is retried while PostgreSQL is out of reach, as long as
    // the row's lease lasts: a mail sent but not recorded as sent would be sent again by the next relay to take it.
    const leaseEnds = Date.now() + leaseMs - 2_000;
    const record = {
      query: ((text: string, values?: unknown[]) =>
        retryWithBackoff('PostgreSQL (outbox relay)', () => o.db.query(text, values), log, {
          retryable: isDatabaseUnavailable, initialMs: 500, maxMs: 2_000, signal: AbortSignal.timeout(Math.max(leaseEnds - Date.now(), 1)),
        })) as unknown as Db['query'],
    };
    const r = await sendRow(record, o.mailer, o.mailFrom, row);
    if (r.outcome === 'failed') log.warn({ key: row.key, recipient: row.recipient, reason: r.reason }, 'mail refused for good: marked failed, not retried');
    else if (r.outcome === 'transient') await retryLater(record, row, r.reason);
  };

  const take = async (limit: number): Promise<TakenRow[]> => {
    const r = await o.db.query<TakenRow>({ name: 'pingan_relay_take', text: TAKE, values: [limit, leaseMs] });
    return r.rows;
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      woken = false;
      const free = concurrency - inFlight.size;
      if (free > 0) {
        try {
          for (const row of await take(free)) {
            const p: Promise<void> = deliver(row)
              .catch((err) => log.warn({ err, key: row.key, recipient: row.recipient }, 'mail delivery interrupted: the row is taken again after its lease'))
              .finally(() => {
                inFlight.delete(p);
                wake();
              });
            inFlight.add(p);
          }
          if (unreachable) log.info('outbox relay reaches the database again');
          unreachable = false;
        } catch (err) {
          if (!unreachable) log.warn({ err }, 'outbox relay cannot read the outbox; rows stay pending, trying again');
          unreachable = true;
        }
      }
      if (woken || stopping.signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  })();

  // LISTEN on a connection of its own (not the pool's), connected again whenever it is lost.
  const listening = (async () => {
    if (!o.listenUrl) return;
    while (!stopping.signal.aborted) {
      const client = new Client({ connectionString: o.listenUrl, connectionTimeoutMillis: 5_000, keepAlive: true });
      // Removed after each try: one left on the signal per lost connection would pile up while the database is away.
      let onAbort: (() => void) | undefined;
      try {
        const lost = new Promise<void>((resolve) => {
          client.once('error', () => resolve());
          client.once('end', () => resolve());
          onAbort = () => resolve();
          stopping.signal.addEventListener('abort', onAbort, { once: true });
        });
        await client.connect();
        client.on('notification', wake);
        await client.query(`LISTEN ${RELAY_CHANNEL}`);
        wake(); // rows written while nobody listened
        await lost;
      } catch (err) {
        log.debug({ err }, 'outbox relay cannot listen; polling meanwhile');
      } finally {
        if (onAbort) stopping.signal.removeEventListener('abort', onAbort);
        await client.end().catch(() => undefined);
      }
      await sleep(pollMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();

  let stopped: Promise<void> | undefined;
  return {
    wake,
    stop(graceMs = 5_000) {
      stopped ??= (async () => {
        stopping.abort();
        wakeUp?.();
        await loop;
        await listening;
        if (inFlight.size === 0) return;
        const grace = sleep(graceMs, 'grace' as const, { ref: false });
        if ((await Promise.race([Promise.allSettled([...inFlight]).then(() => 'done' as const), grace])) === 'grace') {
          log.warn({ sends: inFlight.size }, 'outbox relay stopped with sends in flight: their rows are taken again after their lease');
        }
      })();
      return stopped;
    },
  };
}
