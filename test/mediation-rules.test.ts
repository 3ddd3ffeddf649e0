import {
  applyMediationAction,
  checkMediationAction,
  InvalidTransition,
  nextSystemAction,
  NotPermitted,
  openMediation,
  type ActingStaff,
  type MediationCase,
  type StaffAction,
} from '../domain/mediation';
import { triageLevel } from '../domain/policy';
import { DAY_MS, HOUR_MS, toShanghaiIso } from '../domain/time';
import { loadPolicy } from '../platform/policy';

/** The mediation rules, pure: every staff action in every state, and the clock's ladder at the default policy. */
const P = loadPolicy(); // the default policy with the shipped 2026 calendar
const T0 = Date.parse('2026-11-02T09:00:00+08:00'); // a Monday
const county = '肃宁县';
const township = `${county}/梁家村镇`;
const village = `${township}/东村`;
const m = (id: string, level: 'village' | 'township' | 'county', area: string, committee?: string): ActingStaff => ({
  id, name: id, role: 'mediator', area, level, committee: committee ?? null,
});
const vm = m('vm', 'village', village);
const vm2 = m('vm2', 'village', village);
const tm = m('tm', 'township', township);
const tm2 = m('tm2', 'township', township);
const cm = m('cm', 'county', county, 'neighbourhood');
const cm2 = m('cm2', 'county', county, 'neighbourhood');
const cmOther = m('cmx', 'county', county, 'traffic');
const sup: ActingStaff = { id: 'sup', name: '督导', role: 'supervisor', area: county };
const grid: ActingStaff = { id: 'grid', name: '网格员', role: 'grid_worker', area: village };

function open(extra: Partial<Parameters<typeof openMediation>[0]> = {}): MediationCase {
  return openMediation({
    caseId: 'MED-00000000000A', category: 'neighbourhood', summary: '排水沟纠纷', area: village, channel: 'grid',
    parties: [{ name: '张三', role: 'applicant', email: 'z3@example.cn' }, { name: '李四', role: 'respondent' }],
    reportedBy: { id: 'grid', name: '网格员', role: 'grid_worker' }, reportedAt: T0, policy: P, ...extra,
  }).case;
}
function run(c: MediationCase, ...steps: Array<[StaffAction | ReturnType<typeof sysAt>, number?]>): MediationCase {
  for (const [a, t] of steps) c = applyMediationAction(c, a, t ?? T0 + HOUR_MS, P).next;
  return c;
}
const sysAt = (c: MediationCase) => nextSystemAction(c)!.action;
/** Lets the clock act until the case reaches a state or a time. */
function tick(c: MediationCase, until: (c: MediationCase, at: number) => boolean): { c: MediationCase; log: Array<[number, string, string]> } {
  const log: Array<[number, string, string]> = [];
  for (let i = 0; i < 20; i++) {
    const due = nextSystemAction(c);
    if (!due || until(c, due.at)) break;
    const r = applyMediationAction(c, due.action, due.at, P);
    c = r.next;
    log.push([(due.at - T0) / HOUR_MS, r.event.action, `${r.next.level}/${r.next.status}${r.next.overdue ? '/overdue' : ''}`]);
  }
  return { c, log };
}

const agreement = { form: 'written' as const, terms: '共同疏通排水沟', parties: ['张三', '李四'] };

const S = {
  villageAwaiting: () => open(),
  villageMediating: () => run(open(), [{ type: 'accept', actor: vm }]),
  countyOverdue: () => {
    let c = run(open(), [{ type: 'requestEscalation', actor: vm, reason: '复杂' }], [{ type: 'requestEscalation', actor: tm, reason: '涉及多部门' }]);
    c = run(c, [{ type: 'accept', actor: cm }]);
    return applyMediationAction(c, { type: 'markOverdue', actor: { id: 'system', name: '系统', role: 'system' }, reason: 'level_limit' }, T0 + 40 * DAY_MS, P).next;
  },
  agreed: () => run(open(), [{ type: 'accept', actor: vm }], [{ type: 'recordAgreement', actor: vm, agreement }]),
  withdrawn: () => run(open(), [{ type: 'recordWithdrawal', actor: vm, party: '张三', reason: '自行和解' }]),
  countyAwaiting: () => run(open(), [{ type: 'requestEscalation', actor: vm, reason: '复杂' }], [{ type: 'requestEscalation', actor: tm, reason: '复杂' }]),
};
type StateName = keyof typeof S;
const holder: Record<StateName, ActingStaff> = {
  villageAwaiting: vm, villageMediating: vm, countyOverdue: cm, agreed: vm, withdrawn: vm, countyAwaiting: cm,
};
const peer: Record<StateName, ActingStaff> = {
  villageAwaiting: vm2, villageMediating: vm2, countyOverdue: cm2, agreed: vm2, withdrawn: vm2, countyAwaiting: cm2,
};
const ACTIONS: Record<string, (s: StateName) => StaffAction> = {
  accept: (s) => ({ type: 'accept', actor: holder[s] }),
  assign: (s) => ({ type: 'assign', actor: holder[s], mediators: [peer[s]] }),
  recordSession: (s) => ({ type: 'recordSession', actor: holder[s], heldAt: toShanghaiIso(T0), summary: '双方到场' }),
  requestEscalation: (s) => ({ type: 'requestEscalation', actor: holder[s], reason: '需上级协调' }),
  recordAgreement: (s) => ({ type: 'recordAgreement', actor: holder[s], agreement }),
  recordFailure: (s) => ({ type: 'recordFailure', actor: holder[s], reason: '分歧过大' }),
  recordFailureWithRoute: (s) => ({ type: 'recordFailure', actor: holder[s], reason: '分歧过大', route: 'court' }),
  recordWithdrawal: (s) => ({ type: 'recordWithdrawal', actor: holder[s], party: '李四', reason: '撤回申请' }),
  recordRefusal: (s) => ({ type: 'recordRefusal', actor: holder[s], party: '李四', reason: '拒绝调解' }),
  urge: () => ({ type: 'urge', actor: sup, message: '请加快办理' }),
  explain: (s) => ({ type: 'explain', actor: holder[s], explanation: '当事人外出务工', targetDate: toShanghaiIso(T0 + 60 * DAY_MS) }),
  judicialApplied: (s) => ({ type: 'judicialConfirmation', actor: holder[s], status: 'applied' }),
  judicialConfirmed: (s) => ({ type: 'judicialConfirmation', actor: holder[s], status: 'confirmed' }),
  followUpPerformed: (s) => ({ type: 'recordFollowUp', actor: holder[s], performed: true, notes: '已履行' }),
  followUpReopen: (s) => ({ type: 'recordFollowUp', actor: holder[s], performed: false, notes: '未履行', next: 'reopen' }),
};
// Expected per state, in the order of S: o = allowed, c = 409 (state), f = 403 (actor).
const STATES = Object.keys(S) as StateName[];
const EXPECTED: Record<string, string> = {
  //                       vA vM cO ag wd cA
  accept:                 'o  c  c  c  c  o',
  assign:                 'o  o  o  c  c  o',
  recordSession:          'c  o  o  c  c  c',
  requestEscalation:      'o  o  c  c  c  c',
  recordAgreement:        'c  o  o  c  c  c',
  recordFailure:          'c  o  c  c  c  c',
  recordFailureWithRoute: 'c  o  o  c  c  c',
  recordWithdrawal:       'o  o  o  c  c  o',
  recordRefusal:          'o  o  o  c  c  o',
  urge:                   'o  o  o  c  c  o',
  explain:                'c  c  c  c  c  c',
  judicialApplied:        'c  c  c  o  c  c',
  judicialConfirmed:      'c  c  c  c  c  c',
  followUpPerformed:      'c  c  c  o  c  c',
  followUpReopen:         'c  c  c  o  c  c',
};

function outcome(c: MediationCase, a: StaffAction, now = T0 + 2 * HOUR_MS): 'o' | 'c' | 'f' {
  try {
    checkMediationAction(c, a, now, P);
    return 'o';
  } catch (err) {
    if (err instanceof InvalidTransition) return 'c';
    if (err instanceof NotPermitted) return 'f';
    throw err;
  }
}

describe('every staff action in every state', () => {
  for (const [name, build] of Object.entries(ACTIONS)) {
    test(name, () => {
      const got = STATES.map((s) => outcome(S[s](), build(s))).join('  ');
      expect(got).toBe(EXPECTED[name]);
      // A refusal changes nothing; an allowed action changes a copy, never the case it was given.
      for (const s of STATES) {
        const c = S[s]();
        const before = JSON.stringify(c);
        if (outcome(c, build(s)) === 'o') applyMediationAction(c, build(s), T0 + 2 * HOUR_MS, P);
        else expect(() => applyMediationAction(c, build(s), T0 + 2 * HOUR_MS, P)).toThrow();
        expect(JSON.stringify(c)).toBe(before);
      }
    });
  }

  test('wrong actors get 403: other level, other village, other committee, non-mediators, urging mediators', () => {
    const c = S.villageAwaiting();
    expect(outcome(c, { type: 'accept', actor: tm })).toBe('f');
    expect(outcome(c, { type: 'accept', actor: m('x', 'village', `${township}/西村`) })).toBe('f');
    expect(outcome(c, { type: 'accept', actor: grid })).toBe('f');
    expect(outcome(c, { type: 'accept', actor: { ...sup } })).toBe('f');
    expect(outcome(c, { type: 'urge', actor: vm, message: 'x' })).toBe('f');
    expect(outcome(c, { type: 'urge', actor: { ...sup, area: '献县' }, message: 'x' })).toBe('f');
    expect(outcome(c, { type: 'assign', actor: vm, mediators: [tm] })).toBe('c'); // assignee from another unit
    const atCounty = S.countyAwaiting();
    expect(outcome(atCounty, { type: 'accept', actor: cmOther })).toBe('f');
    expect(outcome(atCounty, { type: 'accept', actor: vm })).toBe('f');
    expect(outcome(atCounty, { type: 'accept', actor: tm2 })).toBe('f');
  });

  test('an urge on an overdue case demands an explanation and a new target date', () => {
    let c = S.countyOverdue();
    const r = applyMediationAction(c, { type: 'urge', actor: sup, message: '请说明逾期原因' }, T0 + 41 * DAY_MS, P);
    expect(r.next.explanationRequired).toBe(true);
    expect(r.notices.map((n) => n.template)).toEqual(['mediation/urge']);
    expect(r.notices[0].recipients).toEqual({ kind: 'users', ids: ['cm'] });
    c = r.next;
    expect(outcome(c, { type: 'explain', actor: cm, explanation: 'x', targetDate: toShanghaiIso(T0 + 40 * DAY_MS) }, T0 + 41 * DAY_MS)).toBe('c');
    const e = applyMediationAction(c, ACTIONS.explain('countyOverdue'), T0 + 41 * DAY_MS, P);
    expect(e.next.explanationRequired).toBe(false);
    expect(e.next.deadlines.targetDate).toBe(toShanghaiIso(T0 + 60 * DAY_MS));
    expect(e.notices[0]).toEqual({ template: 'mediation/explained', recipients: { kind: 'supervisors', area: village } });
  });

  test('failure climbs at village and township; at county it ends with the route told to the parties', () => {
    let c = S.villageMediating();
    c = applyMediationAction(c, ACTIONS.recordFailure('villageMediating'), T0 + DAY_MS, P).next;
    expect([c.level, c.status, c.responsibleArea]).toEqual(['township', 'awaiting_acceptance', township]);
    c = run(c, [{ type: 'accept', actor: tm }], [{ type: 'recordFailure', actor: tm, reason: '分歧大' }]);
    expect([c.level, c.status, c.committee]).toEqual(['county', 'awaiting_acceptance', 'neighbourhood']);
    c = run(c, [{ type: 'accept', actor: cm }]);
    const r = applyMediationAction(c, { type: 'recordFailure', actor: cm, reason: '无法达成一致', route: 'arbitration' }, T0 + 3 * DAY_MS, P);
    expect(r.next).toMatchObject({ status: 'closed', finished: true, outcome: { kind: 'failed', route: 'arbitration' } });
    expect(r.notices).toEqual([{ template: 'mediation/outcome', recipients: { kind: 'emails', emails: ['z3@example.cn'] } }]);
  });

  test('after an agreement: judicial confirmation within 30 days, the follow-up visit, and reopening', () => {
    const c = S.agreed();
    const agreedAt = T0 + HOUR_MS; // Monday 2 November, 10:00
    // The agreement's day is not counted: the 30th day is Wednesday 2 December, and the window closes when it ends.
    const windowEnd = Date.parse('2026-12-03T00:00:00+08:00');
    expect(c.deadlines.judicialConfirmationBy).toBe(toShanghaiIso(windowEnd));
    expect(c.deadlines.followUpDue).toBe(toShanghaiIso(windowEnd));
    expect(outcome(c, ACTIONS.judicialApplied('agreed'), Date.parse('2026-12-02T23:59:00+08:00'))).toBe('o'); // the 30th day counts, all of it
    expect(outcome(c, ACTIONS.judicialApplied('agreed'), windowEnd + 1)).toBe('c');
    const applied = applyMediationAction(c, ACTIONS.judicialApplied('agreed'), agreedAt + DAY_MS, P).next;
    expect(outcome(applied, ACTIONS.judicialConfirmed('agreed'))).toBe('o');
    expect(outcome(c, { type: 'recordFollowUp', actor: vm, performed: false, notes: '未履行' })).toBe('c'); // must choose next
    const reopened = applyMediationAction(c, ACTIONS.followUpReopen('agreed'), agreedAt + 31 * DAY_MS, P).next;
    expect(reopened).toMatchObject({ status: 'in_mediation', outcome: null, finished: false, level: 'village' });
    // Reopened on Thursday 3 December: 7 days end when Thursday 10 December ends.
    expect(reopened.deadlines.levelDeadline).toBe('2026-12-11T00:00:00.000+08:00');
    const court = applyMediationAction(c, { type: 'recordFollowUp', actor: vm, performed: false, notes: '拒不履行', next: 'court' }, agreedAt + 31 * DAY_MS, P).next;
    expect(court).toMatchObject({ finished: true, outcome: { kind: 'referred_to_court' } });
  });
});

describe('the clock at the default policy', () => {
  test('an untouched case is reminded at 75 % of the acceptance limit, climbs at each limit, and is overdue at county', () => {
    // Reported Monday 2 November 09:00 (hours below are counted from then). Each 1-day limit ends at 24:00 of the day
    // after the case arrived; a limit whose last day is a weekend day runs to the end of the next working day.
    const { log, c } = tick(open(), (_c, at) => at > T0 + 8 * DAY_MS);
    expect(log).toEqual([
      [29.25, 'acceptance_reminder', 'village/awaiting_acceptance'], // 75 % of the 39 hours to Tuesday 24:00
      [39, 'escalated', 'township/awaiting_acceptance'], // Wednesday 00:00
      [75, 'acceptance_reminder', 'township/awaiting_acceptance'],
      [87, 'escalated', 'county/awaiting_acceptance'], // Friday 00:00: Thursday was the township's day
      [159, 'acceptance_reminder', 'county/awaiting_acceptance'],
      [183, 'overdue', 'county/awaiting_acceptance/overdue'], // Saturday's day moves to Monday: Tuesday 10 November 00:00
    ]);
    expect(c.responsibleArea).toBe(county);
    expect(c.committee).toBe('neighbourhood');
    // Then the county's own 30-day limit passes, counted from the case's arrival at county: a second alert, still open.
    const later = tick(c, () => false);
    // From Friday 6 November: the 30th day, Sunday 6 December, moves to Monday 7 December; it ends at 24:00.
    expect(later.log).toEqual([[Date.parse('2026-12-08T00:00:00+08:00') / HOUR_MS - T0 / HOUR_MS, 'overdue', 'county/awaiting_acceptance/overdue']]);
    expect(later.log[0][0]).toBe(855);
    expect(nextSystemAction(later.c)).toBeNull();
    expect(later.c.status).toBe('awaiting_acceptance');
  });

  test('an accepted case is reminded at 75 % of each level limit and climbs after 7 and 15 days; overdue after 30 more', () => {
    let c = run(open(), [{ type: 'accept', actor: vm }, T0]);
    let r = tick(c, (x) => x.level !== 'village');
    // Village: Monday 2 November + 7 days ends when Monday 9 November ends (183 hours after 09:00 on the 2nd).
    expect(r.log).toEqual([
      [0.75 * 183, 'level_reminder', 'village/in_mediation'],
      [183, 'escalated', 'township/awaiting_acceptance'],
    ]);
    c = run(r.c, [{ type: 'accept', actor: tm }, Date.parse(r.c.levelEnteredAt)]);
    r = tick(c, (x) => x.level !== 'township');
    // Township: from Tuesday 10 November, the 15th day is Wednesday 25 November.
    expect(r.log).toEqual([
      [183 + 0.75 * (567 - 183), 'level_reminder', 'township/in_mediation'],
      [567, 'escalated', 'county/awaiting_acceptance'],
    ]);
    c = run(r.c, [{ type: 'accept', actor: cm }, Date.parse(r.c.levelEnteredAt)]);
    r = tick(c, () => false);
    // County: from Thursday 26 November, the 30th day is Saturday 26 December: it moves to Monday 28 December.
    expect(r.log).toEqual([
      [567 + 0.75 * (1359 - 567), 'level_reminder', 'county/in_mediation'],
      [1359, 'overdue', 'county/in_mediation/overdue'],
    ]);
    expect(toShanghaiIso(T0 + 1359 * HOUR_MS)).toBe('2026-12-29T00:00:00.000+08:00');
    const escalations = r.c.timeline.filter((e) => e.action === 'escalated');
    expect(escalations.map((e) => [e.actor.id, e.from?.level, e.to.level])).toEqual([
      ['system', 'village', 'township'],
      ['system', 'township', 'county'],
    ]);
  });

  test('escalation notices go to the receiving level and the supervisors; reminders to the assigned mediators', () => {
    const c = run(open(), [{ type: 'accept', actor: vm }, T0]);
    const reminder = applyMediationAction(c, sysAt(c), T0 + 5.25 * DAY_MS, P);
    expect(reminder.notices).toEqual([{ template: 'mediation/reminder', recipients: { kind: 'users', ids: ['vm'] } }]);
    const up = applyMediationAction(reminder.next, sysAt(reminder.next), T0 + 7 * DAY_MS, P);
    expect(up.notices).toEqual([
      { template: 'mediation/escalated', recipients: { kind: 'mediators', area: township, level: 'township', committee: null } },
      { template: 'mediation/escalated-supervisor', recipients: { kind: 'supervisors', area: village } },
    ]);
  });

  test('triage opens by category and seriousness; medical disputes run 30 working days from acceptance', () => {
    expect(triageLevel(P, 'neighbourhood', 'ordinary')).toBe('village');
    expect(triageLevel(P, 'neighbourhood', 'major')).toBe('county');
    expect(triageLevel(P, 'labour', 'simple')).toBe('township');
    const med = open({ category: 'medical', reportedAt: Date.parse('2026-09-17T10:00:00+08:00') });
    expect([med.level, med.responsibleArea, med.committee]).toEqual(['county', county, 'medical']);
    const accepted = applyMediationAction(med, { type: 'accept', actor: m('cmm', 'county', county, 'medical') }, Date.parse('2026-09-18T10:00:00+08:00'), P).next;
    // 30 working days from Friday 18 September across the Mid-Autumn and National Day holidays and two 调休 days.
    expect(accepted.deadlines.levelDeadline).toBe('2026-11-06T00:00:00.000+08:00');
  });
});
