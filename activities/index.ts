import { createHash } from 'node:crypto';
import { log } from '@temporalio/activity';
import type { NotifyInput, ProcessActivities, Recipients, RecordTransitionInput } from '../domain/ports';
import { nextDeadline } from '../domain/mediation';
import { sqlAreaWithin } from '../platform/area-sql';
import type { Db } from '../platform/db';
import { withTransaction } from '../platform/db';
import type { Mailer } from '../platform/mailer';
import { fileAgreementDocument } from './agreement-document';
import { failPermanentDbErrorsAtOnce } from './failures';
import { createPetitionActivities } from './petitions';
import { recordInRegister } from './register';
import type { TemplateRenderer } from './templates';
import { createVillageActivities } from './village';

export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  render: TemplateRenderer;
  mailFrom: string;
}

interface Person {
  id: string | null;
  name: string;
  email: string;
}

async function resolveRecipients(db: Db, r: Recipients): Promise<Person[]> {
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

/**
 * Activities are built by this factory from their dependencies (one pool, one mailer, compiled templates). A database
 * error no retry can cure (invalid data, a constraint) fails an activity at once instead of retrying it for ever.
 */
export function createActivities(deps: ActivityDeps): ProcessActivities {
  const { db, mailer, render, mailFrom } = deps;
  return failPermanentDbErrorsAtOnce<ProcessActivities>({
    ...createPetitionActivities({ db, render }),
    ...createVillageActivities({ db, render }),
    async recordMediation({ snapshot: c, event }: RecordTransitionInput): Promise<void> {
      await withTransaction(db, (q) =>
        recordInRegister(
          q,
          {
            id: c.id, kind: 'mediation', status: c.status, level: c.level, area: c.area, category: c.category, summary: c.summary,
            openedAt: c.openedAt, closed: c.status === 'closed', nextDeadline: nextDeadline(c), overdue: c.overdue,
            policyVersion: c.policyVersion, version: c.version, snapshot: c,
          },
          { ...event, before: event.from, after: event.to },
        ).then(async () => {
          // The 人民调解协议书 is filed with the case in the same transaction as the agreement (idempotent).
          const window = event.details?.judicialConfirmationWindow;
          if (event.action === 'agreement_recorded' && c.outcome?.kind === 'agreement' && typeof window === 'string') {
            await fileAgreementDocument(q, c, event.seq, window, event.actor, event.at);
          }
        }),
      );
    },

    async notify(input: NotifyInput): Promise<{ sent: number; skipped: number }> {
      const people = await resolveRecipients(db, input.recipients);
      if (people.length === 0) log.warn('notice has no recipients', { key: input.key, recipients: input.recipients });
      let sent = 0;
      let skipped = 0;
      for (const person of people) {
        const { subject, text } = render(input.template, { ...input.data, recipient: person });
        const messageId = `<${createHash('sha256').update(`${input.key}\n${person.email}`).digest('hex').slice(0, 32)}@pingan>`;
        await db.query(
          `INSERT INTO mail_outbox (key, recipient, template, subject, body, message_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key, recipient) DO NOTHING`,
          [input.key, person.email, input.template, subject, text, messageId],
        );
        const row = await db.query<{ status: string }>('SELECT status FROM mail_outbox WHERE key = $1 AND recipient = $2', [
          input.key,
          person.email,
        ]);
        if (row.rows[0]?.status === 'sent') {
          skipped += 1;
          continue;
        }
        await mailer.send({ from: mailFrom, to: person.email, subject, text, messageId });
        await db.query(`UPDATE mail_outbox SET status = 'sent', sent_at = now() WHERE key = $1 AND recipient = $2`, [
          input.key,
          person.email,
        ]);
        sent += 1;
      }
      return { sent, skipped };
    },
  });
}
