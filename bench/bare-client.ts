import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { bareCase, bareOpened } from './bare';

/** The bare intake: update-with-start that answers once the workflow's one activity has written the row. */
export function bareIntakeWith(client: Client, id: string, dueAt?: number): Promise<string> {
  const start = new WithStartWorkflowOperation(bareCase, {
    workflowId: id, taskQueue: process.env.BARE_TASK_QUEUE ?? 'bench-bare', args: dueAt === undefined ? [id] : [id, dueAt], workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return client.workflow.executeUpdateWithStart(bareOpened, { startWorkflowOperation: start });
}
