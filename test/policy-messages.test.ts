import { loadTemplates } from '../activities/templates';
import { extendPeriod } from '../domain/calendar';
import { durationText } from '../domain/duration-text';
import { applyMediationAction, checkMediationAction, CHANNEL_NAMES, LEVEL_NAMES, openMediation, ROUTE_NAMES, type MediationCase } from '../domain/mediation';
import {
  applyPetitionAction,
  checkPetitionAction,
  extensionEnds,
  PetitionRefused,
  registerPetition,
  REPLY_DECISIONS,
  STATUS_NAMES,
  type Petition,
  type PetitionAction,
} from '../domain/petition';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { DAY_MS, HOUR_MS } from '../domain/time';

/**
 * Issue 8: every message takes its numbers from the policy (a non-default policy changes them), and a requested
 * extension is compared with the policy's period as a duration (by the deadline each produces), whatever its unit.
 */
const T0 = Date.parse('2026-11-02T09:00:00+08:00'); // a Monday
const render = loadTemplates();
const withPolicy = (edit: (p: Policy) => void): Policy => {
  const p: Policy = JSON.parse(JSON.stringify(DEFAULT_POLICY));
  p.version = 'test-messages';
  edit(p);
  return p;
};
const refusal = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

test('durationText writes a policy period in Chinese, with its unit', () => {
  expect(durationText({ value: 30, unit: 'calendarDays' })).toBe('30日');
  expect(durationText({ value: 30, unit: 'workingDays' })).toBe('30个工作日');
  expect(durationText({ value: 10, unit: 'seconds' })).toBe('10秒');
  expect(durationText({ value: 5, unit: 'minutes' })).toBe('5分钟');
  expect(durationText({ value: 2, unit: 'hours' })).toBe('2小时');
});

// ---------------------------------------------------------------------------------------------------------------
// Mediation: the judicial-confirmation window

const vm = { id: 'vm', name: '李调解', role: 'mediator' as const, area: '肃宁县/梁家村镇/东村', level: 'village' as const };
function agreedCase(policy: Policy): { c: MediationCase; notices: { template: string }[] } {
  const o = openMediation({
    caseId: 'MED-0000000000CC', category: 'neighbourhood', summary: '排水沟纠纷', area: vm.area, channel: 'grid',
    parties: [{ name: '张三', role: 'applicant', email: 'z@example.cn' }, { name: '李四', role: 'respondent' }],
    reportedBy: { id: 'g', name: '网格员', role: 'grid_worker' }, reportedAt: T0, policy,
  }).case;
  const accepted = applyMediationAction(o, { type: 'accept', actor: vm }, T0 + HOUR_MS, policy).next;
  const r = applyMediationAction(accepted, { type: 'recordAgreement', actor: vm, agreement: { form: 'oral', terms: '道歉', parties: ['张三', '李四'] } }, T0 + 2 * HOUR_MS, policy);
  return { c: r.next, notices: r.notices };
}
const mediationData = (c: MediationCase) => {
  const event = c.timeline[c.timeline.length - 1];
  return {
    case: c, event, levelName: LEVEL_NAMES[c.level], fromLevelName: event.from ? LEVEL_NAMES[event.from.level] : null,
    channelName: CHANNEL_NAMES[c.channel], routeName: c.outcome?.kind === 'failed' ? ROUTE_NAMES[c.outcome.route] : null,
    recipient: { name: '张三' },
  };
};
const late = (c: MediationCase) => Date.parse(c.deadlines.judicialConfirmationBy!) + 1;
const apply = { type: 'judicialConfirmation' as const, actor: vm, status: 'applied' as const };

test('the judicial-confirmation refusal and the outcome notice name the window of the policy, not "30日"', () => {
  const def = agreedCase(DEFAULT_POLICY).c;
  expect(refusal(() => checkMediationAction(def, apply, late(def), DEFAULT_POLICY))).toContain('协议生效后30日');
  expect(render('mediation/outcome', mediationData(def)).text).toContain('生效之日起30日内');

  const p = withPolicy((x) => {
    x.mediation.judicialConfirmationWindow = { value: { value: 15, unit: 'workingDays' }, source: 'test' };
  });
  const c = agreedCase(p).c;
  const message = refusal(() => checkMediationAction(c, apply, late(c), p));
  expect(message).toContain('协议生效后15个工作日');
  expect(message).not.toContain('30日');
  const { text } = render('mediation/outcome', mediationData(c));
  expect(text).toContain('生效之日起15个工作日内');
  expect(text).not.toContain('三十日');

  const s = withPolicy((x) => {
    x.mediation.judicialConfirmationWindow = { value: { value: 10, unit: 'seconds' }, source: 'test' };
  });
  const cs = agreedCase(s).c;
  expect(refusal(() => checkMediationAction(cs, apply, late(cs), s))).toContain('协议生效后10秒');
});

// ---------------------------------------------------------------------------------------------------------------
// Petitions: the objection window, the review windows, the extension

const officer = { id: 'po', name: '信访干部', role: 'petition_officer' as const };
const unit = { name: '县自然资源局', headName: '王局长' };
function petitionAt(policy: Policy, until: 'assigned' | 'accepted'): Petition {
  let p = registerPetition({
    petitionId: 'PET-0000000000CC', petitioner: { name: '周某', email: 'zhou@example.cn' }, subject: '补偿款', content: '……',
    channel: 'visit', area: '肃宁县/梁家村镇', registeredBy: officer, registeredAt: T0, policy,
  }).petition;
  p = applyPetitionAction(p, { type: 'assign', actor: officer, unit }, T0 + HOUR_MS, policy).next;
  if (until === 'accepted') p = applyPetitionAction(p, { type: 'accept', actor: officer, notice: '受理' }, T0 + 2 * HOUR_MS, policy).next;
  return p;
}
const petitionData = (p: Petition) => {
  const event = p.timeline[p.timeline.length - 1];
  return {
    petition: p, event, statusName: STATUS_NAMES[p.status], deadlineName: null,
    decisionName: p.reply ? REPLY_DECISIONS[p.reply.decision as keyof typeof REPLY_DECISIONS] : null, directionName: null,
    recipient: { name: '周某' },
  };
};

test('the objection refusal names the objection window of the policy', () => {
  const def = petitionAt(DEFAULT_POLICY, 'assigned');
  const object: PetitionAction = { type: 'object', actor: officer, reasons: '不属本单位职权' };
  const after = (p: Petition) => Date.parse(p.deadlines.objectionBy!) + 1;
  expect(refusal(() => checkPetitionAction(def, object, after(def), DEFAULT_POLICY))).toContain('交办后5个工作日内');
  const p = withPolicy((x) => {
    x.petition!.objectionLimit = { value: { value: 3, unit: 'calendarDays' }, source: 'test' };
  });
  const q = petitionAt(p, 'assigned');
  const message = refusal(() => checkPetitionAction(q, object, after(q), p));
  expect(message).toContain('交办后3日内');
  expect(message).not.toContain('5个工作日');
});

test('the reply and the review answer give the review windows of the policy', () => {
  const p = withPolicy((x) => {
    x.petition!.reviewWindow = { value: { value: 20, unit: 'workingDays' }, source: 'test' };
    x.petition!.reReviewWindow = { value: { value: 45, unit: 'calendarDays' }, source: 'test' };
  });
  let q = petitionAt(p, 'accepted');
  q = applyPetitionAction(q, { type: 'reply', actor: officer, decision: 'supported', opinion: '予以发放' }, T0 + DAY_MS, p).next;
  expect(render('petition/reply', petitionData(q)).text).toContain('自收到之日起20个工作日内');
  expect(render('petition/reply-document', petitionData(q)).text).toContain('之日起20个工作日内');
  q = applyPetitionAction(q, { type: 'requestReview', actor: officer, reason: '不服' }, T0 + 2 * DAY_MS, p).next;
  q = applyPetitionAction(q, { type: 'answerReview', actor: officer, opinion: '维持' }, T0 + 3 * DAY_MS, p).next;
  const { text } = render('petition/review-answer', petitionData(q));
  expect(text).toContain('自收到之日起45日内');
  expect(text).not.toContain('三十日');
});

test('an extension is compared with maxExtension as a duration: a policy in seconds refuses a 31-day extension', () => {
  const s = withPolicy((x) => {
    x.petition!.maxExtension = { value: { value: 60, unit: 'seconds' }, source: 'test' };
  });
  const p = petitionAt(s, 'accepted');
  const extend = (days: number): PetitionAction => ({ type: 'extend', actor: officer, days, reason: '需现场测量', approvedBy: unit.headName });
  const message = refusal(() => checkPetitionAction(p, extend(31), T0 + DAY_MS, s));
  expect(message).toContain('延长期限不得超过60秒');
  expect(() => checkPetitionAction(p, extend(1), T0 + DAY_MS, s)).toThrow(PetitionRefused);
});

test('maxExtension in working days: the longest calendar-day extension that ends by the working-day limit passes, one more day is refused', () => {
  const w = withPolicy((x) => {
    x.petition!.maxExtension = { value: { value: 20, unit: 'workingDays' }, source: 'test' };
  });
  const p = petitionAt(w, 'accepted');
  const start = Date.parse(p.deadlines.handleBy!);
  const limit = extendPeriod(start, { value: 20, unit: 'workingDays' }, w.calendar.value);
  // The most calendar days whose end does not pass the end of 20 working days from the same start.
  let most = 0;
  while (extendPeriod(start, { value: most + 1, unit: 'calendarDays' }, w.calendar.value) <= limit) most += 1;
  expect(most).toBeGreaterThan(20); // 20 working days are more than 20 calendar days: the bare-number check refused these
  const extend = (days: number): PetitionAction => ({ type: 'extend', actor: officer, days, reason: '需现场测量', approvedBy: unit.headName });
  expect(() => checkPetitionAction(p, extend(most), T0 + DAY_MS, w)).not.toThrow();
  expect(extensionEnds(p, most, w)).toEqual({ requested: extendPeriod(start, { value: most, unit: 'calendarDays' }, w.calendar.value), limit });
  expect(refusal(() => checkPetitionAction(p, extend(most + 1), T0 + DAY_MS, w))).toContain('延长期限不得超过20个工作日');
  // Applied, the new deadline is the requested end.
  const extended = applyPetitionAction(p, extend(most), T0 + DAY_MS, w).next;
  expect(Date.parse(extended.deadlines.handleBy!)).toBe(extensionEnds(p, most, w).requested);
});

test('at the default policy the limit stays 30 days: 30 passes, 31 is refused', () => {
  const p = petitionAt(DEFAULT_POLICY, 'accepted');
  const extend = (days: number): PetitionAction => ({ type: 'extend', actor: officer, days, reason: '需现场测量', approvedBy: unit.headName });
  expect(() => checkPetitionAction(p, extend(30), T0 + DAY_MS, DEFAULT_POLICY)).not.toThrow();
  expect(refusal(() => checkPetitionAction(p, extend(31), T0 + DAY_MS, DEFAULT_POLICY))).toContain('延长期限不得超过30日');
});
