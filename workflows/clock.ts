import { allHandlersFinished, condition } from '@temporalio/workflow';

/**
 * The clock every process shares: wait for the next time-driven action (a reminder, an escalation, a window closing),
 * unless a staff action changes the state first; then act at the time it was due. Ends when the process is finished
 * and every message handler has completed.
 */
export async function runClock<A>(o: {
  finished: () => boolean;
  version: () => number;
  next: () => { at: number; action: A } | null;
  act: (action: A, now: number) => Promise<unknown>;
}): Promise<void> {
  while (!o.finished()) {
    const version = o.version();
    const due = o.next();
    if (!due) {
      await condition(() => o.version() !== version);
      continue;
    }
    const wait = due.at - Date.now();
    if (wait > 0 && (await condition(() => o.version() !== version, wait))) continue;
    await o.act(due.action, Math.max(Date.now(), due.at));
  }
  await condition(allHandlersFinished);
}
