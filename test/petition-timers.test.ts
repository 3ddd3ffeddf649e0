import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { checkPetitionAction, type Petition, type PetitionStaffAction } from '../domain/petition';
import { DAY_MS, HOUR_MS } from '../domain/time';
import { petitionAction, petitionState, petitionWorkflow } from '../workflows/petition';
import { endOfDayAfter, everyDayWorked, expectWithinASecond, sleepUntilNine, startTimeSkipping, type TimeSkippingWorld } from './time-skipping';

/** The statutory timeline of a petition at its real lengths, through the Java time-skipping test server. */
let world: TimeSkippingWorld;
let env: TimeSkippingWorld['env'];
let smtp: TimeSkippingWorld['smtp'];
let taskQueue: string;
const officer = { id: 'po', name: '信访干部', role: 'petition_officer' as const };

beforeAll(async () => {
  world = await startTimeSkipping('petition-timers');
  ({ env, smtp, taskQueue } = world);
});
afterAll(async () => {
  await world?.stop();
});

/** Every day worked (rest days are tested in test/petition-rules.test.ts and through HTTP); registered at 09:00. */
const policy = everyDayWorked();
async function register(): Promise<{ h: WorkflowHandle<typeof petitionWorkflow>; t0: number }> {
  const t0 = await sleepUntilNine(env);
  const petitionId = `PET-${randomBytes(6).toString('hex').toUpperCase()}`;
  const h = await env.client.workflow.start(petitionWorkflow, {
    taskQueue,
    workflowId: petitionId,
    args: [{
      petitionId, petitioner: { name: '周某', email: 'zhou@timers.test.cn' }, subject: '计时', content: '…', channel: 'letter',
      area: '肃宁县/计时镇', registeredBy: officer, registeredAt: t0, policy,
    }],
  });
  return { h, t0 };
}
type WithoutActor<T> = T extends unknown ? Omit<T, 'actor'> : never;
/** A staff step, then the petition after it (a compact petition's update answers with the transition only). */
const act = async (h: WorkflowHandle<typeof petitionWorkflow>, a: WithoutActor<PetitionStaffAction>): Promise<Petition> => {
  await h.executeUpdate(petitionAction, { args: [{ ...a, actor: officer } as PetitionStaffAction] });
  return h.query(petitionState);
};
const days = (p: Petition, t0: number) =>
  p.timeline.slice(1).map((e) => [Math.round(((Date.parse(e.at) - t0) / DAY_MS) * 1000) / 1000, e.action, (e.details?.deadline as string) ?? '']);

test('15 + 15 + 60 + 30 days: a warning before each office deadline, the leading group when one passes', async () => {
  const { h, t0 } = await register();
  await env.sleep(16 * DAY_MS);
  let p = await h.query(petitionState);
  // Registered at 09:00, that day not counted: the 15-day limit ends at 24:00 of the 15th day, 15 days 15 hours later.
  expect(days(p, t0)).toEqual([
    [Math.round(0.75 * 15.625 * 1000) / 1000, 'deadline_warning', 'assignBy'],
    [15.625, 'deadline_passed', 'assignBy'],
  ]);
  expect(p.overdue).toBe(true);
  await smtp.waitFor((m) => m.subject.includes(p.id) && m.subject.includes('逾期报告') && m.to.includes('deputy-secretary@county.example.cn'));

  const assignedAt = await env.currentTimeMs();
  await act(h, { type: 'assign', unit: { name: '县住建局', headName: '赵局长' } });
  await env.sleep(14 * DAY_MS);
  p = await act(h, { type: 'accept', notice: '受理' });
  expect(p.overdue).toBe(false);
  const acceptedAt = Date.parse(p.lastProgressAt);
  expect(acceptedAt - assignedAt).toBeGreaterThanOrEqual(14 * DAY_MS);
  expect(Date.parse(p.deadlines.handleBy!)).toBe(endOfDayAfter(acceptedAt, 60));
  await env.sleep(50 * DAY_MS);
  p = await act(h, { type: 'extend', days: 30, reason: '需鉴定', approvedBy: '赵局长' });
  const extendedAt = Date.parse(p.extension!.at);
  expect(Date.parse(p.deadlines.handleBy!)).toBe(endOfDayAfter(acceptedAt, 90)); // 30 days after the 60th
  await env.sleep(39 * DAY_MS); // day 89 after acceptance: warned, not passed
  p = await h.query(petitionState);
  expect(p.overdue).toBe(false);
  const warned = p.timeline.filter((e) => e.action === 'deadline_warning').pop()!;
  expect(warned.details).toMatchObject({ deadline: 'handleBy' });
  // 75 % of the time from the extension to the new limit.
  expectWithinASecond(Date.parse(warned.at), extendedAt + Math.floor(0.75 * (endOfDayAfter(acceptedAt, 90) - extendedAt)));
  await env.sleep(DAY_MS + HOUR_MS); // day 90, 10:00: its 24:00 has not come yet
  expect((await h.query(petitionState)).overdue).toBe(false);
  await env.sleep(DAY_MS); // past the 90th day's end
  p = await h.query(petitionState);
  expect(p.timeline[p.timeline.length - 1]).toMatchObject({ action: 'deadline_passed', details: { deadline: 'handleBy' } });
  expectWithinASecond(Date.parse(p.timeline[p.timeline.length - 1].at), endOfDayAfter(acceptedAt, 90));
  await h.terminate('test over');
});

test('30-day windows: review asked at 23:59 on day 30 is taken; re-review not asked in 30 days closes the petition', async () => {
  const { h } = await register();
  await act(h, { type: 'assign', unit: { name: '县住建局', headName: '赵局长' } });
  await act(h, { type: 'accept', notice: '受理' });
  let p = await act(h, { type: 'reply', decision: 'not_supported', opinion: '不予支持' });
  const repliedAt = Date.parse(p.reply!.at);
  await env.sleep(endOfDayAfter(repliedAt, 30) - 60_000 - (await env.currentTimeMs())); // 23:59 on the 30th day
  p = await act(h, { type: 'requestReview', reason: '不服' });
  expect(p.status).toBe('under_review');
  // Taken more than 30 × 24 hours after the reply: the whole 30th day counts.
  expect(Date.parse(p.review!.requestedAt) - repliedAt).toBeGreaterThan(30 * DAY_MS);
  p = await act(h, { type: 'answerReview', opinion: '维持' });
  const answeredAt = Date.parse(p.review!.answeredAt!);
  await env.sleep(30 * DAY_MS + HOUR_MS); // into the 31st day
  p = await h.query(petitionState);
  expect(p).toMatchObject({ status: 'closed', closedReason: 're_review_window_passed', finished: true });
  expectWithinASecond(Date.parse(p.timeline[p.timeline.length - 1].at), endOfDayAfter(answeredAt, 30));
  await h.result();
  const late = await act(h, { type: 'requestReReview', reason: '仍不服' }).catch((e) => e);
  expect(late).toBeInstanceOf(Error); // the workflow has ended: nothing more is taken
});

test('a review request on the 31st day is refused with the window named', async () => {
  const { h } = await register();
  await act(h, { type: 'assign', unit: { name: '县住建局', headName: '赵局长' } });
  await act(h, { type: 'accept', notice: '受理' });
  let p = await act(h, { type: 'reply', decision: 'supported', opinion: '支持' });
  await env.sleep(31 * DAY_MS + HOUR_MS); // into the 31st day
  p = await h.query(petitionState);
  expect(p).toMatchObject({ status: 'closed', closedReason: 'review_window_passed' });
  await h.result();
  // What the API answers (409) for a request now: the closed petition names its window.
  expect(() => checkPetitionAction(p, { type: 'requestReview', actor: officer, reason: '不服' }, Date.now(), policy)).toThrow(
    /复查申请期限已届满/,
  );
});

test('hearing time does not count: the re-review clock pauses for the hearing and resumes after it', async () => {
  const { h } = await register();
  for (const a of [
    { type: 'assign', unit: { name: '县住建局', headName: '赵局长' } },
    { type: 'accept', notice: '受理' },
    { type: 'reply', decision: 'supported', opinion: '支持' },
    { type: 'requestReview', reason: 'x' },
    { type: 'answerReview', opinion: 'y' },
    { type: 'requestReReview', reason: 'z' },
  ] as const) await act(h, a);
  const start = await env.currentTimeMs();
  await env.sleep(10 * DAY_MS);
  await act(h, { type: 'startHearing' });
  await env.sleep(40 * DAY_MS); // longer than the whole 30-day limit: nothing passes during the hearing
  let p = await h.query(petitionState);
  expect(p.overdue).toBe(false);
  expect(p.timeline.some((e) => e.action === 'deadline_passed')).toBe(false);
  p = await act(h, { type: 'endHearing' });
  const ended = Date.parse(p.timeline[p.timeline.length - 1].at);
  const limit = endOfDayAfter(start, 30) - start; // 30 days 15 hours from 09:00
  expectWithinASecond(Date.parse(p.deadlines.reReviewAnswerBy!) - ended, limit - 10 * DAY_MS);
  await env.sleep(21 * DAY_MS);
  p = await h.query(petitionState);
  const passed = p.timeline.find((e) => e.action === 'deadline_passed')!;
  expect(passed.details).toMatchObject({ deadline: 'reReviewAnswerBy' });
  // The limit = 10 days before the hearing + the rest after it; the 40 hearing days did not count.
  expectWithinASecond(Date.parse(passed.at) - start, limit + 40 * DAY_MS);
  await h.terminate('test over');
});
