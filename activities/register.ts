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

export async function recordInRegister(q: PoolClient, row: RegisterRow, event: AuditEvent): Promise<void> {
  await q.query(
    `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, closed_at, next_deadline,
                        overdue, policy_version, version, snapshot, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
     ON CONFLICT (id) DO UPDATE SET
       status = EXCLUDED.status, level = EXCLUDED.level,
       closed_at = CASE WHEN EXCLUDED.closed_at IS NOT NULL THEN COALESCE(cases.closed_at, EXCLUDED.closed_at) END,
       next_deadline = EXCLUDED.next_deadline, overdue = EXCLUDED.overdue, version = EXCLUDED.version,
       snapshot = EXCLUDED.snapshot, updated_at = now()
     WHERE cases.version < EXCLUDED.version`,
    [
      row.id, row.kind, row.status, row.level, row.area, row.category, row.summary, row.openedAt,
      row.closed ? event.at : null, row.nextDeadline, row.overdue, row.policyVersion, row.version, JSON.stringify(row.snapshot),
    ],
  );
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
