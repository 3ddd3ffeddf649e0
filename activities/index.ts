import type { PoolClient } from 'pg';
import type { ProcessActivities, RecordTransitionInput } from '../domain/ports';
import { nextDeadline, type MediationCase } from '../domain/mediation';
import type { Db } from '../platform/db';
import { withTransaction } from '../platform/db';
import type { Mailer } from '../platform/mailer';
import { fileAgreementDocument } from './agreement-document';
import { mediationMailData } from '../domain/notice-data';
import { failPermanentDbErrorsAtOnce } from './failures';
import { createMailActivities, renderNotices } from './mail';
import { createPetitionActivities } from './petitions';
import { appendedEvent, recordInRegister } from './register';
import type { TemplateRenderer } from './templates';
import { createVillageActivities } from './village';

export { outboxCounts } from './mail';

export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  render: TemplateRenderer;
  mailFrom: string;
}

/**
 * Activities are built by this factory from their dependencies (one pool, one mailer, compiled templates). A database
 * error no retry can cure (invalid data, a constraint) fails an activity at once instead of retrying it for ever.
 */
export function createActivities(deps: ActivityDeps): ProcessActivities {
  const { db, render } = deps;
  return failPermanentDbErrorsAtOnce<ProcessActivities>({
    ...createPetitionActivities({ db, render }),
    ...createVillageActivities({ db, render }),
    ...createMailActivities(deps),
    async recordMediation({ snapshot, event, outbox }: RecordTransitionInput): Promise<void> {
      const c = snapshot as MediationCase;
      // The transition's notices, rendered for their recipients before the write, which then stores them with it.
      const rows = await renderNotices(db, render, outbox, () => mediationMailData(c, event));
      const write = (q: Pick<PoolClient, 'query'>) =>
        recordInRegister(
          q,
          {
            id: c.id, kind: 'mediation', status: c.status, level: c.level, area: c.area, category: c.category, summary: c.summary,
            openedAt: c.openedAt, closed: c.status === 'closed', nextDeadline: nextDeadline(c), overdue: c.overdue,
            policyVersion: c.policyVersion, version: c.version, snapshot: c,
          },
          { ...event, before: event.from, after: event.to },
          // A compact transition carries the case without its timeline (the register appends the event to the one it has).
          appendedEvent(snapshot, event),
          rows,
        );
      // The 人民调解协议书 is filed with the case in the same transaction as the agreement (idempotent).
      const window = event.details?.judicialConfirmationWindow;
      if (event.action === 'agreement_recorded' && c.outcome?.kind === 'agreement' && typeof window === 'string') {
        await withTransaction(db, async (q) => {
          await write(q);
          await fileAgreementDocument(q, c, event.seq, window, event.actor, event.at);
        });
        return;
      }
      // Everything else is one statement, atomic by itself: one round trip.
      await write(db);
    },
  });
}
