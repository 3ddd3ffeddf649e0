import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { replayCase } from './replay-helpers';

/**
 * The weekly dispatch meeting on the dev server: the Temporal Schedule exists after start-up, a meeting builds an
 * agenda from the register that lists the right petitions, minutes reach the right petition workflows, and what got
 * no direction or is overdue is flagged to the five-person group. A short POLICY_FILE makes deadlines pass in seconds.
 */
const policy: Policy = JSON.parse(JSON.stringify(DEFAULT_POLICY));
policy.version = 'test-meeting';
const pet = policy.petition!;
pet.assignLimit = { value: { value: 3, unit: 'seconds' }, source: 'test' };
pet.reviewWindow = { value: { value: 2, unit: 'seconds' }, source: 'test' };
pet.leadingGroup = { source: 'test', value: [1, 2, 3, 4, 5].map((i) => ({ title: `成员${i}`, name: `成员${i}`, email: `group${i}@meeting.test.cn` })) };
pet.meeting = { source: 'test', value: { dayOfWeek: 1, hour: 9, minute: 0, chair: { name: '县委书记', email: 'chair@meeting.test.cn' }, minutesWithin: { value: 60, unit: 'seconds' } } };

let sys: TestSystem;
const where = uniqueVillage('会议');
type U = Awaited<ReturnType<TestSystem['user']>>;
let officer: U;

beforeAll(async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-policy-')), 'policy.json');
  fs.writeFileSync(file, JSON.stringify(policy));
  sys = await startTestSystem({ env: { POLICY_FILE: file } });
  officer = await sys.user('petition_officer', where.county, { name: '信访干部' });
});
afterAll(async () => {
  await sys?.stop();
});

const register = async (subject: string) =>
  (await sys.call('POST', '/api/v1/petitions', {
    token: officer.token,
    body: { petitioner: { name: `信访人${subject}` }, subject, content: '内容', channel: 'letter', area: where.township },
  })).body.id as string;

test("a county's weekly schedule exists once it has a petition, Mondays 09:00 Asia/Shanghai", async () => {
  await register('排期事项');
  const s = await sys.call('GET', '/api/v1/meetings/schedule', { token: officer.token });
  expect(s.status).toBe(200);
  expect(s.body.timezone).toBe('Asia/Shanghai');
  expect(s.body.calendars[0]).toMatchObject({ dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }], hour: [{ start: 9, end: 9, step: 1 }] });
  expect(s.body.nextMeetings[0]).toMatch(/T09:00:00\.000\+08:00$/);
  expect(new Date(Date.parse(s.body.nextMeetings[0]) + 8 * 3600_000).getUTCDay()).toBe(1);
});

test('an agenda of the right petitions, minutes that reach their workflows, and flags for the five-person group', async () => {
  // A: overdue (its 3-second assignment limit passes); B: assigned and moving; C: replied and closed, not on the agenda.
  const a = await register('甲事项');
  const b = await register('乙事项');
  await sys.call('POST', `/api/v1/petitions/${b}/assign`, { token: officer.token, body: { unit: '县住建局', unitHead: '赵局长' } });
  const c = await register('丙事项');
  for (const [action, body] of [['assign', { unit: 'x', unitHead: 'y' }], ['accept', { notice: 'n' }], ['reply', { decision: 'supported', opinion: 'o' }]] as const) {
    await sys.call('POST', `/api/v1/petitions/${c}/${action}`, { token: officer.token, body });
  }
  await sys.smtp.waitFor((m) => m.subject.includes(a) && m.subject.includes('逾期报告'), 15_000);
  for (let i = 0; i < 100; i++) {
    const r = await sys.db.query('SELECT status FROM cases WHERE id = $1', [c]);
    if (r.rows[0].status === 'closed') break; // nobody asked for review within its (2-second) window
    await new Promise((res) => setTimeout(res, 100));
  }

  // The schedule's own action starts a meeting (triggered now instead of waiting for Monday).
  const scheduleId = (await sys.call('GET', '/api/v1/meetings/schedule', { token: officer.token })).body.scheduleId;
  await sys.client.schedule.getHandle(scheduleId).trigger();
  let scheduled: any[] = [];
  for (let i = 0; i < 100 && scheduled.length === 0; i++) {
    scheduled = (await sys.call('GET', '/api/v1/meetings/schedule', { token: officer.token })).body.recentMeetings;
    if (scheduled.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  expect(scheduled[0].meetingId).toMatch(/^MTG-/);
  const fromSchedule = scheduled[0].meetingId;
  await sys.smtp.waitFor((m) => m.to.includes('chair@meeting.test.cn') && m.subject.includes('集中办公会议议程'), 15_000);
  // C's review window has passed: a request now is refused, naming the window.
  const late = await sys.call('POST', `/api/v1/petitions/${c}/review-request`, { token: officer.token, body: { reason: '不服' } });
  expect(late.status).toBe(409);
  expect(late.body.error.message).toContain('复查申请期限已届满');

  const agendaOf = async (id: string) => {
    for (let i = 0; i < 100; i++) {
      const r = await sys.call('GET', `/api/v1/meetings/${id}`, { token: officer.token });
      if (r.status === 200) return r.body;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`no agenda for ${id}`);
  };
  const meeting = await agendaOf(fromSchedule);
  const items = meeting.agenda.items.filter((i: any) => [a, b, c].includes(i.id));
  expect(items.map((i: any) => [i.id, i.overdue, i.status])).toEqual([
    [a, true, 'registered'],
    [b, false, 'assigned'],
  ]);
  const agendaMail = await sys.smtp.waitFor((m) => m.to.includes('group1@meeting.test.cn') && m.subject.includes('集中办公会议议程'));
  expect(agendaMail.text).toContain('甲事项');
  expect(agendaMail.text).toContain('【已逾期】');
  expect(agendaMail.text).not.toContain('丙事项');

  // Minutes: a direction for B only. It reaches B's workflow; A (no direction, overdue) is flagged.
  expect((await sys.call('POST', `/api/v1/meetings/${fromSchedule}/minutes`, {
    token: officer.token, body: { chair: '县委书记', attendees: ['县委书记'], directions: [{ petitionId: c, direction: 'continue', note: 'x' }] },
  })).status).toBe(409); // C is not on the agenda
  const others = meeting.agenda.items.filter((i: any) => ![a, b].includes(i.id)).map((i: any) => ({ petitionId: i.id, direction: 'continue', note: '继续' }));
  const minutes = await sys.call('POST', `/api/v1/meetings/${fromSchedule}/minutes`, {
    token: officer.token,
    body: { chair: '县委书记', attendees: ['县委书记', '县委副书记', '政法委书记'], directions: [{ petitionId: b, direction: 'escalate', note: '请县住建局一周内拿出方案' }, ...others] },
  });
  expect({ status: minutes.status, error: minutes.body.error }).toEqual({ status: 200, error: undefined });
  expect(minutes.body.status).toBe('minutes_recorded');
  expect(minutes.body.flagged).toEqual(expect.arrayContaining([{ petitionId: a, reason: 'no_direction' }]));
  expect(minutes.body.flagged.some((f: any) => f.petitionId === b)).toBe(false);

  const bState = (await sys.call('GET', `/api/v1/petitions/${b}`, { token: officer.token })).body;
  expect(bState.lastDirection).toMatchObject({ meetingId: fromSchedule, direction: 'escalate', note: '请县住建局一周内拿出方案' });
  expect(bState.timeline.map((e: any) => e.action)).toContain('weekly_review');
  const aState = (await sys.call('GET', `/api/v1/petitions/${a}`, { token: officer.token })).body;
  expect(aState.lastDirection).toBeNull();
  const flagged = await sys.smtp.waitFor((m) => m.to.includes('group1@meeting.test.cn') && m.subject.includes('需关注'));
  expect(flagged.text).toContain(a);
  expect(flagged.text).toContain('会议未作出指示');
  await sys.smtp.waitFor((m) => m.to.includes('group2@meeting.test.cn') && m.subject.includes('提级督办') && m.subject.includes(b));

  // The meeting's record: date, chair, attendees, agenda, directions; it can be listed.
  const record = await agendaOf(fromSchedule);
  expect(record).toMatchObject({ status: 'minutes_recorded', chair: '县委书记', attendees: ['县委书记', '县委副书记', '政法委书记'] });
  expect(record.directions[0]).toMatchObject({ petitionId: b, direction: 'escalate' });
  expect(record.heldOn).toMatch(/\+08:00$/);
  const list = await sys.call('GET', '/api/v1/meetings', { token: officer.token });
  expect(list.body.items.map((m: any) => m.id)).toContain(fromSchedule);
  await replayCase(sys, fromSchedule, 'meeting-v2');
  // Its notices went out through the worker's outbox relay: the meeting scheduled no delivery activity.
  await sys.client.workflow.getHandle(fromSchedule).result();
  const history = await sys.client.workflow.getHandle(fromSchedule).fetchHistory();
  const activities = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
  expect(activities).toContain('enqueueNotice');
  expect(activities.filter((name) => name === 'deliverNotice' || name === 'giveUpNotice')).toEqual([]);
});
