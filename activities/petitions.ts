import { nextPetitionDeadline, STATUS_NAMES, type Petition } from '../domain/petition';
import type { Agenda, AgendaItem, PetitionActivities } from '../domain/ports';
import { toShanghaiIso } from '../domain/time';
import type { Db } from '../platform/db';
import { petitionMailData } from '../domain/notice-data';
import { renderNotices } from './mail';
import { appendedEvent, recordInRegister } from './register';
import type { TemplateRenderer } from './templates';

const WEEK_MS = 7 * 24 * 3600_000;

/** Petition and meeting activities: the register, archived documents, agendas and minutes. All idempotent. */
export function createPetitionActivities(deps: { db: Db; render: TemplateRenderer }): PetitionActivities {
  const { db, render } = deps;
  return {
    async recordPetition({ snapshot, event, outbox }) {
      // A compact transition carries the petition without its timeline (the register appends the event to the one it has).
      const p = snapshot as Petition;
      // One statement (register, timeline, audit, outbox), atomic by itself: one round trip (activities/register.ts).
      await recordInRegister(
        db,
        {
          id: p.id, kind: 'petition', status: p.status, level: null, area: p.area, category: p.channel, summary: p.subject,
          openedAt: p.registeredAt, closed: p.finished, nextDeadline: nextPetitionDeadline(p), overdue: p.overdue,
          policyVersion: p.policyVersion, version: p.version, snapshot: p,
        },
        { ...event, before: event.from ? { status: event.from } : null, after: { status: event.to } },
        appendedEvent(snapshot, event),
        await renderNotices(db, render, outbox, () => petitionMailData(p, event)),
      );
    },

    async archiveDocument({ id, caseId, kind, template, data }) {
      const { subject, text } = render(template, data);
      await db.query(
        `INSERT INTO documents (id, case_id, kind, title, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
        [id, caseId, kind, subject, text],
      );
    },

    async buildAgenda({ meetingId, heldOn, chair, county }): Promise<Agenda> {
      const existing = await db.query<{ agenda: Agenda }>('SELECT agenda FROM meetings WHERE id = $1', [meetingId]);
      if (existing.rows[0]) return existing.rows[0].agenda;
      // A county's meeting follows the county's previous meeting and lists the county's open petitions only (the
      // county is compared as a path segment, so no character of its name acts as a pattern).
      const prev = await db.query<{ id: string; held_on: Date }>(
        'SELECT id, held_on FROM meetings WHERE held_on < $1 AND county IS NOT DISTINCT FROM $2 ORDER BY held_on DESC LIMIT 1',
        [new Date(heldOn), county ?? null],
      );
      const since = prev.rows[0]?.held_on.getTime() ?? 0;
      const rows = await db.query<{ snapshot: import('../domain/petition').Petition; next_deadline: Date | null; overdue: boolean }>(
        `SELECT snapshot, next_deadline, overdue FROM cases
          WHERE kind = 'petition' AND status <> 'closed' AND ($1::text IS NULL OR split_part(area, '/', 1) = $1)
          ORDER BY opened_at`,
        [county ?? null],
      );
      const items: AgendaItem[] = rows.rows.map(({ snapshot: p, next_deadline, overdue }) => ({
        id: p.id,
        subject: p.subject,
        petitioner: p.petitioner.name,
        area: p.area,
        status: p.status,
        statusName: STATUS_NAMES[p.status],
        leader: p.leader?.name ?? null,
        nextDeadline: next_deadline ? toShanghaiIso(next_deadline) : null,
        dueWithinWeek: !!next_deadline && next_deadline.getTime() <= heldOn + WEEK_MS && next_deadline.getTime() > heldOn,
        overdue: overdue || (!!next_deadline && next_deadline.getTime() <= heldOn),
        noProgressSinceLastMeeting: since > 0 && Date.parse(p.lastProgressAt) < since,
      }));
      const agenda: Agenda = { meetingId, county: county ?? null, heldOn: toShanghaiIso(heldOn), previousMeeting: prev.rows[0]?.id ?? null, items };
      await db.query(
        `INSERT INTO meetings (id, held_on, chair, agenda, county) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
        [meetingId, new Date(heldOn), chair, JSON.stringify(agenda), county ?? null],
      );
      return agenda;
    },

    async recordMinutes({ meetingId, chair, attendees, directions, flagged, recordedBy }) {
      await db.query(
        `UPDATE meetings SET chair = $2, attendees = $3, directions = $4, flagged = $5, status = 'minutes_recorded',
                recorded_by = $6, updated_at = now()
          WHERE id = $1`,
        [meetingId, chair, JSON.stringify(attendees), JSON.stringify(directions), JSON.stringify(flagged), recordedBy],
      );
    },
  };
}
