import { computeStatistics, monthsOf, petitionReplyFacts, villageFacts, type StatCase } from '../domain/statistics';

/**
 * The statistics checked against a fixture whose every answer was computed by hand (below each figure, the working).
 * Period 2026-01-01 .. 2026-04-01 (exclusive), Asia/Shanghai. Two cases lie just outside it.
 */
const T = (s: string) => `2026-${s}+08:00`;
const med = (id: string, openedAt: string, area: string, category: string, status: string, level: string, outcome: StatCase['outcome'], overdue = false): StatCase =>
  ({ id, kind: 'mediation', status, level, category, area: `X县/${area}`, openedAt: T(openedAt), overdue, outcome });
const fixture: StatCase[] = [
  // 2 days, at village, on time
  med('m1', '01-01T00:00:00', 'A镇/东村', 'neighbourhood', 'closed', 'village', { kind: 'agreement', at: T('01-03T00:00:00'), level: 'village', levelDeadline: T('01-08T00:00:00') }),
  // 5 days, at village, outcome EXACTLY at the deadline: on time
  med('m2', '01-10T08:00:00', 'A镇/东村', 'neighbourhood', 'closed', 'village', { kind: 'agreement', at: T('01-15T08:00:00'), level: 'village', levelDeadline: T('01-15T08:00:00') }),
  // 1 day, withdrawn at village, on time
  med('m3', '02-01T00:00:00', 'A镇/西村', 'land', 'closed', 'village', { kind: 'withdrawn', at: T('02-02T00:00:00'), level: 'village', levelDeadline: T('02-08T00:00:00') }),
  // 10 days, agreement at township, one day late
  med('m4', '02-05T00:00:00', 'B镇/南村', 'land', 'closed', 'township', { kind: 'agreement', at: T('02-15T00:00:00'), level: 'township', levelDeadline: T('02-14T00:00:00') }),
  // 30 days, failed at county, on time
  med('m5', '02-20T00:00:00', 'B镇/南村', 'family', 'closed', 'county', { kind: 'failed', at: T('03-22T00:00:00'), level: 'county', levelDeadline: T('03-30T00:00:00') }),
  // 3.5 days, agreement at township, deadline not recorded: unknown
  med('m6', '03-01T00:00:00', 'B镇/北村', 'family', 'closed', 'township', { kind: 'agreement', at: T('03-04T12:00:00'), level: 'township' }),
  // open, overdue at county
  med('m7', '03-10T00:00:00', 'A镇/东村', 'neighbourhood', 'in_mediation', 'county', null, true),
  { id: 'p1', kind: 'petition', status: 'registered', level: null, category: null, area: 'X县/A镇/东村', openedAt: T('01-20T09:00:00'), overdue: false },
  { id: 'p2', kind: 'petition', status: 'accepted', level: null, category: null, area: 'X县/B镇/南村', openedAt: T('03-15T09:00:00'), overdue: true },
  { id: 'v1', kind: 'village_decision', status: 'proposal', level: null, category: null, area: 'X县/A镇/西村', openedAt: T('02-10T09:00:00'), overdue: false },
  // outside the period: at its end (exclusive) and one second before its start
  med('x1', '04-01T00:00:00', 'A镇/东村', 'neighbourhood', 'awaiting_acceptance', 'village', null),
  { ...med('x2', '01-01T00:00:00', 'A镇/东村', 'neighbourhood', 'awaiting_acceptance', 'village', null), openedAt: '2025-12-31T23:59:59.000+08:00' },
];

test('every figure of the hand-computed fixture', () => {
  const s = computeStatistics(fixture, '2026-01-01', '2026-04-01');
  expect(s.total).toBe(10);
  expect(s.byProcess).toEqual([{ kind: 'mediation', count: 7 }, { kind: 'petition', count: 2 }, { kind: 'village_decision', count: 1 }]);
  expect(s.byStatus).toEqual([
    { kind: 'mediation', status: 'closed', count: 6 },
    { kind: 'mediation', status: 'in_mediation', count: 1 },
    { kind: 'petition', status: 'accepted', count: 1 },
    { kind: 'petition', status: 'registered', count: 1 },
    { kind: 'village_decision', status: 'proposal', count: 1 },
  ]);
  expect(s.byLevel).toEqual([
    { kind: 'mediation', level: 'village', count: 3 },
    { kind: 'mediation', level: 'county', count: 2 },
    { kind: 'mediation', level: 'township', count: 2 },
  ]);
  expect(s.byCategory).toEqual([
    { kind: 'mediation', category: 'neighbourhood', count: 3 },
    { kind: 'mediation', category: 'family', count: 2 },
    { kind: 'mediation', category: 'land', count: 2 },
  ]);
  expect(s.byTownship).toEqual([
    { township: 'X县/A镇', mediation: 4, petition: 1, village_decision: 1, total: 6 },
    { township: 'X县/B镇', mediation: 3, petition: 1, village_decision: 0, total: 4 },
  ]);
  expect(s.overdue).toEqual([{ kind: 'mediation', count: 1 }, { kind: 'petition', count: 1 }, { kind: 'village_decision', count: 0 }]);
  // Outcomes m1..m6; at village m1 m2 m3 (3/6), at township m4 m6 (2/6); agreements m1 m2 m4 m6 (4/6).
  expect(s.mediation.outcomes).toBe(6);
  expect(s.mediation.endedInVillage).toEqual({ count: 3, of: 6, rate: 0.5 });
  expect(s.mediation.endedInTownship).toEqual({ count: 2, of: 6, rate: 2 / 6 });
  expect(s.mediation.success).toEqual({ count: 4, of: 6, rate: 4 / 6 });
  // Days sorted 1, 2, 3.5, 5, 10, 30: median (3.5 + 5) / 2 = 4.25 -> 4.3; p90 rank ceil(5.4) = 6th -> 30.
  expect(s.mediation.medianDays).toBe(4.3);
  expect(s.mediation.p90Days).toBe(30);
  // Deadline known for m1..m5; on time m1, m2 (exactly at it), m3, m5; m4 late; m6 unknown.
  expect(s.mediation.onTime).toEqual({ count: 4, of: 5, rate: 0.8, unknown: 1 });
  expect(s.monthly).toEqual([
    { month: '2026-01', opened: 3, mediation: 2, petition: 1, village_decision: 0 },
    { month: '2026-02', opened: 4, mediation: 3, petition: 0, village_decision: 1 },
    { month: '2026-03', opened: 3, mediation: 2, petition: 1, village_decision: 0 },
  ]);
});

test('an outcome one millisecond past its deadline is late; an empty period has no rates', () => {
  const late = med('l1', '01-01T00:00:00', 'A镇/东村', 'land', 'closed', 'village', { kind: 'agreement', at: '2026-01-08T00:00:00.001+08:00', level: 'village', levelDeadline: T('01-08T00:00:00') });
  expect(computeStatistics([late], '2026-01-01', '2026-02-01').mediation.onTime).toEqual({ count: 0, of: 1, rate: 0, unknown: 0 });
  const none = computeStatistics([], '2026-01-01', '2026-02-01');
  expect(none.mediation).toEqual({
    outcomes: 0,
    endedInVillage: { count: 0, of: 0, rate: null },
    endedInTownship: { count: 0, of: 0, rate: null },
    success: { count: 0, of: 0, rate: null },
    medianDays: null,
    p90Days: null,
    onTime: { count: 0, of: 0, rate: null, unknown: 0 },
  });
  expect(none.monthly).toEqual([{ month: '2026-01', opened: 0, mediation: 0, petition: 0, village_decision: 0 }]);
});

test('the months of a period, across a year end, to-date exclusive', () => {
  expect(monthsOf('2025-11-15', '2026-02-01')).toEqual(['2025-11', '2025-12', '2026-01']);
  expect(monthsOf('2025-11-15', '2026-02-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
});

test('petition reply and village decision rates of a hand-computed fixture, from the snapshots\' own records', () => {
  type Ev = { seq: number; action: string; details?: Record<string, unknown> };
  const ev = (...actions: (string | [string, string])[]): Ev[] =>
    actions.map((a, i) => (typeof a === 'string' ? { seq: i + 1, action: a } : { seq: i + 1, action: a[0], details: { deadline: a[1] } }));
  const pet = (id: string, openedAt: string, reply: string | null, timeline: Ev[], overdue = false): StatCase => ({
    id, kind: 'petition', status: reply ? 'replied' : 'accepted', level: null, category: null, area: 'X县/A镇/东村', openedAt: T(openedAt), overdue,
    ...petitionReplyFacts({ reply: reply ? { at: T(reply) } : null, timeline }),
  });
  type M = { step: string; passed: boolean; outcome: string };
  const passed = (step: string): M => ({ step, passed: true, outcome: 'passed' });
  const failed = (step: string): M => ({ step, passed: false, outcome: 'rejected' });
  const noQuorum = (step: string): M => ({ step, passed: false, outcome: 'no_quorum' });
  const vil = (id: string, status: string, outcome: string | null, meetings: M[]): StatCase => ({
    id, kind: 'village_decision', status, level: null, category: null, area: 'X县/B镇/南村', openedAt: T('02-01T09:00:00'), overdue: false,
    village: villageFacts({ outcome, meetings }),
  });
  const cases: StatCase[] = [
    // 20 days; an earlier deadline (the acceptance notice) passed, not the handling one: on time
    pet('pa', '01-05T00:00:00', '01-25T00:00:00', ev('registered', 'assigned', ['deadline_passed', 'acceptanceNoticeBy'], 'accepted', 'replied')),
    // 70 days; the handling deadline passed before the reply: late
    pet('pb', '01-10T00:00:00', '03-21T00:00:00', ev('registered', 'assigned', 'accepted', ['deadline_passed', 'handleBy'], 'replied')),
    // 10.5 days, on time
    pet('pc', '02-01T00:00:00', '02-11T12:00:00', ev('registered', 'assigned', 'accepted', 'replied')),
    // no reply, handling deadline passed: late, unreplied, overdue
    pet('pd', '02-10T00:00:00', null, ev('registered', 'assigned', 'accepted', ['deadline_passed', 'handleBy']), true),
    // no reply, not yet due
    pet('pe', '03-01T00:00:00', null, ev('registered', 'assigned', 'accepted')),
    // outside the period
    pet('px', '04-02T00:00:00', '04-03T00:00:00', ev('registered', 'replied')),
    // adopted after a resolution meeting without quorum: 5 meetings, 1 without quorum
    vil('va', 'resolution_notice', null, [passed('proposal'), passed('discussion'), passed('review'), noQuorum('resolution'), passed('resolution')]),
    // ended after the two committees rejected it: 2 meetings
    vil('vb', 'closed', 'ended_after_rejection', [passed('proposal'), failed('discussion')]),
    // two proposal meetings without quorum: undecided
    vil('vc', 'proposal', null, [noQuorum('proposal'), noQuorum('proposal')]),
    // rejected at review, back to the proposal: undecided, 3 meetings
    vil('vd', 'proposal', null, [passed('proposal'), passed('discussion'), failed('review')]),
  ];
  const s = computeStatistics(cases, '2026-01-01', '2026-04-01');
  // Replied pa pb pc (3); due also pd (handling deadline passed unreplied): on time pa pc = 2 of 4.
  // Days sorted 10.5, 20, 70: median 20; p90 rank ceil(2.7) = 3rd -> 70. Overdue: pd.
  expect(s.petition).toEqual({ replied: 3, onTime: { count: 2, of: 4, rate: 0.5 }, lateUnreplied: 1, medianDays: 20, p90Days: 70, overdue: 1 });
  // Decided va (adopted) and vb (rejected); meetings 5 + 2 + 2 + 3 = 12, without quorum 1 + 2 = 3.
  expect(s.village).toEqual({
    decided: 2,
    adopted: { count: 1, of: 2, rate: 0.5 },
    rejected: { count: 1, of: 2, rate: 0.5 },
    meetings: 12,
    withoutQuorum: { count: 3, of: 12, rate: 0.25 },
  });
  expect(s.byStatus.filter((r) => r.kind !== 'mediation')).toEqual([
    { kind: 'petition', status: 'replied', count: 3 },
    { kind: 'petition', status: 'accepted', count: 2 },
    { kind: 'village_decision', status: 'proposal', count: 2 },
    { kind: 'village_decision', status: 'closed', count: 1 },
    { kind: 'village_decision', status: 'resolution_notice', count: 1 },
  ]);
  // Nothing due, nothing decided: no rates.
  const none = computeStatistics([], '2026-01-01', '2026-02-01');
  expect(none.petition).toEqual({ replied: 0, onTime: { count: 0, of: 0, rate: null }, lateUnreplied: 0, medianDays: null, p90Days: null, overdue: 0 });
  expect(none.village.adopted.rate).toBeNull();
  expect(none.village.withoutQuorum).toEqual({ count: 0, of: 0, rate: null });
});
