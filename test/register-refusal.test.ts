import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { WithStartWorkflowOperation, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { createActivities } from '../activities';
import { permanentDbError } from '../activities/failures';
import { loadTemplates } from '../activities/templates';
import { startMediationCase } from '../api/mediations';
import { ApiError } from '../api/errors';
import { openMediation } from '../domain/mediation';
import { DEFAULT_POLICY } from '../domain/policy';
import type { VillagePublicAction } from '../domain/village';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { mediationAction } from '../workflows/mediation';
import { petitionRegistered, petitionWorkflow } from '../workflows/petition';
import { villageAction, villageState } from '../workflows/village-decision';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Behind the edge: should data PostgreSQL refuses for good (SQLSTATE classes 22 and 23) ever reach an activity, the
 * activity fails at once instead of retrying for ever, and the workflow refuses that one action (the update fails with
 * a clear error, the state is as before) instead of hanging and wedging every later action. The exact strings of the
 * issue go straight to the workflows through the Temporal client, as the edge would no longer let them through.
 */
let sys: TestSystem;
const where = uniqueVillage('拒存');
type U = Awaited<ReturnType<TestSystem['user']>>;
let clerk: U, grid: U, mediator: U;
const NUL = '\u0000';
const LONE = '\udc00';
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/** Fails the test (instead of hanging until Jest's timeout) when a workflow does not answer. */
const within = <T>(p: Promise<T>, ms = 20_000): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: the workflow is wedged`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
};

const refusal = async (p: Promise<unknown>) => {
  const err = await within(p).then(
    () => { throw new Error('the action was accepted'); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('Unrecordable');
  expect((cause as ApplicationFailure).message).toMatch(/nothing was changed/);
  return cause as ApplicationFailure;
};

beforeAll(async () => {
  sys = await startTestSystem();
  clerk = await sys.user('village_clerk', where.village, { name: '东村文书' });
  grid = await sys.user('grid_worker', where.village, { name: '王网格' });
  mediator = await sys.user('mediator', where.village, { level: 'village', name: '李调解' });
});
afterAll(async () => {
  await sys?.stop();
});

test('an activity fails non-retryably on data the register refuses (class 22: 22021/22P05, 22P02), at once', async () => {
  const logger = createLogger('silent');
  const mailer = createMailer({ smtpUrl: sys.config.SMTP_URL, outboxDir: path.join(sys.config.dataDir, 'outbox'), logger });
  const acts = createActivities({ db: sys.db, mailer, render: loadTemplates(), mailFrom: 'test@pingan.local' });
  for (const [summary, code] of [[`鸡鸭进院${NUL}`, /SQLSTATE 22(021|P05)/], [`鸡鸭${LONE}进院`, /SQLSTATE 22P02/]] as const) {
    const c = openMediation({
      caseId: `MED-${Math.random().toString(16).slice(2, 14).toUpperCase().padEnd(12, '0')}`,
      category: 'neighbourhood', summary, area: where.village, channel: 'grid',
      parties: [{ name: '张三', role: 'applicant' }], reportedBy: { id: grid.id, name: grid.name, role: 'grid_worker' },
      reportedAt: Date.now(), policy: DEFAULT_POLICY,
    }).case;
    const err = await acts.recordMediation({ snapshot: c, event: c.timeline[0] }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'RegisterRefused', nonRetryable: true });
    expect((err as Error).message).toMatch(code);
  }
  mailer.close();
  // The classification on real PostgreSQL errors: classes 22 and 23 are permanent, the rest is left to retries.
  const pgError = (sql: string) => sys.db.query(sql).then(() => undefined, (e: unknown) => e);
  expect(permanentDbError(await pgError('SELECT 1/0'))).toMatchObject({ code: '22012' });
  expect(permanentDbError(await pgError(`INSERT INTO users (id) VALUES ('u_without_fields')`))).toMatchObject({ code: '23502' });
  expect(permanentDbError(await pgError('SELECT pg_sleep(1) FROM no_such_table'))).toBeUndefined();
  expect(permanentDbError(new Error('Connection terminated unexpectedly'))).toBeUndefined();
});

test('a village matter refuses the one objection it cannot record and goes on (a proper objection, the clerk answers it)', async () => {
  const API = '/api/v1/village-decisions';
  const created = await sys.call('POST', API, { token: clerk.token, body: { type: 'village_rules', title: '修订村规民约', description: '增加禁止占道堆放条款' } });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const meeting = (body: string, entitled: number, present: number, votesFor: number, minutesAgo: number) => ({
    body, heldAt: ago(minutesAgo), noticeGivenAt: ago(minutesAgo + 11 * 24 * 60), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: `${body} 会议记录`,
  });
  for (const m of [meeting('party_branch', 5, 4, 4, 60), meeting('two_committees', 7, 6, 6, 50), meeting('party_members', 30, 20, 11, 40), meeting('representatives', 30, 20, 11, 30)]) {
    expect((await sys.call('POST', `${API}/${id}/meetings`, { token: clerk.token, body: m })).status).toBe(200);
  }
  const noticeId = `${id}-R`;
  const handle = sys.client.workflow.getHandle(id);
  const objection = (oid: string, text: string): VillagePublicAction => ({
    type: 'fileObjection', actor: { id: 'public', name: '村民', role: 'public' }, objection: { id: oid, noticeId, text },
  });
  await refusal(handle.executeUpdate(villageAction, { args: [objection('OBJ-BAD0000001', NUL)] }));
  await refusal(handle.executeUpdate(villageAction, { args: [objection('OBJ-BAD0000002', LONE)] }));
  const state = await within(handle.query(villageState));
  expect(state.objections).toEqual([]);
  expect(state.timeline.map((e) => e.action)).not.toContain('objection_filed');

  // Every later action works: a proper objection, and the clerk's answer.
  const ok = await within(sys.call('POST', `/api/v1/notices/${noticeId}/objections`, { body: { text: '条款过严' } }));
  expect(ok.status).toBe(201);
  const answered = await within(sys.call('POST', `${API}/${id}/objections/${ok.body.objectionId}/answer`, { token: clerk.token, body: { answer: '已修改' } }));
  expect(answered.status).toBe(200);
  expect(answered.body.objections.map((o: any) => o.id)).toEqual([ok.body.objectionId]);
  const stored = await sys.db.query('SELECT id FROM objections WHERE matter_id = $1', [id]);
  expect(stored.rows.map((r) => r.id)).toEqual([ok.body.objectionId]);
});

test('a mediation refuses a session summary it cannot record, and a case it cannot record never hangs its request', async () => {
  const opened = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'neighbourhood', summary: '鸡鸭进院', area: where.village, channel: 'grid', parties: [{ name: '张三', role: 'applicant' }] },
  });
  expect(opened.status).toBe(201);
  const id: string = opened.body.id;
  expect((await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: mediator.token, body: {} })).status).toBe(200);
  const actor = { id: mediator.id, name: mediator.name, role: 'mediator' as const, area: where.village, level: 'village' as const, committee: null };
  const handle = sys.client.workflow.getHandle(id);
  await refusal(handle.executeUpdate(mediationAction, { args: [{ type: 'recordSession', actor, heldAt: ago(5), summary: `双方到场${NUL}` }] }));
  const session = await within(sys.call('POST', `/api/v1/mediations/${id}/sessions`, { token: mediator.token, body: { heldAt: ago(5), summary: '双方到场' } }));
  expect(session.status).toBe(200);
  expect(session.body.sessions.map((s: any) => s.summary)).toEqual(['双方到场']);

  // A case whose opening the register refuses: the request is answered (422), and the process ends.
  const caseId = 'MED-BAD000000001';
  const started = startMediationCase(
    { client: sys.client, db: sys.db, policy: sys.policy, taskQueue: sys.config.TEMPORAL_TASK_QUEUE },
    { caseId, category: 'neighbourhood', summary: `鸡鸭${LONE}进院`, area: where.village, channel: 'grid', parties: [{ name: '张三', role: 'applicant' }], reportedBy: { id: grid.id, name: grid.name, role: 'grid_worker' } },
  );
  const err = await within(started.then(() => undefined, (e: unknown) => e));
  expect(err).toBeInstanceOf(ApiError);
  expect(err).toMatchObject({ status: 422, code: 'unrecordable' });
  await expect(within(sys.client.workflow.getHandle(caseId).result())).rejects.toBeInstanceOf(WorkflowFailedError);
  expect((await sys.db.query('SELECT 1 FROM cases WHERE id = $1', [caseId])).rows).toEqual([]);
});

test('a petition whose registration the register refuses answers the request with the refusal, and the process ends', async () => {
  // One opening for every process (workflows/runner.ts): before it, a petition's refused opening failed the workflow
  // with the activity's failure while its registration update waited for a record that never came.
  const petitionId = `PET-BAD${Date.now().toString(16).toUpperCase().slice(-9)}`;
  const officer = await sys.user('petition_officer', where.county);
  const started = sys.client.workflow.executeUpdateWithStart(petitionRegistered, {
    startWorkflowOperation: new WithStartWorkflowOperation(petitionWorkflow, {
      workflowId: petitionId,
      taskQueue: sys.config.TEMPORAL_TASK_QUEUE,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [{
        petitionId, petitioner: { name: '周某' }, subject: '道路积水', content: `村口${LONE}积水`, channel: 'letter', area: where.township,
        registeredBy: { id: officer.id, name: officer.name, role: 'petition_officer' }, registeredAt: Date.now(), policy: sys.policy,
      }],
    }),
  });
  await refusal(started);
  await expect(within(sys.client.workflow.getHandle(petitionId).result())).rejects.toBeInstanceOf(WorkflowFailedError);
  expect((await sys.db.query('SELECT 1 FROM cases WHERE id = $1', [petitionId])).rows).toEqual([]);
});
