import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../worker/worker';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { HISTORIES_DIR as dir, replayCase } from './replay-helpers';

/**
 * Workflow code must stay replay-safe. Histories recorded from earlier versions (test/histories/*.json) and a fresh
 * one are replayed against today's code; a non-deterministic change fails here. Changing a running process needs
 * patched(). `RECORD_HISTORY=1 npx jest test/replay.test.ts test/mediation-escalation.test.ts` refreshes the v2 fixtures.
 */
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

test('recorded histories replay against the current workflow code', async () => {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThan(0);
  const bundle = await workflowBundle();
  for (const f of files) {
    const history: unknown = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, f);
  }
});

test('negative control: a history whose recorded commands differ from what the code does fails to replay', async () => {
  // A replay suite that has never failed has not shown it can: change one recorded activity's type, as a code change
  // that swapped an activity without patched() would, and the replayer must refuse it.
  const history = JSON.parse(fs.readFileSync(path.join(dir, 'mediation-v2-escalation-overdue-urge.json'), 'utf8'));
  const scheduled = history.events.find((e: any) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED');
  expect(scheduled.activityTaskScheduledEventAttributes.activityType.name).toBe('recordMediation');
  scheduled.activityTaskScheduledEventAttributes.activityType.name = 'recordSomethingElse';
  await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'tampered')).rejects.toBeInstanceOf(
    DeterminismViolationError,
  );
});

test('a fresh case from intake to agreement replays', async () => {
  const where = uniqueVillage('回放');
  const grid = await sys.user('grid_worker', where.village);
  const med = await sys.user('mediator', where.village, { level: 'village' });
  const created = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'debt', summary: '借款到期未还引发争执', area: where.village, channel: 'grid', parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }] },
  });
  const id = created.body.id;
  await sys.call('POST', `/api/v1/mediations/${id}/agreement`, { token: med.token, body: { form: 'oral', terms: 'x', parties: ['甲', '乙'] } }); // refused: 409
  await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: med.token, body: {} });
  await sys.call('POST', `/api/v1/mediations/${id}/agreement`, { token: med.token, body: { form: 'oral', terms: '分三期还清', parties: ['甲', '乙'] } });
  await sys.call('POST', `/api/v1/mediations/${id}/follow-up`, { token: med.token, body: { performed: true, notes: '已还清' } });
  await sys.client.workflow.getHandle(id).result();
  await replayCase(sys, id, 'mediation-v4-agreement-follow-up');
});
