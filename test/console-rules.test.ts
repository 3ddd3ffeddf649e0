import { actorRef } from '../domain/actors';
import { checkMediationAction, openMediation, applyMediationAction, type ActingStaff, type MediationCase, type StaffAction } from '../domain/mediation';
import { availableMediationActions } from '../domain/mediation-available';
import { DEFAULT_POLICY } from '../domain/policy';
import { DAY_MS, HOUR_MS } from '../domain/time';
import { chinese, timeLeft } from '../api/console/format';

/** The console's pure parts: which actions a member is offered (from the domain check), and time left in words. */
const T0 = Date.parse('2026-11-27T09:00:00+08:00');
const village = '肃宁县/梁家村镇/东村';
const vm: ActingStaff = { id: 'vm', name: '村调解员', role: 'mediator', area: village, level: 'village' };
const tm: ActingStaff = { id: 'tm', name: '乡调解员', role: 'mediator', area: '肃宁县/梁家村镇', level: 'township' };
const sup: ActingStaff = { id: 'sup', name: '督导', role: 'supervisor', area: '肃宁县' };
const grid: ActingStaff = { id: 'g', name: '网格员', role: 'grid_worker', area: village };

function opened(): MediationCase {
  return openMediation({
    caseId: 'MED-000000000001', category: 'neighbourhood', summary: '排水沟争执', area: village, channel: 'grid',
    parties: [{ name: '张三', role: 'applicant' }, { name: '李四', role: 'respondent' }], reportedBy: actorRef(grid), reportedAt: T0, policy: DEFAULT_POLICY,
  }).case;
}
const act = (c: MediationCase, a: StaffAction, at = T0 + HOUR_MS) => applyMediationAction(c, a, at, DEFAULT_POLICY).next;

test.each([
  ['awaiting acceptance, village mediator', () => opened(), vm, ['accept', 'assign', 'escalate', 'withdrawal', 'refusal']],
  ['awaiting acceptance, township mediator', () => opened(), tm, []],
  ['awaiting acceptance, supervisor', () => opened(), sup, ['urge']],
  ['awaiting acceptance, grid worker', () => opened(), grid, []],
  ['in mediation', () => act(opened(), { type: 'accept', actor: vm }), vm, ['assign', 'session', 'escalate', 'agreement', 'failure', 'withdrawal', 'refusal']],
  [
    'agreement recorded',
    () => act(act(opened(), { type: 'accept', actor: vm }), { type: 'recordAgreement', actor: vm, agreement: { form: 'written', terms: '平摊', parties: ['张三', '李四'] } }),
    vm,
    ['judicialApplied', 'followUp'],
  ],
] as const)('%s: the offered actions', (_name, make, actor, expected) => {
  expect(availableMediationActions(make(), actor, T0 + 2 * HOUR_MS, DEFAULT_POLICY)).toEqual(expected);
});

test('every offered action passes the domain check, and every action not offered is refused by it (same rule, one copy)', () => {
  const c = act(opened(), { type: 'accept', actor: vm });
  const offered = availableMediationActions(c, vm, T0 + 2 * HOUR_MS, DEFAULT_POLICY);
  expect(offered).not.toContain('accept');
  expect(() => checkMediationAction(c, { type: 'accept', actor: vm }, T0 + 2 * HOUR_MS, DEFAULT_POLICY)).toThrow('案件已受理');
  expect(offered).toContain('agreement');
  expect(() => checkMediationAction(c, { type: 'recordAgreement', actor: vm, agreement: { form: 'oral', terms: 'x', parties: ['张三', '李四'] } }, T0, DEFAULT_POLICY)).not.toThrow();
});

test('time left in words: days, hours, minutes; overdue counted the other way', () => {
  expect(timeLeft(T0 + 2 * DAY_MS + 5 * HOUR_MS, T0)).toEqual({ text: '剩余2天', overdue: false });
  expect(timeLeft(T0 + 5 * HOUR_MS + 59 * 60_000, T0)).toEqual({ text: '剩余5小时', overdue: false });
  expect(timeLeft(T0 + 30_000, T0)).toEqual({ text: '剩余1分钟', overdue: false });
  expect(timeLeft(T0 - 3 * DAY_MS - HOUR_MS, T0)).toEqual({ text: '已超期3天', overdue: true });
  expect(timeLeft(new Date(T0 - 90 * 60_000).toISOString(), T0)).toEqual({ text: '已超期1小时', overdue: true });
});

test('refusals are shown by their Chinese part', () => {
  expect(chinese('案件已受理 (case MED-1 was already accepted)')).toBe('案件已受理');
  expect(chinese('only English here')).toBe('only English here');
});
