import { randomBytes } from 'node:crypto';
import type { MediationCase } from '../domain/mediation';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { DAY_MS, HOUR_MS, shanghaiDate, startOfShanghaiDate, toShanghaiIso } from '../domain/time';
import { mediationAction, mediationState, mediationWorkflow } from '../workflows/mediation';
import { uniqueVillage } from './harness';
import { endOfDayAfter, everyDayWorked, expectWithinASecond, sleepUntilNine, startTimeSkipping, type TimeSkippingWorld } from './time-skipping';

/**
 * Timers at their real lengths, through the Java time-skipping test server (io.temporal:temporal-test-server): the
 * real workflow, with the real activities against PostgreSQL and SMTP, at the default policy's durations.
 */
let world: TimeSkippingWorld;
let env: TimeSkippingWorld['env'];
let db: TimeSkippingWorld['db'];
let smtp: TimeSkippingWorld['smtp'];
let taskQueue: string;
const where = uniqueVillage('计时');

beforeAll(async () => {
  world = await startTimeSkipping('mediation-timers');
  ({ env, db, smtp, taskQueue } = world);
  const users: Array<[string, string, string, string | null]> = [
    ['vm', where.village, 'village', null],
    ['tm', where.township, 'township', null],
    ['cm', where.county, 'county', 'neighbourhood'],
    ['cmed', where.county, 'county', 'medical'],
  ];
  for (const [id, area, level, committee] of users) {
    await db.query(
      `INSERT INTO users (id, name, email, role, level, committee, area, token_hash) VALUES ($1, $1, $2, 'mediator', $3, $4, $5, $6)`,
      [`${id}-${where.county}`, `${id}@${taskQueue}.test.cn`, level, committee, area, `h-${id}-${where.county}`],
    );
  }
  await db.query(`INSERT INTO users (id, name, email, role, area, token_hash) VALUES ($1, '督导', $2, 'supervisor', $3, $4)`, [
    `sup-${where.county}`, `sup@${taskQueue}.test.cn`, where.county, `h-sup-${where.county}`,
  ]);
});

afterAll(async () => {
  await world?.stop();
});

async function open(category: string, policy: Policy = everyDayWorked()) {
  const reportedAt = await env.currentTimeMs();
  const caseId = `MED-${randomBytes(6).toString('hex').toUpperCase()}`;
  const handle = await env.client.workflow.start(mediationWorkflow, {
    taskQueue,
    workflowId: caseId,
    args: [{
      caseId, category, summary: '计时测试', area: where.village, channel: 'grid', reportedAt, policy,
      parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }],
      reportedBy: { id: 'grid', name: '网格员', role: 'grid_worker' },
    }],
  });
  return { handle, reportedAt };
}
const actionsSince = (c: MediationCase, t0: number) =>
  c.timeline.slice(1).map((e) => [Math.round(((Date.parse(e.at) - t0) / HOUR_MS) * 100) / 100, e.action, e.to.level]);

test('an untouched case: reminded at 75 % of each 1-day limit, climbs when the day after arrival ends, overdue at county', async () => {
  // Reported at 09:00 (hours below count from then); every day is a working day in this policy, so each 1-day limit
  // ends at 24:00 of the day after the case arrived at a level.
  await sleepUntilNine(env);
  const { handle, reportedAt } = await open('neighbourhood');
  await env.sleep(29 * HOUR_MS);
  expect((await handle.query(mediationState)).timeline).toHaveLength(1);
  await env.sleep(HOUR_MS); // 30 h
  let c = await handle.query(mediationState);
  expect(actionsSince(c, reportedAt)).toEqual([[29.25, 'acceptance_reminder', 'village']]);
  await smtp.waitFor((m) => m.subject.includes(c.id) && m.subject.includes('办理提醒') && m.to[0].startsWith('vm@'));
  await env.sleep(9 * HOUR_MS - 60_000); // a minute before the next day ends: still at the village
  expect((await handle.query(mediationState)).level).toBe('village');
  await env.sleep(120_000);
  c = await handle.query(mediationState);
  expect(c.level).toBe('township');
  await smtp.waitFor((m) => m.subject.includes(c.id) && m.to[0].startsWith('tm@'));
  await env.sleep(96 * HOUR_MS); // 135 h + 1 min
  c = await handle.query(mediationState);
  expect(actionsSince(c, reportedAt)).toEqual([
    [29.25, 'acceptance_reminder', 'village'],
    [39, 'escalated', 'township'], // 00:00 on day 2
    [75, 'acceptance_reminder', 'township'],
    [87, 'escalated', 'county'], // 00:00 on day 4: day 3 was the township's
    [123, 'acceptance_reminder', 'county'],
    [135, 'overdue', 'county'],
  ]);
  expect(c).toMatchObject({ overdue: true, status: 'awaiting_acceptance', responsibleArea: where.county, committee: 'neighbourhood' });
  await smtp.waitFor((m) => m.subject.includes(c.id) && m.subject.includes('逾期预警') && m.to[0].startsWith('sup@'));
  const reg = await db.query('SELECT level, overdue FROM cases WHERE id = $1', [c.id]);
  expect(reg.rows[0]).toEqual({ level: 'county', overdue: true });
  await handle.terminate('test over');
});

test('an accepted case: reminded at 75 % of 7 days, climbs when the 7th day ends; overdue when the county\'s 30th day ends', async () => {
  const policy = everyDayWorked();
  await sleepUntilNine(env);
  const { handle, reportedAt } = await open('neighbourhood', policy);
  const act = (actor: string, level: 'village' | 'township' | 'county', area: string, committee: string | null = null) =>
    handle.executeUpdate(mediationAction, {
      args: [{ type: 'accept', actor: { id: `${actor}-${where.county}`, name: actor, role: 'mediator', level, area, committee } }],
    });
  await act('vm', 'village', where.village);
  // 7 days from 09:00 end at 24:00 of the 7th day: 183 hours; the reminder at 75 % of them.
  await env.sleep(`${137.25 - 1} hours`);
  expect(actionsSince(await handle.query(mediationState), reportedAt)).toEqual([[0, 'accepted', 'village']]);
  await env.sleep('2 hours');
  expect(actionsSince(await handle.query(mediationState), reportedAt).pop()).toEqual([137.25, 'level_reminder', 'village']);
  await env.sleep(`${183 - 138.25 - 1} hours`); // an hour before the 7th day ends
  expect((await handle.query(mediationState)).level).toBe('village');
  await env.sleep('2 hours');
  let c = await handle.query(mediationState);
  expect(actionsSince(c, reportedAt).pop()).toEqual([183, 'escalated', 'township']);
  const atTownship = Date.parse(c.levelEnteredAt);
  expectWithinASecond(atTownship, endOfDayAfter(reportedAt, 7));
  await act('tm', 'township', where.township);
  await env.sleep(`${16 * 24 + 1} hours`);
  c = await handle.query(mediationState);
  expect(c.level).toBe('county');
  // Arrived at 00:00, that day not counted: 15 days later the township's limit ends 16 × 24 hours after its arrival.
  expectWithinASecond(Date.parse(c.levelEnteredAt) - atTownship, 16 * DAY_MS);
  const atCounty = Date.parse(c.levelEnteredAt);
  await act('cm', 'county', where.county, 'neighbourhood');
  await env.sleep(`${31 * 24 + 1} hours`);
  c = await handle.query(mediationState);
  // Read from the timeline: the county reminder at 75 % of its 31 × 24 hours, then overdue when its 30th day ends.
  expect(actionsSince(c, atCounty).slice(-2)).toEqual([
    [0.75 * 31 * 24, 'level_reminder', 'county'],
    [31 * 24, 'overdue', 'county'],
  ]);
  expect(c.overdue).toBe(true);
  expectWithinASecond(Date.parse(c.timeline[c.timeline.length - 1].at), endOfDayAfter(atCounty, 30));
  expect(c.status).toBe('in_mediation'); // overdue at county never closes the case
  await handle.terminate('test over');
});

test('a medical dispute: 30 working days from acceptance across a 调休 Sunday, Mid-Autumn and National Day', async () => {
  // The 2026 National Day pattern (worked Sunday 20 Sep, Mid-Autumn 25 Sep, 1-7 Oct off, worked Saturday 10 Oct) moved
  // by whole weeks to lie ahead of the test server's clock, so the timers run forward into it.
  const now = await env.currentTimeMs();
  const base = startOfShanghaiDate('2026-09-18'); // a Friday
  const weeks = Math.ceil((now + 2 * DAY_MS - base) / (7 * DAY_MS));
  const shift = (d: string) => shanghaiDate(startOfShanghaiDate(d) + weeks * 7 * DAY_MS);
  const policy: Policy = JSON.parse(JSON.stringify(DEFAULT_POLICY));
  policy.version = 'test-shifted-calendar';
  policy.calendar.value = {
    weekendDays: [0, 6],
    holidays: ['2026-09-25', '2026-09-26', '2026-09-27', ...['01', '02', '03', '04', '05', '06', '07'].map((d) => `2026-10-${d}`)].map(shift),
    workedWeekendDays: ['2026-09-20', '2026-10-10'].map(shift),
  };
  const friday10am = startOfShanghaiDate(shift('2026-09-18')) + 10 * HOUR_MS;
  await env.sleep(friday10am - now);
  const { handle } = await open('medical', policy);
  const accepted = await handle.executeUpdate(mediationAction, {
    args: [{ type: 'accept', actor: { id: `cmed-${where.county}`, name: '医调委', role: 'mediator', level: 'county', area: where.county, committee: 'medical' } }],
  });
  expect(accepted.level).toBe('county');
  let c = await handle.query(mediationState);
  // As in the real calendar, 18 September + 30 working days ends when 5 November ends.
  expect(c.deadlines.levelDeadline).toBe(toShanghaiIso(startOfShanghaiDate(shift('2026-11-06'))));
  const deadline = Date.parse(c.deadlines.levelDeadline!);
  await env.sleep(deadline - (await env.currentTimeMs()) - HOUR_MS);
  expect((await handle.query(mediationState)).overdue).toBe(false);
  await env.sleep(2 * HOUR_MS);
  c = await handle.query(mediationState);
  expect(c.overdue).toBe(true);
  const last = c.timeline[c.timeline.length - 1];
  expect(last.action).toBe('overdue');
  expectWithinASecond(Date.parse(last.at), deadline);
  await handle.terminate('test over');
});
