/**
 * The bare baseline of the scale-out run: update-with-start whose update returns once one activity wrote one row,
 * then the workflow waits (as an open case does). Nothing of Pingan is involved.
 */
import { condition, defineUpdate, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';

const { writeRow } = proxyActivities<{ writeRow(id: string): Promise<void> }>({ startToCloseTimeout: '30 seconds' });
export const open = defineUpdate<string>('open');

export async function bareCase(): Promise<void> {
  let opened = false;
  setHandler(open, async () => {
    await writeRow(workflowInfo().workflowId);
    opened = true;
    return 'opened';
  });
  await condition(() => opened);
  await condition(() => false, '1 day');
}
