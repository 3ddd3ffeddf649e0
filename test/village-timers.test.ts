import { randomBytes } from 'node:crypto';
import { DAY_MS, HOUR_MS, toShanghaiIso } from '../domain/time';
import type { MeetingInput, VillageBody, VillageMatter, VillageStaff } from '../domain/village';
import { villageAction, villageDecisionWorkflow, villageState } from '../workflows/village-decision';
import { uniqueVillage } from './harness';
import { endOfDayAfter, everyDayWorked, sleepUntilNine, startTimeSkipping, type TimeSkippingWorld } from './time-skipping';

/**
 * The village timers at their real lengths, through the Java time-skipping test server: the real workflow and the
 * real activities against PostgreSQL and SMTP, at the default policy (notice period 7 days, 7 days between steps,
 * 20 days for the whole deliberation).
 */
let world: TimeSkippingWorld;
let env: TimeSkippingWorld['env'];
let smtp: TimeSkippingWorld['smtp'];
let db: TimeSkippingWorld['db'];
let taskQueue: string;
const where = uniqueVillage('公示');
const clerk: VillageStaff = { id: `clerk-${where.county}`, name: '村文书', role: 'village_clerk', area: where.village };
const tag = randomBytes(3).toString('hex');
const clerkMail = `clerk@${tag}.test.cn`;
const supMail = `sup@${tag}.test.cn`;

beforeAll(async () => {
  world = await startTimeSkipping('village-timers');
  ({ env, smtp, db, taskQueue } = world);
  await world.db.query(`INSERT INTO users (id, name, email, role, area, token_hash) VALUES ($1, '村文书', $2, 'village_clerk', $3, $4)`, [
    clerk.id, clerkMail, where.village, `h-clerk-${where.county}`,
  ]);
  await world.db.query(`INSERT INTO users (id, name, email, role, area, token_hash) VALUES ($1, '镇督导', $2, 'supervisor', $3, $4)`, [
    `sup-${where.county}`, supMail, where.township, `h-sup-${where.county}`,
  ]);
});

afterAll(async () => {
  await world?.stop();
});

/** Every day worked (rest days are tested in test/village-rules.test.ts); matters open at 09:00. */
const policy = everyDayWorked();
async function open() {
  const openedAt = await sleepUntilNine(env);
  const matterId = `VIL-${randomBytes(6).toString('hex').toUpperCase()}`;
  const handle = await env.client.workflow.start(villageDecisionWorkflow, {
    taskQueue,
    workflowId: matterId,
    args: [{
      matterId, type: 'land_compensation', title: '征地补偿款分配方案', description: '高速公路征地补偿款按人口分配', amount: 2_400_000,
      area: where.village, openedBy: clerk, openedAt, policy,
    }],
  });
  return { handle, openedAt };
}
const expectWithinASecond = (actual: number, expected: number) => {
  expect(actual).toBeGreaterThanOrEqual(expected);
  expect(actual - expected).toBeLessThan(1000);
};
const eventsSince = (m: VillageMatter, t0: number) =>
  m.timeline.slice(1).map((e) => [Math.round(((Date.parse(e.at) - t0) / DAY_MS) * 1000) / 1000, e.action, e.actor.id]);

test('an untouched matter: the clerk is reminded when the 7th day ends, the township alerted when the 20th ends', async () => {
  const { handle, openedAt } = await open();
  // Opened at 09:00, that day not counted: the 7th day ends 7 days 15 hours later.
  await env.sleep(7 * DAY_MS + 14 * HOUR_MS);
  expect((await handle.query(villageState)).timeline).toHaveLength(1);
  await env.sleep(2 * HOUR_MS);
  let m = await handle.query(villageState);
  expect(eventsSince(m, openedAt)).toEqual([[7.625, 'step_reminder', 'system']]);
  await smtp.waitFor((x) => x.to.includes(clerkMail) && x.subject.includes(m.id) && x.subject.includes('已超过步骤期限'));
  await env.sleep(13 * DAY_MS - 2 * HOUR_MS); // an hour before the 20th day ends
  expect((await handle.query(villageState)).overdue).toBe(false);
  await env.sleep(2 * HOUR_MS);
  m = await handle.query(villageState);
  expect(eventsSince(m, openedAt)).toEqual([[7.625, 'step_reminder', 'system'], [20.625, 'township_alerted', 'system']]);
  expect(m.overdue).toBe(true);
  const alert = await smtp.waitFor((x) => x.to.includes(supMail) && x.subject.includes('逾期预警') && x.subject.includes(m.id));
  expect(alert.text).toContain('党支部会提议');
  const reg = await db.query('SELECT status, overdue FROM cases WHERE id = $1', [m.id]);
  expect(reg.rows[0]).toEqual({ status: 'proposal', overdue: true });
  await handle.terminate('test over');
});

test('the resolution notice runs its full 7 days; an objection holds implementation until answered', async () => {
  const { handle } = await open();
  const meet = async (body: VillageBody, entitled: number, present: number, votesFor: number) => {
    const now = await env.currentTimeMs();
    const meeting: MeetingInput = {
      body, heldAt: toShanghaiIso(now - 60_000), noticeGivenAt: toShanghaiIso(now - 11 * DAY_MS), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: '记录',
    };
    // A compact matter's update answers with the transition: the matter is read by query.
    await handle.executeUpdate(villageAction, { args: [{ type: 'recordMeeting', actor: clerk, meeting }] });
    return handle.query(villageState);
  };
  await meet('party_branch', 5, 5, 5);
  await env.sleep(2 * DAY_MS);
  await meet('two_committees', 7, 7, 7);
  await env.sleep(2 * DAY_MS);
  await meet('party_members', 30, 20, 11);
  await env.sleep(2 * DAY_MS);
  let m = await meet('representatives', 30, 20, 11);
  expect(m.status).toBe('resolution_notice');
  const notice = m.notices[0];
  const startsAt = Date.parse(notice.startsAt);
  const endsAt = Date.parse(notice.endsAt);
  expect(endsAt).toBe(endOfDayAfter(startsAt, 7)); // 24:00 of the 7th day after the day it was posted
  const board = await db.query('SELECT ends_at, ended, body FROM public_notices WHERE id = $1', [notice.id]);
  expect(board.rows[0].ends_at.getTime()).toBe(Date.parse(notice.endsAt));
  expect(board.rows[0].body).toContain('征地补偿费的使用、分配方案');

  await env.sleep(3 * DAY_MS);
  const filed = await handle.executeUpdate(villageAction, {
    args: [{ type: 'fileObjection', actor: { id: 'public', name: '村民', role: 'public' }, objection: { id: 'OBJ-T1', noticeId: notice.id, text: '外嫁女是否参与分配？' } }],
  });
  expect(filed).toMatchObject({ id: m.id, status: 'resolution_notice', event: { action: 'objection_filed' } });
  expect(filed).not.toHaveProperty('timeline');
  m = await handle.query(villageState);
  expect(m.objections).toHaveLength(1);
  await env.sleep(endsAt - 60_000 - (await env.currentTimeMs())); // a minute before the end
  m = await handle.query(villageState);
  expect(m.notices[0].ended).toBe(false);
  await env.sleep(2 * 60_000);
  m = await handle.query(villageState);
  const ended = m.timeline.find((e) => e.action === 'resolution_notice_ended')!;
  expectWithinASecond(Date.parse(ended.at), endsAt);
  expect(ended.details).toMatchObject({ unansweredObjections: 1 });
  expect(m.status).toBe('resolution_notice'); // held: the objection is unanswered
  await smtp.waitFor((x) => x.to.includes(clerkMail) && x.subject.includes('公示期满') && x.text.includes('尚有 1 条异议未答复'));
  await expect(
    handle.executeUpdate(villageAction, { args: [{ type: 'recordProgress', actor: clerk, note: '开始分配' }] }),
  ).rejects.toMatchObject({ cause: { type: 'InvalidTransition', message: expect.stringContaining('异议尚未答复') } });
  await env.sleep(2 * DAY_MS); // nothing moves by itself while the objection waits
  expect((await handle.query(villageState)).status).toBe('resolution_notice');
  const answered = await handle.executeUpdate(villageAction, {
    args: [{ type: 'answerObjection', actor: clerk, objectionId: 'OBJ-T1', answer: '按村规民约第八条，户籍在本村的外嫁女参与分配' }],
  });
  expect(answered.status).toBe('implementation');
  await handle.executeUpdate(villageAction, { args: [{ type: 'completeImplementation', actor: clerk, result: '补偿款已按人口分配到户' }] });
  m = await handle.query(villageState);
  const resultStarts = Date.parse(m.notices[1].startsAt);
  await env.sleep(8 * DAY_MS);
  m = await handle.query(villageState);
  expect(m).toMatchObject({ status: 'closed', outcome: 'completed', finished: true });
  expectWithinASecond(Date.parse(m.timeline[m.timeline.length - 1].at), endOfDayAfter(resultStarts, 7));
  await handle.result();
  const rows = await db.query('SELECT id, ended FROM public_notices WHERE matter_id = $1 ORDER BY id', [m.id]);
  expect(rows.rows).toEqual([{ id: `${m.id}-R`, ended: true }, { id: `${m.id}-S`, ended: true }]);
});
