import { createHash } from 'node:crypto';
import { Context, log } from '@temporalio/activity';
import type { PoolClient } from 'pg';
import type { DeliverResult, MailActivities, NotifyInput, OutboxNotice, Recipients } from '../domain/ports';
import { sqlAreaWithin } from '../platform/area-sql';
import type { Db } from '../platform/db';
import { classifyMailError, SMTP_SEND_BOUND_MS, type Mailer } from '../platform/mailer';
import { NOTIFY_RELAY, OUTBOX_COLUMNS, RELAY_DUE, type OutboxRow } from './register';
import type { TemplateRenderer } from './templates';

/**
 * The mail outbox: a row per (notice key, recipient), written pending with its rendered text, then sent and marked
 * `sent`, or marked `failed` with the reason when it can never be delivered. The key makes delivery exactly-once per
 * notice and recipient whatever the retries.
 */
type Queryable = Pick<Db, 'query'> | PoolClient;

interface Person {
  id: string | null;
  name: string;
  email: string;
}

export async function resolveRecipients(db: Queryable, r: Recipients): Promise<Person[]> {
  switch (r.kind) {
    case 'emails':
      return r.emails.map((email) => ({ id: null, name: email, email }));
    case 'mediators': {
      const q = await db.query<Person>(
        `SELECT id, name, email FROM users
          WHERE role = 'mediator' AND level = $1 AND area = $2 AND ($3::text IS NULL OR committee = $3)
          ORDER BY id`,
        [r.level, r.area, r.committee ?? null],
      );
      return q.rows;
    }
    case 'users': {
      const q = await db.query<Person>('SELECT id, name, email FROM users WHERE id = ANY($1::text[]) ORDER BY id', [r.ids]);
      return q.rows;
    }
    case 'staff': {
      const q = await db.query<Person>(
        `SELECT id, name, email FROM users WHERE role = $2 AND ${sqlAreaWithin('$1', 'area')} ORDER BY id`,
        [r.area, r.role],
      );
      return q.rows;
    }
    case 'supervisors': {
      const q = await db.query<Person>(
        `SELECT id, name, email FROM users
          WHERE role = 'supervisor' AND ${sqlAreaWithin('$1', 'area')} ORDER BY id`,
        [r.area],
      );
      return q.rows;
    }
  }
}

const messageIdOf = (key: string, email: string) =>
  `<${createHash('sha256').update(`${key}\n${email}`).digest('hex').slice(0, 32)}@pingan>`;

/** A notice rendered for each of its recipients: the outbox rows to write (pending). */
export async function renderOutbox(
  db: Queryable,
  render: TemplateRenderer,
  notice: OutboxNotice,
  data: Record<string, unknown>,
): Promise<OutboxRow[]> {
  const people = await resolveRecipients(db, notice.recipients);
  if (people.length === 0) log.warn('notice has no recipients', { key: notice.key, recipients: notice.recipients });
  return people.map((person) => {
    const { subject, text } = render(notice.template, { ...data, recipient: person });
    const row: OutboxRow = { key: notice.key, recipient: person.email, template: notice.template, subject, body: text, message_id: messageIdOf(notice.key, person.email) };
    return notice.relay ? { ...row, relay: true } : row;
  });
}

/** The notices of one transition, rendered (the register writes them with the transition, activities/register.ts). */
export async function renderNotices(
  db: Queryable,
  render: TemplateRenderer,
  notices: readonly OutboxNotice[] | undefined,
  data: () => Record<string, unknown>,
): Promise<OutboxRow[]> {
  if (!notices?.length) return [];
  const d = data();
  const rows: OutboxRow[] = [];
  for (const n of notices) rows.push(...(await renderOutbox(db, render, n, d)));
  return rows;
}

/** Writes rendered rows (pending) in one statement; an existing row is kept as it is. */
export async function insertOutbox(db: Queryable, rows: readonly OutboxRow[]): Promise<void> {
  if (!rows.length) return;
  await db.query({
    name: 'pingan_outbox_insert',
    text: `WITH o AS (
             INSERT INTO mail_outbox (key, recipient, template, subject, body, message_id, next_attempt_at)
             SELECT x.key, x.recipient, x.template, x.subject, x.body, x.message_id, ${RELAY_DUE}
               FROM jsonb_to_recordset($1::jsonb) AS x(${OUTBOX_COLUMNS})
             ON CONFLICT (key, recipient) DO NOTHING
             RETURNING next_attempt_at IS NOT NULL AS relay
           ), n AS (${NOTIFY_RELAY})
           SELECT (SELECT count(*) FROM o)::int AS outbox, (SELECT count(*) FROM n)::int AS notified`,
    values: [JSON.stringify(rows)],
  });
}

/** Renders a notice for each of its recipients and writes the rows (pending); an existing row is kept as it is. */
export async function writeOutbox(
  db: Queryable,
  render: TemplateRenderer,
  notice: OutboxNotice,
  data: Record<string, unknown>,
): Promise<string[]> {
  const rows = await renderOutbox(db, render, notice, data);
  await insertOutbox(db, rows);
  return rows.map((r) => r.recipient);
}

/** A send may start only while the attempt has time left for it, so a retry never overlaps a send still in flight. */
function attemptHasTimeFor(ms: number): boolean {
  let info;
  try {
    info = Context.current().info;
  } catch {
    return true; // outside an activity (a direct call)
  }
  const ends = info.currentAttemptScheduledTimestampMs + info.startToCloseTimeoutMs;
  return !info.startToCloseTimeoutMs || Date.now() + ms < ends;
}

/**
 * Sends the pending rows of a notice (see MailActivities.deliverNotice). With `guarded`, a send starts only while the
 * attempt's start-to-close timeout leaves room for a whole send (SMTP_SEND_BOUND_MS), so that a retried attempt
 * never overlaps a send still in flight.
 */
export async function deliverRows(
  db: Db,
  mailer: Mailer,
  mailFrom: string,
  key: string,
  opts: { recipients?: string[]; guarded?: boolean } = {},
): Promise<DeliverResult> {
  const { recipients, guarded } = opts;
  // One round trip reads the notice's rows and counts this attempt on each row still pending (`attempts`: the
  // delivery attempts that found the row pending); rows already sent or failed come back to be skipped.
  const rows = await db.query<{ recipient: string; subject: string; body: string; message_id: string; status: string }>({
    name: 'pingan_outbox_claim',
    text: `WITH claimed AS (
             UPDATE mail_outbox SET attempts = attempts + 1
              WHERE key = $1 AND status = 'pending' AND ($2::text[] IS NULL OR recipient = ANY($2::text[]))
              RETURNING recipient, subject, body, message_id, status)
           SELECT recipient, subject, body, message_id, status FROM claimed
           UNION ALL
           SELECT recipient, NULL, NULL, NULL, status FROM mail_outbox
            WHERE key = $1 AND status <> 'pending' AND ($2::text[] IS NULL OR recipient = ANY($2::text[]))
           ORDER BY recipient`,
    values: [key, recipients ?? null],
  });
  const result: DeliverResult = { sent: 0, failed: 0, skipped: 0 };
  for (const row of rows.rows) {
    if (row.status !== 'pending') {
      result.skipped += 1;
      continue;
    }
    if (guarded && !attemptHasTimeFor(SMTP_SEND_BOUND_MS)) throw new Error('not enough time left in this attempt for another send');
    const sent = await sendRow(db, mailer, mailFrom, { key, ...row });
    if (sent.outcome === 'transient') throw sent.error;
    if (sent.outcome === 'failed') log.warn('mail refused for good: marked failed, not retried', { key, recipient: row.recipient, reason: sent.reason });
    result[sent.outcome] += 1;
  }
  return result;
}

export interface PendingRow {
  key: string;
  recipient: string;
  subject: string;
  body: string;
  message_id: string;
}

/**
 * Sends one pending row and records the outcome: `sent`; `failed` when the server refused it for good (5xx, invalid
 * address: marked failed with the reason, never retried); `transient` otherwise, the reason kept as `last_error` for
 * the caller's retry schedule (the mailroom's activity retry, or the relay's next attempt time).
 */
export async function sendRow(
  db: Pick<Db, 'query'>,
  mailer: Mailer,
  mailFrom: string,
  row: PendingRow,
): Promise<{ outcome: 'sent' } | { outcome: 'failed'; reason: string } | { outcome: 'transient'; error: unknown; reason: string }> {
  const { key, recipient } = row;
  try {
    await mailer.send({ from: mailFrom, to: recipient, subject: row.subject, text: row.body, messageId: row.message_id });
  } catch (err) {
    const { permanent, reason } = classifyMailError(err);
    if (!permanent) {
      await db.query('UPDATE mail_outbox SET last_error = $3 WHERE key = $1 AND recipient = $2', [key, recipient, reason]);
      return { outcome: 'transient', error: err, reason };
    }
    await db.query(
      `UPDATE mail_outbox SET status = 'failed', last_error = $3, failed_at = now(), lease_until = NULL
        WHERE key = $1 AND recipient = $2 AND status = 'pending'`,
      [key, recipient, reason],
    );
    return { outcome: 'failed', reason };
  }
  await db.query(
    `UPDATE mail_outbox SET status = 'sent', sent_at = now(), last_error = NULL, lease_until = NULL WHERE key = $1 AND recipient = $2`,
    [key, recipient],
  );
  return { outcome: 'sent' };
}

export function createMailActivities(deps: { db: Db; mailer: Mailer; render: TemplateRenderer; mailFrom: string }): MailActivities & {
  notify(input: NotifyInput): Promise<{ sent: number; skipped: number }>;
} {
  const { db, mailer, render, mailFrom } = deps;
  return {
    async enqueueNotice(input) {
      return { recipients: (await writeOutbox(db, render, input, input.data)).length };
    },

    deliverNotice: ({ key }) => deliverRows(db, mailer, mailFrom, key, { guarded: true }),

    async giveUpNotice({ key, reason }) {
      const r = await db.query(
        `UPDATE mail_outbox SET status = 'failed', last_error = $2, failed_at = now() WHERE key = $1 AND status = 'pending'`,
        [key, reason.slice(0, 1000)],
      );
      if (r.rowCount) log.warn('mail given up after its retries: marked failed', { key, rows: r.rowCount, reason });
      return { failed: r.rowCount ?? 0 };
    },

    // Before the mail left the update path: write and send in one activity. A recipient refused for good counts as skipped.
    async notify(input) {
      const recipients = await writeOutbox(db, render, input, input.data);
      const r = await deliverRows(db, mailer, mailFrom, input.key, { recipients });
      return { sent: r.sent, skipped: r.skipped + r.failed };
    },
  };
}

/** Outbox rows by status (pending backlog, sent, failed), for /metrics and operators. */
export async function outboxCounts(db: Pick<Db, 'query'>): Promise<Record<'pending' | 'sent' | 'failed', number>> {
  const r = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM mail_outbox GROUP BY status');
  const counts = { pending: 0, sent: 0, failed: 0 };
  for (const row of r.rows) if (row.status in counts) counts[row.status as keyof typeof counts] = Number(row.n);
  return counts;
}
