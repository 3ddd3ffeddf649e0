/**
 * The bare baseline: the least a Temporal application must do for the same job, on its own task queue, against the
 * same server and database. A case is one row written by one activity; update-with-start answers once it is written;
 * an "accept" update writes the row once more; an optional deadline fires one activity when it passes.
 */
import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export interface BareActivities {
  insertCase(id: string): Promise<void>;
  acceptCase(id: string): Promise<void>;
  escalateCase(id: string): Promise<void>;
}

const acts = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

export const bareOpened = defineUpdate<string>('bareOpened');
export const bareAccept = defineUpdate<string>('bareAccept');
export const bareClose = defineSignal('bareClose');

export async function bareCase(id: string, dueAt?: number): Promise<void> {
  let recorded = false;
  let accepted = false;
  let closed = false;
  setHandler(bareOpened, async () => {
    await condition(() => recorded);
    return id;
  });
  setHandler(bareAccept, async () => {
    await condition(() => recorded);
    await acts.acceptCase(id);
    accepted = true;
    return id;
  });
  setHandler(bareClose, () => void (closed = true));
  await acts.insertCase(id);
  recorded = true;
  if (dueAt !== undefined) {
    const inTime = await condition(() => accepted || closed, Math.max(1, dueAt - Date.now()));
    if (!inTime) await acts.escalateCase(id);
  }
  await condition(() => closed);
}
