import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../worker/worker';
import type { Petition } from '../domain/petition';
import { meetingState, meetingWorkflow, recordMinutes } from '../workflows/meeting';
import { petitionState, weeklyReview } from '../workflows/petition';
import { reportDebtDispute, startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { HISTORIES_DIR as dir, replayCase } from './replay-helpers';

/**
 * Workflow code must stay replay-safe. Histories recorded from earlier versions (test/histories/*.json) and a fresh
 * one are replayed against today's code; a non-deterministic change fails here. Changing a running process needs
 * patched(). `RECORD_HISTORY=1 npx jest test/replay.test.ts test/mediation-escalation.test.ts` records the newest fixtures (each test names its file; an older fixture keeps its name and stays).
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
  const { id, med } = await reportDebtDispute(sys, uniqueVillage('回放'));
  await sys.call('POST', `/api/v1/mediations/${id}/agreement`, { token: med.token, body: { form: 'oral', terms: 'x', parties: ['甲', '乙'] } }); // refused: 409
  await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: med.token, body: {} });
  await sys.call('POST', `/api/v1/mediations/${id}/agreement`, { token: med.token, body: { form: 'oral', terms: '分三期还清', parties: ['甲', '乙'] } });
  await sys.call('POST', `/api/v1/mediations/${id}/follow-up`, { token: med.token, body: { performed: true, notes: '已还清' } });
  await sys.client.workflow.getHandle(id).result();
  await replayCase(sys, id, 'mediation-v7-lean-agreement-follow-up');

  // Compact transitions: no activity input or update result carries the case's timeline, and the register still
  // holds the whole case.
  const history = await sys.client.workflow.getHandle(id).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
  expect(scheduled.filter((t) => t === 'recordMediation')).toHaveLength(4);
  // One patch marker (the compact patch implies the earlier ones), and the petition and village rules not carried.
  const markers = (history.events ?? []).map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean);
  expect(markers.filter((m) => m === 'core_patch')).toHaveLength(1);
  // (The completed run's result is the final case, once.)
  const transitions = (history.events ?? []).filter((e) => !e.workflowExecutionCompletedEventAttributes);
  const payloads = JSON.stringify(transitions, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
  expect(payloads).not.toContain('"timeline"');
  expect(payloads).not.toContain('"village":{');
  const stored = await sys.db.query('SELECT snapshot FROM cases WHERE id = $1', [id]);
  expect(stored.rows[0].snapshot.timeline.map((e: { action: string }) => e.action)).toEqual(['opened', 'accepted', 'agreement_recorded', 'follow_up_recorded']);
});

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a petition directed by two weekly reviews (signals) replays', async () => {
  const where = uniqueVillage('周会回放');
  const officer = await sys.user('petition_officer', where.county);
  const created = await sys.call('POST', '/api/v1/petitions', {
    token: officer.token,
    body: { petitioner: { name: '周某' }, subject: `道路积水-${where.county}`, content: '村口道路雨后积水。', channel: 'letter', area: where.township },
  });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const post = (action: string, body: object) => sys.call('POST', `/api/v1/petitions/${id}/${action}`, { token: officer.token, body });
  expect((await post('assign', { unit: '县住建局', unitHead: '赵局长' })).status).toBe(200);
  expect((await post('accept', { notice: '依法受理' })).status).toBe(200);
  const h = sys.client.workflow.getHandle(id);
  const actor = { id: officer.id, name: officer.name, role: 'petition_officer' as const };
  await h.signal(weeklyReview, { meetingId: 'MTG-REPLAY-1', direction: 'continue', note: '抓紧办理', actor });
  await h.signal(weeklyReview, { meetingId: 'MTG-REPLAY-2', direction: 'escalate', note: '提级督办', actor });
  const p = await until(() => h.query(petitionState), (x: Petition) => x.timeline.filter((e) => e.action === 'weekly_review').length === 2);
  expect(p.timeline.filter((e) => e.action === 'weekly_review').map((e) => e.details?.direction)).toEqual(['continue', 'escalate']);
  const replied = await post('reply', { decision: 'supported', opinion: '已疏通排水。' });
  expect(replied.status).toBe(200);
  // The API still answers with the whole petition (read from the register), timeline included.
  expect(replied.body.timeline.map((e: { action: string }) => e.action)).toEqual(['registered', 'assigned', 'accepted', 'weekly_review', 'weekly_review', 'replied']);
  await replayCase(sys, id, 'petition-v6-lean-weekly-review');

  // Compact transitions: no activity input or update result carries the petition's timeline, one patch marker (the
  // compact patch implies the earlier ones), the village rules not carried, and the register holds the whole petition.
  const history = await h.fetchHistory();
  const scheduled = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
  expect(scheduled.filter((t) => t === 'recordPetition')).toHaveLength(6);
  const markers = (history.events ?? []).map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean);
  expect(markers.filter((m) => m === 'core_patch')).toHaveLength(1);
  const payloads = JSON.stringify(history.events, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
  expect(payloads).not.toContain('"timeline"');
  expect(payloads).not.toContain('"village":{');
  const stored = await sys.db.query('SELECT snapshot FROM cases WHERE id = $1', [id]);
  expect(stored.rows[0].snapshot.timeline.map((e: { action: string }) => e.action)).toEqual(['registered', 'assigned', 'accepted', 'weekly_review', 'weekly_review', 'replied']);
});

test('a village matter rejected, returned to the proposal step, rejected again and ended replays', async () => {
  const where = uniqueVillage('否决回放');
  const clerk = await sys.user('village_clerk', where.village);
  const API = '/api/v1/village-decisions';
  const ago = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const meeting = (body: string, entitled: number, present: number, votesFor: number, minutesAgo: number) => ({
    body, heldAt: ago(minutesAgo), noticeGivenAt: ago(minutesAgo + 11 * 24 * 60), entitled, present, for: votesFor,
    against: present - votesFor, abstain: 0, minutes: `${body} 会议记录`,
  });
  const post = (id: string, action: string, body: object) => sys.call('POST', `${API}/${id}/${action}`, { token: clerk.token, body });
  const created = await sys.call('POST', API, { token: clerk.token, body: { type: 'village_rules', title: '修订村规民约', description: '修订第三章' } });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  await post(id, 'meetings', meeting('party_branch', 5, 5, 5, 60));
  expect((await post(id, 'meetings', meeting('two_committees', 8, 6, 3, 50))).body.status).toBe('rejected');
  expect((await post(id, 'rejection-decision', { choice: 'return', reason: '吸收意见后重新提议' })).body.status).toBe('proposal');
  await post(id, 'meetings', meeting('party_branch', 5, 5, 5, 30));
  expect((await post(id, 'meetings', meeting('two_committees', 8, 8, 2, 20))).body.status).toBe('rejected');
  const ended = await post(id, 'rejection-decision', { choice: 'end', reason: '两委意见不一致，不再推进' });
  expect(ended.body).toMatchObject({ status: 'closed', outcome: 'ended_after_rejection' });
  const final = await sys.client.workflow.getHandle(id).result();
  await replayCase(sys, id, 'village-v5-lean-rejection');

  // Compact transitions: no activity input or update result carries the matter's timeline (the completed run's
  // result is the final matter, once), one patch marker, no petition or mediation rules in the input, and the
  // register holds the whole matter.
  const history = await sys.client.workflow.getHandle(id).fetchHistory();
  const scheduled = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
  expect(scheduled.filter((t) => t === 'recordVillageMatter')).toHaveLength(final.timeline.length);
  const markers = (history.events ?? []).map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean);
  expect(markers.filter((m) => m === 'core_patch')).toHaveLength(1);
  const transitions = (history.events ?? []).filter((e) => !e.workflowExecutionCompletedEventAttributes);
  const payloads = JSON.stringify(transitions, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
  expect(payloads).not.toContain('"timeline"');
  expect(payloads).not.toContain('"petition":{');
  expect(payloads).not.toContain('"mediation":{');
  const stored = await sys.db.query('SELECT snapshot FROM cases WHERE id = $1', [id]);
  expect(stored.rows[0].snapshot.timeline).toEqual(final.timeline);
  expect(ended.body.timeline).toEqual(final.timeline);
});

test('a meeting answers its minutes update before it completes (every handler finished), and replays', async () => {
  const where = uniqueVillage('会议回放');
  const meetingId = `MTG-REPLAY-${Date.now().toString(16).toUpperCase()}`;
  const h = await sys.client.workflow.start(meetingWorkflow, {
    taskQueue: sys.config.TEMPORAL_TASK_QUEUE,
    workflowId: meetingId,
    args: [{ county: where.county, chair: { name: '县委书记', email: 'chair@replay.test.cn' }, leadingGroup: ['group@replay.test.cn'], minutesWithinMs: 60_000 }],
  });
  await until(() => h.query(meetingState), (r) => r.status === 'agenda_sent');
  const officer = { id: 'officer', name: '信访干部', role: 'petition_officer' as const };
  const record = await h.executeUpdate(recordMinutes, { args: [{ actor: officer, chair: '县委书记', attendees: ['甲', '乙'], directions: [] }] });
  expect(record.status).toBe('minutes_recorded');
  expect((await h.result()).status).toBe('minutes_recorded');
  const events = (await h.fetchHistory()).events!;
  const updateDone = events.findIndex((e) => e.workflowExecutionUpdateCompletedEventAttributes);
  const completed = events.findIndex((e) => e.workflowExecutionCompletedEventAttributes);
  expect(updateDone).toBeGreaterThan(-1);
  expect(updateDone).toBeLessThan(completed);
  await replayCase(sys, meetingId, 'meeting-v4-outbox-relay');
});
