import { parsePolicy } from '../domain/policy-schema';
import { type Policy } from '../domain/policy';
import { DAY_MS, HOUR_MS, toShanghaiIso } from '../domain/time';
import { loadPolicy } from '../platform/policy';
import {
  applyVillageAction,
  checkVillageAction,
  describeRule,
  InvalidTransition,
  meetingCountsProblem,
  meetingOutcome,
  nextVillageSystemAction,
  NotPermitted,
  openVillageMatter,
  quorumRule,
  reaches,
  type MeetingInput,
  type VillageAction,
  type VillageBody,
  type VillageMatter,
  type VillageStaff,
} from '../domain/village';

/** 四议两公开, pure: quorum and majority of every body at every boundary, the order of the steps, and the clock. */
const P = loadPolicy(); // the default policy with the shipped 2026 calendar
const T0 = Date.parse('2026-11-02T09:00:00+08:00'); // a Monday
const village = '肃宁县/梁家村镇/东村';
const clerk: VillageStaff = { id: 'clerk', name: '村文书', role: 'village_clerk', area: village };
const otherClerk: VillageStaff = { id: 'clerk2', name: '西村文书', role: 'village_clerk', area: '肃宁县/梁家村镇/西村' };
const supervisor: VillageStaff = { id: 'sup', name: '乡镇督导', role: 'supervisor', area: '肃宁县/梁家村镇' };
const SYS = { id: 'system', name: '系统', role: 'system' as const };

/**
 * The quorum table tested: body, members entitled, present (households), votes for → valid?, passed?
 * "以上" includes the number; "过半数" is strictly more than half.
 */
type Row = [VillageBody, number, number, number, boolean, boolean, { households: number; represented: number }?];
const QUORUM_TABLE: Row[] = [
  // 村民代表会议 (Art. 26): at least 2/3 present; more than half of those present
  ['representatives', 30, 20, 11, true, true],
  ['representatives', 30, 20, 10, true, false], // 10 of 20 is not a majority
  ['representatives', 30, 19, 19, false, false], // 19 of 30 is under two-thirds: does not count
  ['representatives', 31, 21, 11, true, true], // 21*3 = 63 >= 62
  ['representatives', 31, 20, 20, false, false], // 20*3 = 60 < 62
  ['representatives', 3, 2, 2, true, true],
  ['representatives', 3, 2, 1, true, false],
  ['representatives', 30, 30, 16, true, true],
  ['representatives', 30, 30, 15, true, false],
  // 村民会议 (Art. 22): more than half of villagers 18+, or representatives of at least 2/3 of households
  ['villagers', 100, 51, 26, true, true],
  ['villagers', 100, 51, 25, true, false], // 25*2 = 50 is not more than 51
  ['villagers', 100, 50, 50, false, false], // exactly half of the adults is not more than half
  ['villagers', 100, 50, 26, true, true, { households: 90, represented: 60 }], // 60 of 90 households is exactly 2/3
  ['villagers', 100, 50, 26, false, false, { households: 90, represented: 59 }],
  ['villagers', 100, 40, 21, true, true, { households: 91, represented: 61 }], // 61*3 = 183 >= 182
  ['villagers', 100, 40, 20, true, false, { households: 91, represented: 61 }],
  ['villagers', 101, 51, 26, true, true], // 51*2 = 102 > 101
  ['villagers', 102, 51, 26, false, false], // 51*2 = 102 is not more than 102
  // 党员大会 (local rules): at least 2/3 present, more than half of those present
  ['party_members', 30, 20, 11, true, true],
  ['party_members', 30, 20, 10, true, false],
  ['party_members', 30, 19, 19, false, false],
  ['party_members', 10, 7, 4, true, true], // 7*3 = 21 >= 20
  ['party_members', 10, 6, 6, false, false], // 18 < 20
  // 党支部会议 and 村"两委"联席会议 (per-county default): more than half present, more than half of those present
  ['party_branch', 5, 3, 2, true, true],
  ['party_branch', 5, 3, 1, true, false],
  ['party_branch', 5, 2, 2, false, false],
  ['party_branch', 4, 2, 2, false, false], // half is not more than half
  ['party_branch', 4, 3, 2, true, true],
  ['two_committees', 8, 5, 3, true, true],
  ['two_committees', 8, 4, 4, false, false],
  ['two_committees', 8, 6, 3, true, false], // 3 of 6 is not a majority
  ['two_committees', 8, 6, 4, true, true],
  ['two_committees', 7, 4, 3, true, true],
];

describe('quorum and majority at the default policy', () => {
  test.each(QUORUM_TABLE)('%s: %i members, %i present, %i for → valid %s, passed %s', (...row: Row) => {
    // A rest parameter: Jest would take a 7th declared parameter missing from a row for a `done` callback.
    const [body, entitled, present, votesFor, valid, passed, hh] = row;
    const rule = quorumRule(P, body);
    const attendance = { entitled, present, ...(hh ? { households: hh.households, householdsRepresented: hh.represented } : {}) };
    const votes = { for: votesFor, against: present - votesFor, abstain: 0 };
    expect(meetingCountsProblem({ ...attendance, ...votes })).toBeNull();
    expect(meetingOutcome(rule, attendance, votes)).toBe(!valid ? 'no_quorum' : passed ? 'passed' : 'rejected');
  });

  test('every body of the table is covered, and every rule states its source', () => {
    for (const body of Object.keys(P.village!.bodies) as VillageBody[]) {
      expect(QUORUM_TABLE.some((r) => r[0] === body)).toBe(true);
      expect(P.village!.bodies[body].source.length).toBeGreaterThan(10);
    }
    expect(P.village!.bodies.representatives.source).toContain('Art. 26');
    expect(P.village!.bodies.villagers.source).toContain('Art. 22');
    expect(describeRule(quorumRule(P, 'representatives'))).toBe('应到会人员三分之二以上到会；到会人员过半数同意');
    expect(describeRule(quorumRule(P, 'villagers'))).toBe('十八周岁以上村民过半数，或三分之二以上的户的代表参加；到会人员过半数同意');
  });

  test('shares are compared in integers: no floating-point edge at two-thirds', () => {
    // 0.6666… as a float would misjudge some of these; integers do not.
    for (let members = 3; members <= 3000; members += 1) {
      const need = Math.ceil((members * 2) / 3);
      expect(reaches(need, members, { num: 2, den: 3, strict: false })).toBe(true);
      expect(reaches(need - 1, members, { num: 2, den: 3, strict: false })).toBe(false);
      const half = Math.floor(members / 2) + 1;
      expect(reaches(half, members, { num: 1, den: 2, strict: true })).toBe(true);
      expect(reaches(half - 1, members, { num: 1, den: 2, strict: true })).toBe(false);
    }
    expect(reaches(0, 0, { num: 1, den: 2, strict: true })).toBe(false);
  });

  test('a county may count approval against those entitled instead of those present', () => {
    const p: Policy = JSON.parse(JSON.stringify(P));
    p.village!.bodies.party_members.value.approvalBase = 'entitled';
    const rule = quorumRule(p, 'party_members');
    expect(meetingOutcome(rule, { entitled: 30, present: 20 }, { for: 16, against: 4, abstain: 0 })).toBe('passed');
    // 15 of 20 present would carry it against those present; against the 30 entitled it does not.
    expect(meetingOutcome(rule, { entitled: 30, present: 20 }, { for: 15, against: 5, abstain: 0 })).toBe('rejected');
    expect(meetingOutcome(quorumRule(P, 'party_members'), { entitled: 30, present: 20 }, { for: 15, against: 5, abstain: 0 })).toBe('passed');
    expect(meetingOutcome(rule, { entitled: 31, present: 21 }, { for: 16, against: 5, abstain: 0 })).toBe('passed');
    expect(meetingOutcome(rule, { entitled: 32, present: 22 }, { for: 16, against: 6, abstain: 0 })).toBe('rejected');
    expect(describeRule(rule)).toContain('应到会人员过半数同意');
  });

  test('counts that do not add up are refused', () => {
    expect(meetingCountsProblem({ entitled: 10, present: 11, for: 1, against: 0, abstain: 0 })).toMatch(/present exceeds/);
    expect(meetingCountsProblem({ entitled: 10, present: 6, for: 4, against: 2, abstain: 1 })).toMatch(/votes exceed/);
    expect(meetingCountsProblem({ entitled: 0, present: 0, for: 0, against: 0, abstain: 0 })).toMatch(/at least 1/);
    expect(meetingCountsProblem({ entitled: 10, present: 6.5, for: 1, against: 0, abstain: 0 })).toMatch(/integers/);
    expect(meetingCountsProblem({ entitled: 10, present: 6, for: 1, against: 0, abstain: 0, households: 5 })).toMatch(/together/);
    expect(meetingCountsProblem({ entitled: 10, present: 6, for: 1, against: 0, abstain: 0, households: 5, householdsRepresented: 6 })).toMatch(/exceeds households/);
  });

  test('the policy file carries the village section and refuses a bad one', () => {
    expect(parsePolicy(JSON.parse(JSON.stringify(P))).village).toEqual(P.village);
    const bad = JSON.parse(JSON.stringify(P));
    bad.village.bodies.representatives.value.attendance = { num: 3, den: 2, strict: false };
    expect(() => parsePolicy(bad)).toThrow(/num must not exceed den/);
    const missing = JSON.parse(JSON.stringify(P));
    delete missing.village;
    expect(() => parsePolicy(missing)).toThrow(/village/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

function open(): VillageMatter {
  return openVillageMatter({
    matterId: 'VIL-00000000000A', type: 'public_works', title: '硬化村内道路', description: '东西主街1.2公里', amount: 350000,
    area: village, openedBy: clerk, openedAt: T0, policy: P,
  }).matter;
}
const meeting = (body: VillageBody, entitled: number, present: number, votesFor: number, at = T0 + HOUR_MS): MeetingInput => ({
  body, heldAt: toShanghaiIso(at), noticeGivenAt: toShanghaiIso(at - 11 * DAY_MS), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: '会议记录',
});
const act = (m: VillageMatter, a: VillageAction, t = T0 + 2 * HOUR_MS) => applyVillageAction(m, a, t, P);
const rec = (m: VillageMatter, mt: MeetingInput, t = T0 + 2 * HOUR_MS) => act(m, { type: 'recordMeeting', actor: clerk, meeting: mt }, t).next;
const refused = (m: VillageMatter, a: VillageAction, t = T0 + 2 * HOUR_MS) => {
  try {
    checkVillageAction(m, a, t, P);
  } catch (err) {
    return err instanceof NotPermitted ? 403 : err instanceof InvalidTransition ? 409 : 500;
  }
  return 200;
};

function resolved(): VillageMatter {
  let m = open();
  m = rec(m, meeting('party_branch', 5, 5, 5));
  m = rec(m, meeting('two_committees', 7, 7, 7));
  m = rec(m, meeting('party_members', 30, 25, 20));
  return rec(m, meeting('representatives', 30, 22, 18));
}

describe('the procedure', () => {
  test('the six steps in order, with the notices of each, to the end', () => {
    let m = open();
    expect(m).toMatchObject({ status: 'proposal', round: 1, typeName: '公益事业筹资筹劳及工程承包方案', amount: 350000 });
    expect(m.deadlines.stepDeadline).toBe('2026-11-10T00:00:00.000+08:00'); // 7th day: Monday 9 November
    expect(m.deadlines.procedureDeadline).toBe('2026-11-24T00:00:00.000+08:00'); // 20th day: Sunday 22nd, moved to Monday 23rd
    m = resolved();
    expect(m.status).toBe('resolution_notice');
    expect(m.meetings.map((x) => [x.step, x.outcome])).toEqual([
      ['proposal', 'passed'], ['discussion', 'passed'], ['review', 'passed'], ['resolution', 'passed'],
    ]);
    expect(m.notices).toEqual([
      { id: 'VIL-00000000000A-R', kind: 'resolution', startsAt: toShanghaiIso(T0 + 2 * HOUR_MS), endsAt: '2026-11-10T00:00:00.000+08:00', ended: false },
    ]);
    expect(m.deadlines).toEqual({ noticeEndsAt: '2026-11-10T00:00:00.000+08:00' });
    const due = nextVillageSystemAction(m)!;
    expect(due).toEqual({ at: Date.parse('2026-11-10T00:00:00+08:00'), action: { type: 'endNotice', actor: expect.anything() } });
    expect(refused(m, { type: 'recordProgress', actor: clerk, note: '开工' })).toBe(409);
    const ended = act(m, due.action, due.at);
    expect(ended.next.status).toBe('implementation');
    expect(ended.notices.map((n) => n.template)).toEqual(['village/notice-ended']);
    m = act(ended.next, { type: 'recordProgress', actor: clerk, note: '完成路基' }, due.at + DAY_MS).next;
    const done = act(m, { type: 'completeImplementation', actor: clerk, result: '道路硬化完成，支出34.8万元' }, due.at + 30 * DAY_MS);
    m = done.next;
    expect(m.status).toBe('result_notice');
    expect(m.notices[1]).toMatchObject({ id: 'VIL-00000000000A-S', kind: 'result', endsAt: toShanghaiIso(due.at + 38 * DAY_MS) }); // from Thursday 10 December to the end of the 17th
    const end = nextVillageSystemAction(m)!;
    const closed = act(m, end.action, end.at);
    expect(closed.next).toMatchObject({ status: 'closed', outcome: 'completed', finished: true });
    expect(nextVillageSystemAction(closed.next)).toBeNull();
    expect(closed.next.timeline.map((e) => e.action)).toEqual([
      'opened', 'proposal_passed', 'discussion_passed', 'review_passed', 'resolution_passed', 'resolution_notice_ended',
      'progress_recorded', 'implementation_completed', 'result_notice_ended',
    ]);
  });

  test.each<[string, () => VillageMatter, VillageBody]>([
    ['the representatives resolve before any proposal', open, 'representatives'],
    ['the party members review before the two committees discuss', () => rec(open(), meeting('party_branch', 5, 5, 5)), 'party_members'],
    ['the party branch proposes again once discussed', () => rec(rec(open(), meeting('party_branch', 5, 5, 5)), meeting('two_committees', 7, 7, 7)), 'party_branch'],
    ['a meeting during the notice period', resolved, 'representatives'],
  ])('out of order → 409: %s', (_name, state, body) => {
    expect(refused(state(), { type: 'recordMeeting', actor: clerk, meeting: meeting(body, 30, 30, 30) })).toBe(409);
  });

  test('either assembly may resolve; a meeting without quorum does not count and must be held again', () => {
    let m = rec(rec(rec(open(), meeting('party_branch', 5, 5, 5)), meeting('two_committees', 7, 7, 7)), meeting('party_members', 30, 20, 11));
    expect(m.status).toBe('resolution');
    const r = act(m, { type: 'recordMeeting', actor: clerk, meeting: meeting('villagers', 100, 50, 50) });
    expect(r.next.status).toBe('resolution');
    expect(r.event.action).toBe('meeting_without_quorum');
    expect(r.notices.map((n) => n.template)).toEqual(['village/no-quorum']);
    m = r.next;
    expect(m.meetings.at(-1)).toMatchObject({ quorum: false, passed: false, outcome: 'no_quorum' });
    m = rec(m, { ...meeting('villagers', 100, 40, 30), households: 90, householdsRepresented: 60 });
    expect(m.status).toBe('resolution_notice');
  });

  test('rejected: the clerk ends the matter or returns it to the proposal step', () => {
    const m = rec(rec(open(), meeting('party_branch', 5, 5, 5)), meeting('two_committees', 8, 6, 3));
    expect(m).toMatchObject({ status: 'rejected', rejectedAt: { step: 'discussion', meetingSeq: 2 } });
    expect(refused(m, { type: 'recordMeeting', actor: clerk, meeting: meeting('two_committees', 8, 8, 8) })).toBe(409);
    const back = act(m, { type: 'decideAfterRejection', actor: clerk, choice: 'return', reason: '修改方案后重新提议' }).next;
    expect(back).toMatchObject({ status: 'proposal', round: 2, rejectedAt: null });
    expect(refused(back, { type: 'decideAfterRejection', actor: clerk, choice: 'end', reason: 'x' })).toBe(409);
    const again = rec(back, meeting('party_branch', 5, 5, 5, T0 + 3 * HOUR_MS), T0 + 4 * HOUR_MS);
    expect(again.meetings.at(-1)).toMatchObject({ round: 2, step: 'proposal' });
    const ended = act(m, { type: 'decideAfterRejection', actor: clerk, choice: 'end', reason: '群众意见大，不再实施' });
    expect(ended.next).toMatchObject({ status: 'closed', outcome: 'ended_after_rejection', finished: true });
    expect(ended.notices.map((n) => n.template)).toEqual(['village/closed']);
  });

  test('an objection during the notice period holds implementation until it is answered', () => {
    const m0 = resolved();
    const noticeId = m0.notices[0].id;
    const filed = act(m0, { type: 'fileObjection', actor: { id: 'public', name: '村民', role: 'public' }, objection: { id: 'OBJ-1', noticeId, text: '造价偏高', email: 'cun@example.cn' } }, T0 + DAY_MS);
    expect(filed.notices.map((n) => n.template)).toEqual(['village/objection-filed']);
    const endAt = Date.parse(m0.notices[0].endsAt);
    const m1 = act(filed.next, nextVillageSystemAction(filed.next)!.action, endAt).next;
    expect(m1).toMatchObject({ status: 'resolution_notice', notices: [{ ended: true }] });
    expect(nextVillageSystemAction(m1)).toBeNull();
    const late = { type: 'fileObjection' as const, actor: { id: 'public', name: '村民', role: 'public' as const }, objection: { id: 'OBJ-2', noticeId, text: '晚了' } };
    expect(refused(m1, late, endAt + 1)).toBe(409);
    expect(refused(filed.next, late, endAt)).toBe(409); // the period ends at its last instant
    expect(refused(filed.next, late, endAt - 1)).toBe(200);
    expect(refused(m1, { type: 'recordProgress', actor: clerk, note: '开工' }, endAt + 1)).toBe(409);
    expect(refused(m1, { type: 'answerObjection', actor: clerk, objectionId: 'OBJ-9', answer: 'x' }, endAt + 1)).toBe(409);
    const answered = act(m1, { type: 'answerObjection', actor: clerk, objectionId: 'OBJ-1', answer: '造价经三家比价，已公示明细' }, endAt + DAY_MS);
    expect(answered.next.status).toBe('implementation');
    expect(answered.notices).toEqual([{ template: 'village/objection-answered', recipients: { kind: 'emails', emails: ['cun@example.cn'] } }]);
    expect(refused(answered.next, { type: 'answerObjection', actor: clerk, objectionId: 'OBJ-1', answer: 'x' })).toBe(409);
    // Answered during the period: the matter moves on when the period ends.
    const early = act(filed.next, { type: 'answerObjection', actor: clerk, objectionId: 'OBJ-1', answer: '已答复' }, T0 + 2 * DAY_MS).next;
    expect(early.status).toBe('resolution_notice');
    expect(act(early, nextVillageSystemAction(early)!.action, endAt).next.status).toBe('implementation');
  });

  test('only the clerks of the village act; supervisors and other villages get 403', () => {
    const m = open();
    const mt = meeting('party_branch', 5, 5, 5);
    expect(refused(m, { type: 'recordMeeting', actor: otherClerk, meeting: mt })).toBe(403);
    expect(refused(m, { type: 'recordMeeting', actor: supervisor, meeting: mt })).toBe(403);
    expect(refused(m, { type: 'recordMeeting', actor: clerk, meeting: mt })).toBe(200);
    expect(refused(m, { type: 'recordMeeting', actor: clerk, meeting: meeting('party_branch', 5, 5, 5, T0 + 3 * DAY_MS) })).toBe(409); // future
    const held = rec(m, meeting('party_branch', 5, 5, 5, T0 + HOUR_MS));
    expect(refused(held, { type: 'recordMeeting', actor: clerk, meeting: meeting('two_committees', 7, 7, 7, T0) })).toBe(409); // before the last step
  });

  test('the clock: the clerk is reminded when a step waits 7 days, the township alerted at 20 days', () => {
    let m = open();
    const log: Array<[number, string]> = [];
    for (let i = 0; i < 10; i++) {
      const due = nextVillageSystemAction(m);
      if (!due) break;
      const r = act(m, due.action, due.at);
      m = r.next;
      log.push([(due.at - T0) / DAY_MS, `${r.event.action}:${r.notices.map((n) => `${n.template}>${n.recipients.kind}`).join(',')}`]);
    }
    // Opened Monday 2 November 09:00: the 7th day (Monday 9th) ends 7 days 15 hours later; the 20th day is a Sunday,
    // so the four deliberations may run to the end of Monday 23 November.
    expect(log).toEqual([
      [7 + 15 / 24, 'step_reminder:village/step-reminder>staff'],
      [21 + 15 / 24, 'township_alerted:village/township-alert>supervisors'],
    ]);
    expect(m.overdue).toBe(true);
    // A step taken resets the step clock: the next reminder is 7 days after it.
    const moved = rec(open(), meeting('party_branch', 5, 5, 5, T0 + 5 * DAY_MS), T0 + 5 * DAY_MS);
    // Taken on Saturday 7 November: the 7th day is Saturday 14th, a rest day, so the step may wait to the end of Monday 16th.
    expect(nextVillageSystemAction(moved)).toEqual({ at: Date.parse('2026-11-17T00:00:00+08:00'), action: { type: 'stepReminder', actor: SYS } });
  });
});
