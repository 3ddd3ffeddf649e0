import { ActivityFailure, condition, log, patched } from '@temporalio/workflow';
import type { NotifyInput } from '../domain/ports';
import { acts, mailActs } from './shared';

/**
 * Patch: mail leaves the update path. A transition writes its notices to the outbox in the same activity that records
 * it, and the update returns; the mailroom then delivers them by its own activity, outside every handler, with a
 * bounded retry schedule. Before it, an update awaited `notify` (render and send) and so waited for the mail server.
 */
export const MAIL_OFF_UPDATE_PATH = 'mail-off-update-path';

/** Whether this transition's notices go through the outbox (new code) or are sent in line (histories from before). */
export const mailOffUpdatePath = (): boolean => patched(MAIL_OFF_UPDATE_PATH);

export interface Mailroom {
  /** Notices already in the outbox (written with their transition): deliver them. */
  post(keys: string[]): void;
  /** Writes a notice to the outbox (a quick register write), then delivers it like `post`. */
  enqueue(notice: NotifyInput): Promise<void>;
  /** True when nothing waits for delivery: a workflow completes or continues as new only then (no delivery is
   *  abandoned in flight, which could otherwise overlap a retry in the next run). */
  idle(): boolean;
}

/**
 * The workflow's mail loop, for runs from before the outbox relay: a lean run (workflows/runner.ts) posts nothing to
 * it, its notices are delivered by the worker's relay (worker/relay.ts), and so it stays idle. Started once, it
 * delivers every posted notice by `deliverNotice`, concurrently, so one stuck notice never holds another. A notice
 * whose retries ran out is marked failed with the reason (giveUpNotice); a recipient refused for good is marked failed
 * by the delivery itself. Both are logged as warnings for operators, and `outboxCounts` (activities/mail.ts) counts
 * them for /metrics.
 */
export function startMailroom(caseId: string): Mailroom {
  const queue: string[] = [];
  const inFlight = new Set<string>();

  const deliver = async (key: string) => {
    try {
      const r = await mailActs.deliverNotice({ key });
      if (r.failed > 0) log.warn('notice refused for good for some recipients: marked failed', { caseId, key, failed: r.failed });
    } catch (err) {
      const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
      const { failed } = await acts.giveUpNotice({ key, reason: `gave up after its retries: ${cause}` });
      log.warn('notice not delivered after its retries: marked failed', { caseId, key, failed, cause });
    }
  };

  void (async () => {
    for (;;) {
      await condition(() => queue.length > 0);
      for (const key of queue.splice(0)) {
        if (inFlight.has(key)) continue;
        inFlight.add(key);
        void deliver(key)
          .catch((err) => log.error('mail delivery stopped', { caseId, key, error: String(err) }))
          .finally(() => inFlight.delete(key));
      }
    }
  })();

  return {
    post: (keys) => {
      queue.push(...keys);
    },
    async enqueue(notice) {
      await acts.enqueueNotice(notice);
      queue.push(notice.key);
    },
    idle: () => queue.length === 0 && inFlight.size === 0,
  };
}
