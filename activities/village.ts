import type { Outboxed } from '../domain/ports';
import { nextVillageDeadline, publicNoticeView, villageMailData, type RecordVillageInput, type VillageMatter } from '../domain/village';
import type { Db } from '../platform/db';
import { withTransaction } from '../platform/db';
import type { TemplateRenderer } from './templates';
import { renderNotices } from './mail';
import { appendedEvent, recordInRegister } from './register';

/**
 * Village decisions (四议两公开): the register row and audit event of every transition, and what the public board
 * shows. Idempotent like recordMediation: a deterministic audit id, and rows guarded by the matter's version.
 * A notice's text is rendered once, when it is first published (templates/village/<kind>-notice.hbs).
 */
export function createVillageActivities(deps: { db: Db; render: TemplateRenderer }): {
  recordVillageMatter(input: RecordVillageInput & Outboxed): Promise<void>;
} {
  const { db, render } = deps;
  return {
    async recordVillageMatter({ snapshot, event, outbox }: RecordVillageInput & Outboxed): Promise<void> {
      // A compact transition carries the matter without its timeline (the register appends the event to the one it has).
      const m = snapshot as VillageMatter;
      const rows = await renderNotices(db, render, outbox, () => villageMailData(m, event));
      await withTransaction(db, async (q) => {
        await recordInRegister(
          q,
          {
            id: m.id, kind: 'village_decision', status: m.status, level: null, area: m.area, category: m.type, summary: m.title,
            openedAt: m.openedAt, closed: m.status === 'closed', nextDeadline: nextVillageDeadline(m), overdue: m.overdue,
            policyVersion: m.policyVersion, version: m.version, snapshot: m,
          },
          { ...event, before: event.from, after: event.to },
          appendedEvent(snapshot, event),
          rows,
        );
        for (const n of m.notices) {
          const view = publicNoticeView(m, n.id);
          const { subject, text } = render(`village/${n.kind}-notice`, { notice: view });
          await q.query(
            `INSERT INTO public_notices (id, matter_id, kind, area, title, body, starts_at, ends_at, ended, view, matter_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (id) DO UPDATE SET
               ended = EXCLUDED.ended, view = EXCLUDED.view, matter_version = EXCLUDED.matter_version, updated_at = now()
             WHERE public_notices.matter_version < EXCLUDED.matter_version`,
            [n.id, m.id, n.kind, m.area, subject, text, n.startsAt, n.endsAt, n.ended, JSON.stringify(view), m.version],
          );
        }
        for (const o of m.objections) {
          await q.query(
            `INSERT INTO objections (id, notice_id, matter_id, filed_at, name, email, phone, text, answer, answered_at, answered_by, matter_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO UPDATE SET
               answer = EXCLUDED.answer, answered_at = EXCLUDED.answered_at, answered_by = EXCLUDED.answered_by,
               matter_version = EXCLUDED.matter_version
             WHERE objections.matter_version < EXCLUDED.matter_version`,
            [
              o.id, o.noticeId, m.id, o.filedAt, o.name, o.email, o.phone, o.text, o.answer?.text ?? null, o.answer?.at ?? null,
              o.answer?.by.id ?? null, m.version,
            ],
          );
        }
      });
    },
  };
}
