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
 * `timelineEvent`: the transition came compact (a snapshot without its timeline, see workflows/mediation.ts
 * COMPACT_TRANSITIONS). The stored snapshot keeps the timeline it has and the event is appended to it, once, in
 * sequence order, whatever order concurrent transitions commit in; the other fields follow the newest version as before.
 */
/**
 * The event a register write appends to the stored timeline: a compact transition's snapshot comes without its
 * timeline (mediation, petition and village processes behind their `*-compact-transitions` patches), so the register
 * appends `event`; a snapshot with a timeline replaces the stored one as before (undefined).
 */
export function appendedEvent<E extends { seq: number }>(snapshot: object, event: E): E | undefined {
  return 'timeline' in snapshot ? undefined : event;
}

export async function recordInRegister(q: PoolClient, row: RegisterRow, event: AuditEvent, timelineEvent?: { seq: number }): Promise<void> {
  const compact = timelineEvent !== undefined;
  await q.query(
    `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, closed_at, next_deadline,
                        overdue, policy_version, version, snapshot, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
     ON CONFLICT (id) DO UPDATE SET
       status = EXCLUDED.status, level = EXCLUDED.level,
       closed_at = CASE WHEN EXCLUDED.closed_at IS NOT NULL THEN COALESCE(cases.closed_at, EXCLUDED.closed_at) END,
       next_deadline = EXCLUDED.next_deadline, overdue = EXCLUDED.overdue, version = EXCLUDED.version,
       snapshot = ${compact ? `EXCLUDED.snapshot || jsonb_build_object('timeline', COALESCE(cases.snapshot->'timeline', '[]'::jsonb))` : 'EXCLUDED.snapshot'},
       updated_at = now()
     WHERE cases.version < EXCLUDED.version`,
    [
      row.id, row.kind, row.status, row.level, row.area, row.category, row.summary, row.openedAt,
      row.closed ? event.at : null, row.nextDeadline, row.overdue, row.policyVersion, row.version,
      JSON.stringify(compact ? { ...(row.snapshot as object), timeline: [] } : row.snapshot),
    ],
  );
  if (compact) {
    // The row is locked by the upsert above, so this sees the latest timeline; a retry finds its event there already.
    await q.query(
      `UPDATE cases SET snapshot = jsonb_set(snapshot, '{timeline}', (
         SELECT jsonb_agg(e ORDER BY (e->>'seq')::int)
           FROM (SELECT e FROM jsonb_array_elements(COALESCE(snapshot->'timeline', '[]'::jsonb)) e UNION ALL SELECT $2::jsonb) t))
        WHERE id = $1 AND NOT COALESCE(snapshot->'timeline', '[]'::jsonb) @> jsonb_build_array(jsonb_build_object('seq', $3::int))`,
      [row.id, JSON.stringify(timelineEvent), timelineEvent.seq],
    );
  }
  await q.query(
    `INSERT INTO audit_events (id, case_id, subject, seq, at, actor_id, actor_name, actor_role, action, before, after, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (id) DO NOTHING`,
    [
      `${row.id}:${event.seq}`, row.id, row.kind, event.seq, event.at, event.actor.id, event.actor.name, event.actor.role,
      event.action, event.before === null || event.before === undefined ? null : JSON.stringify(event.before),
      JSON.stringify(event.after), event.details ? JSON.stringify(event.details) : null,
    ],
  );
}
