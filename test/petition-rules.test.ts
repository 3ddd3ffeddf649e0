import {
  applyPetitionAction,
  checkPetitionAction,
  nextPetitionSystemAction,
  PetitionRefused,
  registerPetition,
  type Petition,
  type PetitionAction,
} from '../domain/petition';
import { DEFAULT_POLICY } from '../domain/policy';
import { DAY_MS, HOUR_MS, toShanghaiIso } from '../domain/time';

/** The statutory timeline of a petition, pure, at the default policy (信访工作条例 2022). */
const P = DEFAULT_POLICY;
const T0 = Date.parse('2026-11-02T09:00:00+08:00'); // Monday
const officer = { id: 'po', name: '信访干部', role: 'petition_officer' as const };
const fresh = () =>
  registerPetition({
    petitionId: 'PET-00000000000A', petitioner: { name: '周某', email: 'zhou@example.cn' }, subject: '征地补偿款未发放',
    content: '……', channel: 'visit', area: '肃宁县/梁家村镇', registeredBy: officer, registeredAt: T0, policy: P,
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
  let p = fresh();
  expect(p.deadlines.assignBy).toBe(toShanghaiIso(T0 + 15 * DAY_MS));
  const warn = nextPetitionSystemAction(p, P)!;
  expect(warn.action).toMatchObject({ type: 'warn', deadline: 'assignBy' });
  expect(warn.at).toBe(T0 + 0.75 * 15 * DAY_MS);
  p = step(p, assign, T0 + 15 * DAY_MS - HOUR_MS);
  const assigned = T0 + 15 * DAY_MS - HOUR_MS;
  expect(p.deadlines.acceptanceNoticeBy).toBe(toShanghaiIso(assigned + 15 * DAY_MS));
  // 5 working days from Tuesday 17 Nov 08:00: Wed 18, Thu 19, Fri 20, Mon 23, Tue 24 → ends when 24 November ends.
  expect(p.deadlines.objectionBy).toBe('2026-11-25T00:00:00.000+08:00');
  p = step(p, { type: 'accept', actor: officer, notice: '依法受理' }, assigned + 15 * DAY_MS);
  const accepted = assigned + 15 * DAY_MS;
  expect(p.deadlines.handleBy).toBe(toShanghaiIso(accepted + 60 * DAY_MS));
  const ext = step(p, { type: 'extend', actor: officer, days: 30, reason: '需现场测量', approvedBy: '王局长' }, accepted + 50 * DAY_MS);
  expect(ext.deadlines.handleBy).toBe(toShanghaiIso(accepted + 90 * DAY_MS));
  // Left alone, the handling limit passes: the leading group is alerted, the petition is flagged overdue.
  let q = ext;
  const log: string[] = [];
  for (let due = nextPetitionSystemAction(q, P); due; due = nextPetitionSystemAction(q, P)) {
    const r = applyPetitionAction(q, due.action, due.at, P);
    log.push(`${(due.at - accepted) / DAY_MS}d ${r.event.action} ${r.notices.map((n) => n.template).join(',')}`);
    q = r.next;
  }
  // The warning comes at 75 % of the time from the extension to the new limit; the alert goes to the leading group.
  expect(log).toEqual([`${50 + 0.75 * 40}d deadline_warning petition/deadline-warning`, '90d deadline_passed petition/overdue']);
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
  expect(back.deadlines.assignBy).toBe(toShanghaiIso(T0 + 16 * DAY_MS));
});

test('review and re-review windows: the 30th day counts, the 31st is refused; then the petition closes', () => {
  let p = step(step(step(fresh(), assign, T0), { type: 'accept', actor: officer, notice: '受理' }, T0), { type: 'reply', actor: officer, decision: 'not_supported', opinion: '补偿已按标准发放' }, T0 + 10 * DAY_MS);
  const replied = T0 + 10 * DAY_MS;
  const review = { type: 'requestReview' as const, actor: officer, reason: '不服' };
  expect(refusal(p, review, replied + 30 * DAY_MS)).toBeNull();
  expect(refusal(p, review, replied + 30 * DAY_MS + 1)).toMatch(/复查申请期限已于 .* 届满/);
  // Nobody asks: the window closes and so does the petition; a late request then names the window.
  const due = nextPetitionSystemAction(p, P)!;
  expect(due).toEqual({ at: replied + 30 * DAY_MS, action: expect.objectContaining({ type: 'deadlinePassed', deadline: 'reviewRequestBy' }) });
  const closed = step(p, due.action, due.at);
  expect(closed).toMatchObject({ status: 'closed', finished: true, closedReason: 'review_window_passed' });
  expect(refusal(closed, review, replied + 31 * DAY_MS)).toMatch(/复查申请期限已届满/);

  p = step(p, review, replied + 29 * DAY_MS);
  expect(p.deadlines.reviewAnswerBy).toBe(toShanghaiIso(replied + 59 * DAY_MS));
  p = step(p, { type: 'answerReview', actor: officer, opinion: '维持' }, replied + 40 * DAY_MS);
  const reReview = { type: 'requestReReview' as const, actor: officer, reason: '仍不服' };
  expect(refusal(p, reReview, replied + 70 * DAY_MS + 1)).toMatch(/复核申请期限/);
  p = step(p, reReview, replied + 70 * DAY_MS);
  expect(p.deadlines.reReviewAnswerBy).toBe(toShanghaiIso(replied + 100 * DAY_MS));
});

test('hearing time does not count in re-review: the clock pauses and resumes', () => {
  let p = step(step(step(fresh(), assign, T0), { type: 'accept', actor: officer, notice: '受理' }, T0), { type: 'reply', actor: officer, decision: 'supported', opinion: '…' }, T0);
  p = step(step(step(p, { type: 'requestReview', actor: officer, reason: 'x' }, T0), { type: 'answerReview', actor: officer, opinion: 'y' }, T0), { type: 'requestReReview', actor: officer, reason: 'z' }, T0);
  expect(p.deadlines.reReviewAnswerBy).toBe(toShanghaiIso(T0 + 30 * DAY_MS));
  p = step(p, { type: 'startHearing', actor: officer }, T0 + 10 * DAY_MS);
  expect(p.deadlines.reReviewAnswerBy).toBeUndefined();
  expect(nextPetitionSystemAction(p, P)).toBeNull(); // nothing runs while the hearing lasts
  expect(refusal(p, { type: 'answerReReview', actor: officer, opinion: 'x' }, T0 + 11 * DAY_MS)).toMatch(/听证结束后/);
  p = step(p, { type: 'endHearing', actor: officer }, T0 + 22 * DAY_MS);
  expect(p.deadlines.reReviewAnswerBy).toBe(toShanghaiIso(T0 + 42 * DAY_MS)); // 20 days were left
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
