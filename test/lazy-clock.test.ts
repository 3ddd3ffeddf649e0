import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { MediationCase } from '../domain/mediation';
import { DAY_MS, HOUR_MS, toShanghaiIso } from '../domain/time';
import type { VillageStaff } from '../domain/village';
import { workflowBundle } from '../worker/worker';
import { mediationAction, mediationState, mediationWorkflow } from '../workflows/mediation';
import { villageAction, villageDecisionWorkflow, villageState } from '../workflows/village-decision';
import { uniqueVillage } from './harness';
import { endOfDayAfter, everyDayWorked, expectWithinASecond, sleepUntilNine, startTimeSkipping, type TimeSkippingWorld } from './time-skipping';

/**
 * The lazy clock of lean cases (workflows/clock.ts `runLazyClock`), read in the history: a staff action that moves the
 * next due time later starts and cancels no timer; the kept timer fires early, starts one for the rest and does nothing
 * else; an action that moves it earlier replaces the timer. The case acts at the same times as with the old clock. On
 * the time-skipping test server with the real activities (PostgreSQL, SMTP), at the default policy's durations.
 */
let world: TimeSkippingWorld;
const where = uniqueVillage('懒钟');
type Events = temporal.api.history.v1.IHistoryEvent[];

beforeAll(async () => {
  world = await startTimeSkipping('lazy-clock');
  for (const [id, area, level] of [['vm', where.village, 'village'], ['tm', where.township, 'township']]) {
    await world.db.query(
      `INSERT INTO users (id, name, email, role, level, area, token_hash) VALUES ($1, $1, $2, 'mediator', $3, $4, $5)`,
      [`${id}-${where.county}`, `${id}@${world.taskQueue}.test.cn`, level, area, `h-${id}-${where.county}`],
    );
  }
});
afterAll(async () => {
  await world?.stop();
});

const typeOf = (e: temporal.api.history.v1.IHistoryEvent) =>
  temporal.api.enums.v1.EventType[e.eventType!].replace(/^EVENT_TYPE_/, '');
const vm = { id: `vm-${where.county}`, name: 'vm', role: 'mediator' as const, level: 'village' as const, area: where.village, committee: null };

async function open() {
  const { env, taskQueue } = world;
  const reportedAt = await env.currentTimeMs();
  const caseId = `MED-${randomBytes(6).toString('hex').toUpperCase()}`;
  const handle = await env.client.workflow.start(mediationWorkflow, {
    taskQueue,
    workflowId: caseId,
    args: [{
      caseId, category: 'neighbourhood', summary: '懒钟测试', area: where.village, channel: 'grid', reportedAt, policy: everyDayWorked(),
      parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }],
      reportedBy: { id: 'grid', name: '网格员', role: 'grid_worker' },
    }],
  });
  await handle.executeUpdate('mediationOpened');
  return { handle, reportedAt, caseId };
}

/** The history once the workflow has nothing in flight (its last event a completed workflow task). */
async function settled(handle: { fetchHistory(): Promise<temporal.api.history.v1.IHistory> }): Promise<Events> {
  for (let i = 0; ; i++) {
    const events = (await handle.fetchHistory()).events!;
    const last = typeOf(events.at(-1)!);
    if (last === 'WORKFLOW_TASK_COMPLETED' || i > 100) return events;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The events an update added: from the workflow task it started to its completion. */
function eventsOfUpdate(events: Events, from: number): string[] {
  const done = events.findIndex((e, i) => i >= from && e.workflowExecutionUpdateCompletedEventAttributes);
  expect(done).toBeGreaterThan(-1);
  return events.slice(from, done + 1).map(typeOf);
}

const timersIn = (types: string[]) => types.filter((t) => t.startsWith('TIMER_'));
const timelineSince = (c: MediationCase, t0: number) =>
  c.timeline.slice(1).map((e) => [Math.round(((Date.parse(e.at) - t0) / HOUR_MS) * 100) / 100, e.action, e.to.level]);

test('an accept (the next due time moves later) starts and cancels no timer; the kept timer fires, and the case acts at the new time', async () => {
  const { env } = world;
  await sleepUntilNine(env);
  const { handle, reportedAt } = await open();
  const before = await settled(handle);
  // One timer pending, for the acceptance reminder at 75 % of the day after arrival (24:00 of the next day: 39 h).
  expect(timersIn(before.map(typeOf))).toEqual(['TIMER_STARTED']);

  await handle.executeUpdate(mediationAction, { args: [{ type: 'accept', actor: vm }] });
  const afterAccept = await settled(handle);
  const accept = eventsOfUpdate(afterAccept, before.length);
  // The bare update's eleven events and the status attribute: no TIMER_CANCELED, no TIMER_STARTED.
  expect(accept).toEqual([
    'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED',
    'WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'ACTIVITY_TASK_SCHEDULED',
    'ACTIVITY_TASK_STARTED', 'ACTIVITY_TASK_COMPLETED',
    'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED',
    'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
  ]);
  expect(timersIn(afterAccept.slice(before.length).map(typeOf))).toEqual([]);

  // The kept timer fires at 29.25 h: nothing is due (the level reminder is at 75 % of 7 days, 137.25 h), so a timer for
  // the rest starts, and nothing is acted, recorded or mailed.
  await env.sleep(30 * HOUR_MS);
  const afterFire = await settled(handle);
  expect(afterFire.slice(afterAccept.length).map(typeOf).filter((t) => !t.startsWith('WORKFLOW_TASK_'))).toEqual(['TIMER_FIRED', 'TIMER_STARTED']);
  expect(timelineSince(await handle.query(mediationState), reportedAt)).toEqual([[0, 'accepted', 'village']]);

  // Then the case acts at the new times, as the old clock did: the level reminder, and the climb when the 7th day ends.
  await env.sleep(`${183 + 1 - 30} hours`);
  const c = await handle.query(mediationState);
  expect(timelineSince(c, reportedAt)).toEqual([
    [0, 'accepted', 'village'],
    [137.25, 'level_reminder', 'village'],
    [183, 'escalated', 'township'],
  ]);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), c.id);
  await handle.terminate('test over');
});

test('an escalation requested by staff (the next due time moves earlier) replaces the timer, and the township is reminded on time', async () => {
  const { env } = world;
  await sleepUntilNine(env);
  const { handle, reportedAt } = await open();
  await handle.executeUpdate(mediationAction, { args: [{ type: 'accept', actor: vm }] });
  // Accepted: the kept timer is the acceptance reminder's (29.25 h). It fires, and one for the level reminder starts (137.25 h).
  await env.sleep(30 * HOUR_MS);
  const before = await settled(handle);
  expect(timersIn(before.map(typeOf))).toEqual(['TIMER_STARTED', 'TIMER_FIRED', 'TIMER_STARTED']);

  // 38 h (23:00 of day 1): the village asks the township to take over. The township's acceptance reminder, at 75 % of
  // the time to the end of the next day (24:00 of day 2, 63 h), comes before the village's level reminder: the timer is
  // replaced.
  await env.sleep(8 * HOUR_MS);
  await handle.executeUpdate(mediationAction, { args: [{ type: 'requestEscalation', actor: vm, reason: '涉及两村土地' }] });
  const after = await settled(handle);
  // (The new timer's command goes first: the old one's cancellation reaches its scope a microtask later.)
  expect(timersIn(eventsOfUpdate(after, before.length))).toEqual(['TIMER_STARTED', 'TIMER_CANCELED']);
  let c = await handle.query(mediationState);
  const remindAt = Date.parse(c.deadlines.acceptReminderAt!);
  expect((remindAt - reportedAt) / HOUR_MS).toBeCloseTo(38 + 0.75 * 25, 1); // (the update takes a few seconds of test-server time)

  await env.sleep(remindAt - (await env.currentTimeMs()) - 60_000);
  expect(timelineSince(await handle.query(mediationState), reportedAt).map((x) => x[1])).toEqual(['accepted', 'escalation_requested']);
  await env.sleep(120_000);
  c = await handle.query(mediationState);
  const last = c.timeline.at(-1)!;
  expect([last.action, last.to.level]).toEqual(['acceptance_reminder', 'township']);
  expectWithinASecond(Date.parse(last.at), remindAt);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), c.id);
  await handle.terminate('test over');
});

test('a village step taken after its reminder (the next due time moves earlier: the new step reminder before the township alert) replaces the timer', async () => {
  const { env, taskQueue } = world;
  const clerk: VillageStaff = { id: `clerk-${where.county}`, name: '村文书', role: 'village_clerk', area: where.village };
  const openedAt = await sleepUntilNine(env);
  const matterId = `VIL-${randomBytes(6).toString('hex').toUpperCase()}`;
  const handle = await env.client.workflow.start(villageDecisionWorkflow, {
    taskQueue,
    workflowId: matterId,
    args: [{ matterId, type: 'village_rules', title: '修订村规民约', description: '修订第三章', area: where.village, openedBy: clerk, openedAt, policy: everyDayWorked() }],
  });
  // The step reminder when the 7th day ends (7.625 days); then the township alert is due when the 20th ends (20.625).
  await env.sleep(8 * DAY_MS);
  expect((await handle.query(villageState)).timeline.map((e) => e.action)).toEqual(['opened', 'step_reminder']);
  const before = await settled(handle);
  const now = await env.currentTimeMs();
  const meeting = {
    body: 'party_branch' as const, heldAt: toShanghaiIso(now - 60_000), noticeGivenAt: toShanghaiIso(now - 11 * DAY_MS),
    entitled: 5, present: 5, for: 5, against: 0, abstain: 0, minutes: '记录',
  };
  await handle.executeUpdate(villageAction, { args: [{ type: 'recordMeeting', actor: clerk, meeting }] });
  const after = await settled(handle);
  expect(timersIn(eventsOfUpdate(after, before.length))).toEqual(['TIMER_STARTED', 'TIMER_CANCELED']);
  let m = await handle.query(villageState);
  const stepEnteredAt = Date.parse(m.stepEnteredAt);
  const remindAt = endOfDayAfter(stepEnteredAt, 7);
  expect(Date.parse(m.deadlines.stepDeadline!)).toBe(remindAt);
  expect(remindAt).toBeLessThan(Date.parse(m.deadlines.procedureDeadline!));

  await env.sleep(remindAt - (await env.currentTimeMs()) - 60_000);
  expect((await handle.query(villageState)).timeline).toHaveLength(3);
  await env.sleep(120_000);
  m = await handle.query(villageState);
  const last = m.timeline.at(-1)!;
  expect(last.action).toBe('step_reminder');
  expectWithinASecond(Date.parse(last.at), remindAt);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), matterId);
  await handle.terminate('test over');
});
