import { createLogger } from '../platform/logger';
import { ensureMeetingSchedule, legacyMeetingScheduleId, meetingScheduleId, meetingSettings, ScheduleNotFoundError } from '../platform/schedules';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * The weekly dispatch meeting is a county's: one schedule per county (created with its first petition), an agenda of
 * that county's petitions only, records and minutes for members whose area contains the county, and no direction for
 * a petition of another county.
 */
let sys: TestSystem;
const A = uniqueVillage('甲会');
const B = uniqueVillage('乙会');
type U = Awaited<ReturnType<TestSystem['user']>>;
let officerA: U, officerB: U, townshipA: U, supervisorA: U;

beforeAll(async () => {
  sys = await startTestSystem();
  officerA = await sys.user('petition_officer', A.county, { name: '甲县信访干部' });
  officerB = await sys.user('petition_officer', B.county, { name: '乙县信访干部' });
  townshipA = await sys.user('petition_officer', A.township, { name: '甲县镇信访干部' });
  supervisorA = await sys.user('supervisor', A.county, { name: '甲县督导' });
});
afterAll(async () => {
  await sys?.stop();
});

const register = async (officer: U, area: string, subject: string) => {
  const r = await sys.call('POST', '/api/v1/petitions', {
    token: officer.token,
    body: { petitioner: { name: `信访人${subject}` }, subject, content: '内容', channel: 'letter', area },
  });
  expect(r.status).toBe(201);
  return r.body.id as string;
};
const agendaOf = async (id: string, token: string) => {
  for (let i = 0; i < 100; i++) {
    const r = await sys.call('GET', `/api/v1/meetings/${encodeURIComponent(id)}`, { token });
    if (r.status === 200) return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no agenda for ${id}`);
};

test('one schedule per county, each starting meetings about its own county', async () => {
  const pa = await register(officerA, A.township, '甲县事项');
  const pb = await register(officerB, B.township, '乙县事项');
  const sa = await sys.call('GET', '/api/v1/meetings/schedule', { token: officerA.token });
  const sb = await sys.call('GET', '/api/v1/meetings/schedule', { token: officerB.token });
  expect([sa.status, sb.status]).toEqual([200, 200]);
  expect(sa.body.scheduleId.endsWith(`:${A.county}`)).toBe(true);
  expect(sb.body.scheduleId.endsWith(`:${B.county}`)).toBe(true);
  expect((await sys.call('GET', `/api/v1/meetings/schedule?county=${encodeURIComponent(B.county)}`, { token: officerA.token })).status).toBe(403);
  // A county with no petition has no meeting to hold.
  const none = await sys.call('GET', `/api/v1/meetings/schedule?county=${encodeURIComponent(`无信访县${A.county}`)}`, { token: sys.adminToken });
  expect(none.status).toBe(404);

  await sys.client.schedule.getHandle(sa.body.scheduleId).trigger();
  let recent: any[] = [];
  for (let i = 0; i < 100 && recent.length === 0; i++) {
    recent = (await sys.call('GET', '/api/v1/meetings/schedule', { token: officerA.token })).body.recentMeetings;
    if (recent.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  const meeting = await agendaOf(recent[0].meetingId, officerA.token);
  expect(meeting.county).toBe(A.county);
  const ids = meeting.agenda.items.map((i: any) => i.id);
  expect(ids).toContain(pa);
  expect(ids).not.toContain(pb);
  expect(meeting.agenda.items.every((i: any) => i.area.startsWith(`${A.county}/`))).toBe(true);
});

test("every meeting route checks the county; a direction for another county's petition is refused", async () => {
  const pa = await register(officerA, A.township, '甲县二号');
  const pb = await register(officerB, B.township, '乙县二号');
  const called = await sys.call('POST', '/api/v1/meetings', { token: officerA.token, body: {} });
  expect(called.status).toBe(202);
  const id = called.body.id;
  expect(id).toContain(A.county);
  const meeting = await agendaOf(id, officerA.token);
  expect(meeting.agenda.items.map((i: any) => i.id)).not.toContain(pb);

  // Reading: the county's members (a supervisor too), not another county's, not a township's.
  expect((await sys.call('GET', `/api/v1/meetings/${encodeURIComponent(id)}`, { token: supervisorA.token })).status).toBe(200);
  // Another county's meeting answers as an unknown one does.
  for (const token of [officerB.token, townshipA.token]) {
    const other = await sys.call('GET', `/api/v1/meetings/${encodeURIComponent(id)}`, { token });
    const unknown = await sys.call('GET', `/api/v1/meetings/${encodeURIComponent(`${id}0`)}`, { token });
    expect([other.status, unknown.status]).toEqual([404, 404]);
    expect(other.body.error.message.replace(id, '')).toBe(unknown.body.error.message.replace(`${id}0`, ''));
  }
  expect((await sys.call('GET', '/api/v1/meetings', { token: officerB.token })).body.items.map((m: any) => m.id)).not.toContain(id);
  expect((await sys.call('GET', '/api/v1/meetings', { token: officerA.token })).body.items.map((m: any) => m.id)).toContain(id);
  expect((await sys.call('POST', '/api/v1/meetings', { token: officerB.token, body: { county: A.county } })).status).toBe(403);

  const minutes = (directions: object[]) => ({ chair: '县委书记', attendees: ['县委书记'], directions });
  // Another county's officer records nothing here; this county's officer cannot direct another county's petition.
  const foreign = await sys.call('POST', `/api/v1/meetings/${encodeURIComponent(id)}/minutes`, {
    token: officerB.token, body: minutes([{ petitionId: pb, direction: 'escalate', note: '越权' }]),
  });
  expect(foreign.status).toBe(404);
  const outside = await sys.call('POST', `/api/v1/meetings/${encodeURIComponent(id)}/minutes`, {
    token: officerA.token, body: minutes([{ petitionId: pb, direction: 'escalate', note: '越界' }]),
  });
  expect(outside.status).toBe(403);
  expect(outside.body.error.message).toContain(pb);
  const pbState = (await sys.call('GET', `/api/v1/petitions/${pb}`, { token: officerB.token })).body;
  expect(pbState.timeline.map((e: any) => e.action)).not.toContain('weekly_review');

  const ok = await sys.call('POST', `/api/v1/meetings/${encodeURIComponent(id)}/minutes`, {
    token: officerA.token, body: minutes([{ petitionId: pa, direction: 'continue', note: '继续办理' }]),
  });
  expect(ok.status).toBe(200);
  const paState = (await sys.call('GET', `/api/v1/petitions/${pa}`, { token: officerA.token })).body;
  expect(paState.lastDirection).toMatchObject({ meetingId: id, direction: 'continue' });
});

test('meetings called in the same second: a clean answer, never a server error', async () => {
  const [x, y] = await Promise.all([1, 2].map(() => sys.call('POST', '/api/v1/meetings', { token: officerA.token, body: {} })));
  expect([x.status, y.status].every((s) => s === 202 || s === 409)).toBe(true);
  if (x.status === 202 && y.status === 202) expect(x.body.id).not.toBe(y.body.id);
  const refused = [x, y].find((r) => r.status === 409);
  if (refused) expect(refused.body.error.message).toContain(A.county);
  // The administrator names the county it calls a meeting for.
  expect((await sys.call('POST', '/api/v1/meetings', { token: sys.adminToken, body: {} })).status).toBe(400);
});

test('start-up replaces the county-blind schedule of earlier versions with the schedules of the counties with open petitions', async () => {
  const C = uniqueVillage('丙会');
  const officerC = await sys.user('petition_officer', C.county);
  await register(officerC, C.township, '丙县事项');
  const queue = sys.config.TEMPORAL_TASK_QUEUE;
  // As after an upgrade: the county's petition predates its schedule, and the old schedule is still there.
  await sys.client.schedule.getHandle(meetingScheduleId(queue, C.county)).delete();
  await sys.client.schedule.create({
    scheduleId: legacyMeetingScheduleId(queue),
    spec: { calendars: [{ dayOfWeek: 'MONDAY', hour: 9 }] },
    action: { type: 'startWorkflow', workflowType: 'meetingWorkflow', workflowId: `MTG-${queue}`, taskQueue: queue, args: [{ ...meetingSettings(sys.policy, C.county), county: undefined }] },
    state: { paused: true },
  });
  const ids = await ensureMeetingSchedule(sys.client, queue, sys.policy, createLogger('silent'), sys.db);
  expect(ids).toEqual(expect.arrayContaining([meetingScheduleId(queue, A.county), meetingScheduleId(queue, C.county)]));
  await expect(sys.client.schedule.getHandle(legacyMeetingScheduleId(queue)).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  const d = await sys.client.schedule.getHandle(meetingScheduleId(queue, C.county)).describe();
  expect(d.action.args).toEqual([expect.objectContaining({ county: C.county })]);
});
