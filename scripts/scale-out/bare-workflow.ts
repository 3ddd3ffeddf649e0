/**
 * The bare baseline of the scale-out run: update-with-start whose update returns once one activity wrote one row,
 * then the workflow waits (as an open case does); an `accept` update writes the row once more (the staff action's
 * baseline). Nothing of Pingan is involved.
 */
import { condition, defineUpdate, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';

const { writeRow, touchRow } = proxyActivities<{ writeRow(id: string): Promise<void>; touchRow(id: string): Promise<void> }>({
  startToCloseTimeout: '30 seconds',
});
export const open = defineUpdate<string>('open');
export const accept = defineUpdate<string>('accept');

export async function bareCase(): Promise<void> {
  let opened = false;
  setHandler(open, async () => {
    await writeRow(workflowInfo().workflowId);
    opened = true;
    return 'opened';
  });
  setHandler(accept, async () => {
    await condition(() => opened);
    await touchRow(workflowInfo().workflowId);
    return 'accepted';
  });
  await condition(() => opened);
  await condition(() => false, '1 day');
}
