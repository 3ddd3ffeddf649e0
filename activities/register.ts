import type { PoolClient } from 'pg';

/**
 * The case register and the audit trail, shared by every process. A snapshot is written only when its version is
 * newer than the stored one (a late retry never overwrites newer state); an audit event has a deterministic id
 * (case id and sequence number), so a retried activity never writes it twice.
 */
export interface RegisterRow {
  id: string;
  kind: 'mediation' | 'petition' | 'village_decision';
  status: string;
  level: string | null;
  area: string;
  category: string | null;
  summary: string;
  openedAt: string;
  closed: boolean;
  nextDeadline: string | null;
  overdue: boolean;
  policyVersion: string;
  version: number;
  snapshot: unknown;
}

export interface AuditEvent {
  seq: number;
  at: string;
  actor: { id: string; name: string; role: string };
  action: string;
  before: unknown;
  after: unknown;
  details?: Record<string, unknown>;
}

/**
 * The event a register write appends to the stored timeline: a compact transition's snapshot comes without its
 * timeline (mediation, petition and village processes behind their `*-compact-transitions` patches), so the register
 * appends `event`; a snapshot with a timeline replaces the stored one as before (undefined).
 */
export function appendedEvent<E extends { seq: number }>(snapshot: object, event: E): E | undefined {
  return 'timeline' in snapshot ? undefined : event;
}

/** A rendered outbox row (activities/mail.ts renderOutbox), written by the same statement as its transition. */
export interface OutboxRow {
  key: string;
  recipient: string;
  template: string;
  subject: string;
  body: string;
  message_id: string;
  /** Left to the outbox relay (worker/relay.ts): written with its next attempt time, due at once. */
  relay?: boolean;
}

type Queryable = Pick<PoolClient, 'query'>;

/** The outbox columns of a row as rendered (jsonb_to_recordset), and its next attempt time: now when the relay takes it. */
export const OUTBOX_COLUMNS = 'key text, recipient text, template text, subject text, body text, message_id text, relay boolean';
export const RELAY_DUE = 'CASE WHEN x.relay THEN now() END';
/** The channel the outbox relays listen on (worker/relay.ts). */
export const RELAY_CHANNEL = 'pingan_outbox';
/**
 * Wakes the relays when the statement wrote rows for them (`o` returns `relay` per row written): the notification is
 * sent at commit, with the rows, and a statement that wrote none sends none.
 */
export const NOTIFY_RELAY = `SELECT pg_notify('${RELAY_CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM o WHERE o.relay)`;

// The columns a newer version replaces; an older (late) write leaves them as they are.
const NEWER = 'k.version < EXCLUDED.version';
const keepUnlessNewer = (col: string) => `${col} = CASE WHEN ${NEWER} THEN EXCLUDED.${col} ELSE k.${col} END`;
const STORED_TIMELINE = `COALESCE(k.snapshot->'timeline', '[]'::jsonb)`;
const HAS_EVENT = `${STORED_TIMELINE} @> jsonb_build_array(jsonb_build_object('seq', $27::int))`;

/**
 * The whole register write of a transition as ONE statement (one round trip, atomic without BEGIN/COMMIT): the case
 * row, the event appended to the stored timeline (compact transitions), the audit event, and the transition's outbox
 * rows. The case row is written first (the audit insert waits for it through the scalar subquery on `c`), so that
 * concurrent writers of one case take the row lock, then the audit chain's advisory lock, always in that order.
 *
 * The guarantees are those of the statements it replaces (activities.test.ts, audit-chain.test.ts):
 * - a snapshot is written only when its version is newer than the stored one; a late retry never overwrites newer
 *   state (its event is still appended to the timeline if missing, in sequence order);
 * - the audit event has a deterministic id (case id and sequence number): a retry inserts nothing (ON CONFLICT);
 * - an outbox row exists once per (key, recipient): a retry inserts nothing; rows left to the relay wake it (NOTIFY).
 * Parameters: $1-$14 the case row, $15-$24 the audit event, $25 the outbox rows, and for a compact transition $26/$27
 * the appended event and its seq.
 */
const registerWrite = (compact: boolean) => `
  WITH c AS (
    INSERT INTO cases AS k (id, kind, status, level, area, category, summary, opened_at, closed_at, next_deadline,
                            overdue, policy_version, version, snapshot, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
            ${compact ? `$14::jsonb || jsonb_build_object('timeline', jsonb_build_array($26::jsonb))` : '$14::jsonb'}, now())
    ON CONFLICT (id) DO UPDATE SET
      ${keepUnlessNewer('status')}, ${keepUnlessNewer('level')},
      closed_at = CASE WHEN ${NEWER}
                       THEN CASE WHEN EXCLUDED.closed_at IS NOT NULL THEN COALESCE(k.closed_at, EXCLUDED.closed_at) END
                       ELSE k.closed_at END,
      ${keepUnlessNewer('next_deadline')}, ${keepUnlessNewer('overdue')},
      version = GREATEST(k.version, EXCLUDED.version),
      ${
        compact
          ? // The newest fields, and the stored timeline with this event appended once, in sequence order.
            `snapshot = (CASE WHEN ${NEWER} THEN EXCLUDED.snapshot ELSE k.snapshot END) || jsonb_build_object('timeline',
               CASE WHEN ${HAS_EVENT} THEN ${STORED_TIMELINE}
                    ELSE (SELECT jsonb_agg(e ORDER BY (e->>'seq')::int)
                            FROM (SELECT e FROM jsonb_array_elements(${STORED_TIMELINE}) e UNION ALL SELECT $26::jsonb) t) END)`
          : keepUnlessNewer('snapshot')
      },
      updated_at = CASE WHEN ${NEWER} THEN now() ELSE k.updated_at END
    WHERE ${compact ? `${NEWER} OR NOT ${HAS_EVENT}` : NEWER}
    RETURNING 1
  ), a AS (
    INSERT INTO audit_events (id, case_id, subject, seq, at, actor_id, actor_name, actor_role, action, before, after, details)
    SELECT $15::text, $1::text, $2::text, $16::int, $17::timestamptz, $18::text, $19::text, $20::text, $21::text,
           $22::jsonb, $23::jsonb, $24::jsonb
     WHERE (SELECT count(*) FROM c) >= 0
    ON CONFLICT (id) DO NOTHING
    RETURNING 1
  ), o AS (
    INSERT INTO mail_outbox (key, recipient, template, subject, body, message_id, next_attempt_at)
    SELECT x.key, x.recipient, x.template, x.subject, x.body, x.message_id, ${RELAY_DUE}
      FROM jsonb_to_recordset(COALESCE($25::jsonb, '[]'::jsonb)) AS x(${OUTBOX_COLUMNS})
    ON CONFLICT (key, recipient) DO NOTHING
    RETURNING next_attempt_at IS NOT NULL AS relay
  ), n AS (
    ${NOTIFY_RELAY}
  )
  SELECT (SELECT count(*) FROM c)::int AS cases, (SELECT count(*) FROM a)::int AS audit, (SELECT count(*) FROM o)::int AS outbox,
         (SELECT count(*) FROM n)::int AS notified`;

// Prepared once per connection (a named statement): PostgreSQL parses and plans it once, not on every write.
const STATEMENTS = { full: registerWrite(false), compact: registerWrite(true) };

/**
 * Writes a transition to the register (see registerWrite): `timelineEvent` when the transition came compact (a
 * snapshot without its timeline, to which the register appends the event), `outbox` the transition's rendered
 * notices. `q` is the pool (the statement is atomic by itself) or a transaction's client when more goes with it.
 */
export async function recordInRegister(
  q: Queryable,
  row: RegisterRow,
  event: AuditEvent,
  timelineEvent?: { seq: number },
  outbox: readonly OutboxRow[] = [],
): Promise<{ cases: number; audit: number; outbox: number }> {
  const compact = timelineEvent !== undefined;
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
  const r = await q.query<{ cases: number; audit: number; outbox: number }>({
    name: compact ? 'pingan_register_write_compact' : 'pingan_register_write',
    text: compact ? STATEMENTS.compact : STATEMENTS.full,
    values: [
      row.id, row.kind, row.status, row.level, row.area, row.category, row.summary, row.openedAt,
      row.closed ? event.at : null, row.nextDeadline, row.overdue, row.policyVersion, row.version,
      JSON.stringify(compact ? { ...(row.snapshot as object), timeline: [] } : row.snapshot),
      `${row.id}:${event.seq}`, event.seq, event.at, event.actor.id, event.actor.name, event.actor.role,
      event.action, json(event.before), JSON.stringify(event.after), event.details ? JSON.stringify(event.details) : null,
      outbox.length ? JSON.stringify(outbox) : null,
      ...(compact ? [JSON.stringify(timelineEvent), timelineEvent.seq] : []),
    ],
  });
  return r.rows[0];
}
