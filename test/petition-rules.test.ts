import {
  applyPetitionAction,
  checkPetitionAction,
  nextPetitionSystemAction,
  PetitionRefused,
  registerPetition,
  type Petition,
  type PetitionAction,
} from '../domain/petition';
import { DAY_MS, HOUR_MS, toShanghaiIso } from '../domain/time';
import { loadPolicy } from '../platform/policy';

/** The statutory timeline of a petition, pure, at the default policy (信访工作条例 2022) and the 2026 calendar. */
const P = loadPolicy();
const T0 = Date.parse('2026-11-02T09:00:00+08:00'); // Monday
const at = (iso: string) => Date.parse(iso);
const officer = { id: 'po', name: '信访干部', role: 'petition_officer' as const };
const fresh = (registeredAt = T0) =>
  registerPetition({
    petitionId: 'PET-00000000000A', petitioner: { name: '周某', email: 'zhou@example.cn' }, subject: '征地补偿款未发放',
    content: '……', channel: 'visit', area: '肃宁县/梁家村镇', registeredBy: officer, registeredAt, policy: P,
  }).petition;
const step = (p: Petition, a: PetitionAction, t: number) => applyPetitionAction(p, a, t, P).next;
const refusal = (p: Petition, a: PetitionAction, t: number) => {
  try {
    checkPetitionAction(p, a, t, P);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(PetitionRefused);
    return (err as Error).message;
  }
};
const assign = { type: 'assign' as const, actor: officer, unit: { name: '县自然资源局', headName: '王局长' } };

test('the statutory numbers, once, in the policy', () => {
  const c = P.petition!;
  expect([c.assignLimit, c.acceptanceNoticeLimit, c.handlingLimit, c.maxExtension, c.reviewWindow, c.reviewAnswerLimit, c.reReviewWindow, c.reReviewAnswerLimit].map((s) => s.value))
    .toEqual([15, 15, 60, 30, 30, 30, 30, 30].map((value) => ({ value, unit: 'calendarDays' })));
  expect(c.objectionLimit.value).toEqual({ value: 5, unit: 'workingDays' });
  expect(c.leadingGroup.value).toHaveLength(5);
});

test('15 + 15 + 60 (+30) days: each deadline from the step before, and the leading group alerted when one passes', () => {
  const registered = at('2026-03-02T09:00:00+08:00'); // Monday
  let p = fresh(registered);
  // The registration day is not counted: the 15th day is Tuesday 17 March; the limit ends when it ends.
  expect(p.deadlines.assignBy).toBe('2026-03-18T00:00:00.000+08:00');
  const warn = nextPetitionSystemAction(p, P)!;
  expect(warn.action).toMatchObject({ type: 'warn', deadline: 'assignBy' });
  expect(warn.at).toBe(registered + 0.75 * (15 * 24 + 15) * HOUR_MS); // 75 % of the 375 hours to that midnight
  const assigned = at('2026-03-17T08:00:00+08:00');
  p = step(p, assign, assigned);
  expect(p.deadlines.acceptanceNoticeBy).toBe('2026-04-02T00:00:00.000+08:00'); // 15th day: Wednesday 1 April
  // 5 working days from Tuesday 17 Mar 08:00: Wed 18, Thu 19, Fri 20, Mon 23, Tue 24 → ends when 24 March ends.
  expect(p.deadlines.objectionBy).toBe('2026-03-25T00:00:00.000+08:00');
  const accepted = at('2026-04-01T08:00:00+08:00');
  p = step(p, { type: 'accept', actor: officer, notice: '依法受理' }, accepted);
  // The 60th day is Sunday 31 May: the limit runs to the end of Monday 1 June.
  expect(p.deadlines.handleBy).toBe('2026-06-02T00:00:00.000+08:00');
  const extendedAt = accepted + 50 * DAY_MS;
  const ext = step(p, { type: 'extend', actor: officer, days: 30, reason: '需现场测量', approvedBy: '王局长' }, extendedAt);
  // 30 more days counted from 1 June, the last day of the limit it extends: Wednesday 1 July.
  expect(ext.deadlines.handleBy).toBe('2026-07-02T00:00:00.000+08:00');
  // Left alone, the handling limit passes: the leading group is alerted, the petition is flagged overdue.
  let q = ext;
  const log: string[] = [];
  for (let due = nextPetitionSystemAction(q, P); due; due = nextPetitionSystemAction(q, P)) {
    const r = applyPetitionAction(q, due.action, due.at, P);
    log.push(`${toShanghaiIso(due.at)} ${r.event.action} ${r.notices.map((n) => n.template).join(',')}`);
    q = r.next;
  }
  // The warning comes at 75 % of the time from the extension to the new limit (1000 hours); the alert goes to the
  // leading group when the limit ends.
  expect(extendedAt + 750 * HOUR_MS).toBe(at('2026-06-21T14:00:00+08:00'));
  expect(log).toEqual([
    '2026-06-21T14:00:00.000+08:00 deadline_warning petition/deadline-warning',
    '2026-07-02T00:00:00.000+08:00 deadline_passed petition/overdue',
  ]);
  expect(q.overdue).toBe(true);
});

test('one extension of at most 30 days, approved by the unit head', () => {
  let p = step(step(fresh(), assign, T0), { type: 'accept', actor: officer, notice: '受理' }, T0 + DAY_MS);
  const ext = (days: number, approvedBy = '王局长') => ({ type: 'extend' as const, actor: officer, days, reason: '复杂', approvedBy });
  expect(refusal(p, ext(31), T0 + 2 * DAY_MS)).toMatch(/不得超过30日/);
  expect(refusal(p, ext(30, '李科长'), T0 + 2 * DAY_MS)).toMatch(/负责人/);
  expect(refusal(p, ext(30), T0 + 2 * DAY_MS)).toBeNull();
  p = step(p, ext(10), T0 + 2 * DAY_MS);
  expect(refusal(p, ext(10), T0 + 3 * DAY_MS)).toMatch(/只能延长一次/);
});

test('an objection within 5 working days returns the petition for re-assignment; later it is refused', () => {
  const p = step(fresh(), assign, T0); // Monday 2 Nov: 5 working days end when Monday 9 Nov ends
  const object = { type: 'object' as const, actor: officer, reasons: '不属本单位职责' };
  expect(refusal(p, object, Date.parse('2026-11-09T23:59:00+08:00'))).toBeNull();
  expect(refusal(p, object, Date.parse('2026-11-10T00:00:01+08:00'))).toMatch(/5个工作日/);
  const back = step(p, object, T0 + DAY_MS);
  expect(back).toMatchObject({ status: 'registered', unit: null });
  expect(back.deadlines.assignBy).toBe('2026-11-19T00:00:00.000+08:00'); // from Tuesday 3 November: the 15th day is the 18th
});

test('review and re-review windows: the 30th day counts to its end, moved past rest days; then the petition closes', () => {
  const start = at('2026-06-15T09:00:00+08:00');
  const replied = at('2026-07-03T15:00:00+08:00'); // a Friday afternoon
  let p = step(step(step(fresh(start), assign, start), { type: 'accept', actor: officer, notice: '受理' }, start), { type: 'reply', actor: officer, decision: 'not_supported', opinion: '补偿已按标准发放' }, replied);
  // The 30th day is Sunday 2 August: the petitioner may still ask on Monday 3 August, until midnight.
  expect(p.deadlines.reviewRequestBy).toBe('2026-08-04T00:00:00.000+08:00');
  const review = { type: 'requestReview' as const, actor: officer, reason: '不服' };
  expect(refusal(p, review, at('2026-08-02T15:00:00+08:00'))).toBeNull(); // Sunday afternoon: refused before periods counted by law
  expect(refusal(p, review, at('2026-08-03T23:59:00+08:00'))).toBeNull();
  expect(refusal(p, review, at('2026-08-04T00:00:00+08:00') + 1)).toMatch(/复查申请期限已于 .* 届满/);
  // Nobody asks: the window closes and so does the petition; a late request then names the window.
  const due = nextPetitionSystemAction(p, P)!;
  expect(due).toEqual({ at: at('2026-08-04T00:00:00+08:00'), action: expect.objectContaining({ type: 'deadlinePassed', deadline: 'reviewRequestBy' }) });
  const closed = step(p, due.action, due.at);
  expect(closed).toMatchObject({ status: 'closed', finished: true, closedReason: 'review_window_passed' });
  expect(refusal(closed, review, at('2026-08-05T10:00:00+08:00'))).toMatch(/复查申请期限已届满/);

  p = step(p, review, at('2026-08-03T10:00:00+08:00'));
  expect(p.deadlines.reviewAnswerBy).toBe('2026-09-03T00:00:00.000+08:00'); // 30th day: Wednesday 2 September
  p = step(p, { type: 'answerReview', actor: officer, opinion: '维持' }, at('2026-08-20T10:00:00+08:00'));
  // The 30th day after Thursday 20 August is Saturday 19 September, a rest day; Sunday 20 September is a 调休 working day.
  expect(p.deadlines.reReviewRequestBy).toBe('2026-09-21T00:00:00.000+08:00');
  const reReview = { type: 'requestReReview' as const, actor: officer, reason: '仍不服' };
  expect(refusal(p, reReview, at('2026-09-21T00:00:00+08:00') + 1)).toMatch(/复核申请期限/);
  p = step(p, reReview, at('2026-09-20T23:00:00+08:00'));
  expect(p.deadlines.reReviewAnswerBy).toBe('2026-10-21T00:00:00.000+08:00'); // 30th day: Tuesday 20 October
});

test('hearing time does not count in re-review: the clock pauses and resumes', () => {
  let p = step(step(step(fresh(), assign, T0), { type: 'accept', actor: officer, notice: '受理' }, T0), { type: 'reply', actor: officer, decision: 'supported', opinion: '…' }, T0);
  p = step(step(step(p, { type: 'requestReview', actor: officer, reason: 'x' }, T0), { type: 'answerReview', actor: officer, opinion: 'y' }, T0), { type: 'requestReReview', actor: officer, reason: 'z' }, T0);
  expect(p.deadlines.reReviewAnswerBy).toBe('2026-12-03T00:00:00.000+08:00'); // 30th day: Wednesday 2 December
  p = step(p, { type: 'startHearing', actor: officer }, T0 + 10 * DAY_MS);
  expect(p.deadlines.reReviewAnswerBy).toBeUndefined();
  expect(nextPetitionSystemAction(p, P)).toBeNull(); // nothing runs while the hearing lasts
  expect(refusal(p, { type: 'answerReReview', actor: officer, opinion: 'x' }, T0 + 11 * DAY_MS)).toMatch(/听证结束后/);
  p = step(p, { type: 'endHearing', actor: officer }, T0 + 22 * DAY_MS);
  expect(p.deadlines.reReviewAnswerBy).toBe(toShanghaiIso(at('2026-12-03T00:00:00+08:00') + 12 * DAY_MS)); // the 12 days of hearing added
  p = step(p, { type: 'answerReReview', actor: officer, opinion: '维持复查意见' }, T0 + 30 * DAY_MS);
  expect(p).toMatchObject({ status: 'closed', finished: true, reReviewCompleted: true });
  expect(refusal(p, { type: 'assignLeader', actor: officer, leader: officer }, T0 + 31 * DAY_MS)).toMatch(/已办结/);
});

test('states refuse what they do not allow', () => {
  const p = fresh();
  expect(refusal(p, { type: 'accept', actor: officer, notice: 'x' }, T0)).toMatch(/已登记待交办/);
  expect(refusal(p, { type: 'reply', actor: officer, decision: 'supported', opinion: 'x' }, T0)).toMatch(/needs accepted/);
  expect(refusal(p, { type: 'startHearing', actor: officer }, T0)).toMatch(/needs under_re_review/);
  expect(refusal(p, { type: 'assignLeader', actor: officer, leader: { id: 'l', name: '包案领导', role: 'leader' } }, T0)).toBeNull();
});
