import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../worker/worker';
import type { TestSystem } from './harness';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

/**
 * Replays a workflow's history against the current code (fails on non-determinism). With RECORD_HISTORY=1 it also
 * stores the history as a fixture (the CLI's JSON, the same as the Web UI's download) for test/replay.test.ts.
 */
export async function replayCase(sys: TestSystem, workflowId: string, fixtureName: string): Promise<void> {
  const history = await sys.client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  if (process.env.RECORD_HISTORY) {
    const json = execFileSync(
      process.env.TEMPORAL_CLI_PATH!,
      ['workflow', 'show', '--workflow-id', workflowId, '--address', sys.config.TEMPORAL_ADDRESS!, '--output', 'json'],
      { encoding: 'utf8' },
    );
    fs.writeFileSync(path.join(HISTORIES_DIR, `${fixtureName}.json`), json);
  }
}
