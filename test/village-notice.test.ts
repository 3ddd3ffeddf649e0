import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePolicy } from '../domain/policy-schema';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { DAY_MS, HOUR_MS, toShanghaiIso } from '../domain/time';
import {
  applyVillageAction,
  checkVillageAction,
  InvalidTransition,
  meetingNoticeProblem,
  noticeDays,
  noticeSuffices,
  openVillageMatter,
  publicNoticeView,
  type MeetingInput,
  type VillageBody,
  type VillageMatter,
  type VillageStaff,
} from '../domain/village';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Notice before a meeting (issue 8): a villagers' assembly needs 10 days' notice (村民委员会组织法 Art. 21), the
 * party members' assembly gets the plan 3 days before (local rule). The day the notice is given is not counted; the
 * numbers come from the policy, per county; too short a notice is refused (409) naming the rule.
 */
const P = DEFAULT_POLICY;
const village = '肃宁县/梁家村镇/东村';
const clerk: VillageStaff = { id: 'clerk', name: '村文书', role: 'village_clerk', area: village };
const at = (iso: string) => Date.parse(iso);

describe('counting days of notice (Asia/Shanghai dates; the day notice is given is not counted)', () => {
  test.each<[string, string, number]>([
    ['2026-11-01T09:00:00+08:00', '2026-11-11T09:00:00+08:00', 10],
    ['2026-11-01T09:00:00+08:00', '2026-11-10T20:00:00+08:00', 9],
    ['2026-11-01T23:59:00+08:00', '2026-11-11T00:01:00+08:00', 10], // the time of day does not matter
    ['2026-11-01T00:01:00+08:00', '2026-11-10T23:59:00+08:00', 9], // nearly 10 × 24 hours, but only 9 days counted
    ['2026-10-31T17:00:00Z', '2026-11-11T01:00:00+08:00', 10], // 17:00 UTC on 31 October is 1 November in Shanghai
    ['2026-11-01T09:00:00+08:00', '2026-11-01T15:00:00+08:00', 0],
    ['2026-12-29T09:00:00+08:00', '2027-01-08T09:00:00+08:00', 10], // across the year
  ])('notice %s, meeting %s → %i days', (given, held, days) => {
    expect(noticeDays(at(given), at(held))).toBe(days);
  });

  test('working days count only the calendar’s working days', () => {
    const cal = P.calendar.value;
    // Notice on Friday 30 October 2026; Mon 2 … Fri 6 November are five working days.
    expect(noticeDays(at('2026-10-30T09:00:00+08:00'), at('2026-11-06T09:00:00+08:00'), cal)).toBe(5);
    expect(noticeSuffices(at('2026-10-30T09:00:00+08:00'), at('2026-11-06T09:00:00+08:00'), { value: 5, unit: 'workingDays' }, cal)).toBe(true);
    expect(noticeSuffices(at('2026-10-30T09:00:00+08:00'), at('2026-11-05T09:00:00+08:00'), { value: 5, unit: 'workingDays' }, cal)).toBe(false);
    // Sub-day units exist for test policies: measured in time.
    expect(noticeSuffices(0, 10_000, { value: 10, unit: 'seconds' }, cal)).toBe(true);
    expect(noticeSuffices(0, 9_999, { value: 10, unit: 'seconds' }, cal)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const OPENED = at('2026-11-02T09:00:00+08:00');
function matterAt(step: 'review' | 'resolution', policy: Policy = P): VillageMatter {
  let m = openVillageMatter({
    matterId: 'VIL-00000000000N', type: 'public_works', title: '硬化村内道路', description: '东西主街', amount: 350000,
    area: village, openedBy: clerk, openedAt: OPENED, policy,
  }).matter;
  const steps: Array<[VillageBody, number]> = [['party_branch', 5], ['two_committees', 7]];
  if (step === 'resolution') steps.push(['party_members', 30]);
  let t = OPENED;
  for (const [body, n] of steps) {
    t += HOUR_MS;
    const meeting: MeetingInput = {
      body, heldAt: toShanghaiIso(t), noticeGivenAt: toShanghaiIso(t - 20 * DAY_MS), entitled: n, present: n, for: n, against: 0, abstain: 0, minutes: '记录',
    };
    m = applyVillageAction(m, { type: 'recordMeeting', actor: clerk, meeting }, t, policy).next;
  }
  return m;
}
const meeting = (body: VillageBody, heldAt: string, noticeGivenAt?: string): MeetingInput => ({
  body, heldAt, ...(noticeGivenAt ? { noticeGivenAt } : {}), entitled: 100, present: 80, for: 60, against: 20, abstain: 0, minutes: '记录',
});
/** The refusal message, or null when the meeting may be recorded; `now` is after every meeting below. */
const NOW = at('2027-01-31T09:00:00+08:00');
function refusal(m: VillageMatter, mt: MeetingInput, policy: Policy = P): string | null {
  try {
    checkVillageAction(m, { type: 'recordMeeting', actor: clerk, meeting: mt }, NOW, policy);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTransition); // the API answers 409
    return (err as Error).message;
  }
}

describe("the villagers' assembly: 10 days' notice (村民委员会组织法 Art. 21)", () => {
  const m = matterAt('resolution');
  test('exactly 10 days is enough; the record carries when notice was given', () => {
    const mt = meeting('villagers', '2026-12-11T19:00:00+08:00', '2026-12-01T20:00:00+08:00');
    expect(refusal(m, mt)).toBeNull();
    const r = applyVillageAction(m, { type: 'recordMeeting', actor: clerk, meeting: mt }, NOW, P);
    expect(r.next.meetings.at(-1)).toMatchObject({ body: 'villagers', noticeGivenAt: '2026-12-01T20:00:00.000+08:00', passed: true });
    expect(r.event.details).toMatchObject({ noticeGivenAt: '2026-12-01T20:00:00.000+08:00' });
    expect(publicNoticeView(r.next, r.next.notices[0].id).meetings.at(-1)!.noticeGivenAt).toBe('2026-12-01T20:00:00.000+08:00');
  });
  test('9 days is refused with a message naming the law and the dates', () => {
    const message = refusal(m, meeting('villagers', '2026-12-10T19:00:00+08:00', '2026-12-01T08:00:00+08:00'))!;
    expect(message).toContain('村民会议应当提前10日通知');
    expect(message).toContain('村民委员会组织法第二十一条');
    expect(message).toContain('2026-12-01 通知、2026-12-10 召开');
    expect(message).toContain('仅提前9日');
  });
  test('without noticeGivenAt the assembly is refused, naming the rule', () => {
    expect(refusal(m, meeting('villagers', '2026-12-10T19:00:00+08:00'))).toMatch(/村民会议应当提前10日通知（村民委员会组织法第二十一条）.*noticeGivenAt/);
  });
  test('notice given after the meeting is refused', () => {
    expect(refusal(m, meeting('villagers', '2026-12-10T19:00:00+08:00', '2026-12-10T20:00:00+08:00'))).toContain('通知时间晚于会议时间');
  });
  test("the representatives' assembly resolves without a notice rule", () => {
    expect(refusal(m, meeting('representatives', '2026-12-10T19:00:00+08:00'))).toBeNull();
    expect(refusal(m, meeting('representatives', '2026-12-10T19:00:00+08:00', '2026-12-10T08:00:00+08:00'))).toBeNull();
  });
});

describe("the party members' assembly: the plan 3 days before (local rule)", () => {
  const m = matterAt('review');
  test('3 days is enough, 2 days is refused', () => {
    expect(refusal(m, meeting('party_members', '2026-11-20T09:00:00+08:00', '2026-11-17T18:00:00+08:00'))).toBeNull();
    const message = refusal(m, meeting('party_members', '2026-11-20T09:00:00+08:00', '2026-11-18T08:00:00+08:00'))!;
    expect(message).toContain('党员大会应当提前3日通知');
    expect(message).toContain('仅提前2日');
  });
  test('the party branch and the two committees need no notice', () => {
    const fresh = openVillageMatter({
      matterId: 'VIL-00000000000M', type: 'village_rules', title: '修订村规民约', description: '……', area: village, openedBy: clerk,
      openedAt: OPENED, policy: P,
    }).matter;
    expect(refusal(fresh, meeting('party_branch', '2026-11-02T10:00:00+08:00'))).toBeNull();
    const discussed = applyVillageAction(fresh, { type: 'recordMeeting', actor: clerk, meeting: meeting('party_branch', '2026-11-02T10:00:00+08:00') }, OPENED + 2 * HOUR_MS, P).next;
    expect(refusal(discussed, meeting('two_committees', '2026-11-02T11:00:00+08:00'))).toBeNull();
  });
});

describe('the numbers are in the policy, per county', () => {
  test('the default policy carries them with their sources, and a POLICY_FILE must state them', () => {
    expect(P.village!.meetingNotice).toEqual({
      villagers: { value: { period: { value: 10, unit: 'calendarDays' }, rule: '村民委员会组织法第二十一条' }, source: expect.stringContaining('Art. 21') },
      party_members: { value: { period: { value: 3, unit: 'calendarDays' }, rule: expect.any(String) }, source: expect.stringContaining('3 days') },
    });
    expect(parsePolicy(JSON.parse(JSON.stringify(P))).village!.meetingNotice).toEqual(P.village!.meetingNotice);
    const missing = JSON.parse(JSON.stringify(P));
    delete missing.village.meetingNotice;
    expect(() => parsePolicy(missing)).toThrow(/meetingNotice/);
  });
  test('a county that asks for 15 days refuses 14, and its message says 15日', () => {
    const county: Policy = JSON.parse(JSON.stringify(P));
    county.village!.meetingNotice!.villagers!.value.period = { value: 15, unit: 'calendarDays' };
    const m = matterAt('resolution', county);
    expect(refusal(m, meeting('villagers', '2026-12-15T09:00:00+08:00', '2026-12-01T09:00:00+08:00'), county)).toContain('应当提前15日通知');
    expect(refusal(m, meeting('villagers', '2026-12-16T09:00:00+08:00', '2026-12-01T09:00:00+08:00'), county)).toBeNull();
  });
  test('matters opened under a policy without notice rules (recorded workflows) keep recording as before', () => {
    const old: Policy = JSON.parse(JSON.stringify(P));
    delete old.village!.meetingNotice;
    expect(meetingNoticeProblem(old, 'villagers', '2026-12-10T09:00:00+08:00')).toBeNull();
    expect(refusal(matterAt('resolution', old), meeting('villagers', '2026-12-10T09:00:00+08:00'), old)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Through HTTP on the real dev server, at the default notice rules

describe('POST /api/v1/village-decisions/:id/meetings', () => {
  let sys: TestSystem;
  const where = uniqueVillage('通知');
  const policyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-policy-')), 'policy.json');
  beforeAll(async () => {
    const p: Policy = JSON.parse(JSON.stringify(P));
    p.version = 'test-village-notice';
    fs.writeFileSync(policyFile, JSON.stringify(p));
    sys = await startTestSystem({ env: { POLICY_FILE: policyFile } });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  test("too short a notice gets 409 naming the rule and changes nothing; enough notice is recorded with noticeGivenAt", async () => {
    const clerkU = await sys.user('village_clerk', where.village, { name: '文书' });
    const created = await sys.call('POST', '/api/v1/village-decisions', {
      token: clerkU.token, body: { type: 'village_rules', title: '修订村规民约', description: '增加环境卫生条款' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const post = (body: object) => sys.call('POST', `/api/v1/village-decisions/${id}/meetings`, { token: clerkU.token, body });
    const base = (body: string, heldAt: number, n: number) => ({ body, heldAt: toShanghaiIso(heldAt), entitled: n, present: n, for: n, against: 0, abstain: 0, minutes: '记录' });
    const t = Date.now() - 60_000;
    const before = (held: number, days: number) => toShanghaiIso(held - days * DAY_MS); // same time of day: `days` dates earlier
    expect((await post(base('party_branch', t - 120_000, 5))).status).toBe(200);
    expect((await post(base('two_committees', t - 60_000, 7))).status).toBe(200);
    // The plan reached the party members 2 days before: refused; 3 days: recorded.
    const short = await post({ ...base('party_members', t, 30), noticeGivenAt: before(t, 2) });
    expect(short.status).toBe(409);
    expect(short.body.error.code).toBe('invalid_state');
    expect(short.body.error.message).toContain('党员大会应当提前3日通知');
    const missing = await post(base('party_members', t, 30));
    expect(missing.status).toBe(409);
    const after = await post({ ...base('party_members', t, 30), noticeGivenAt: toShanghaiIso(t + 1000) });
    expect(after.status).toBe(400);
    expect(after.body.error.message).toMatch(/^noticeGivenAt: /);
    const unchanged = await sys.call('GET', `/api/v1/village-decisions/${id}`, { token: clerkU.token });
    expect(unchanged.body).toMatchObject({ status: 'review', version: 3 });
    const ok = await post({ ...base('party_members', t, 30), noticeGivenAt: before(t, 3) });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('resolution');
    expect(ok.body.meetings.at(-1).noticeGivenAt).toBe(before(t, 3));
    // The villagers' assembly, 9 days: refused with the law named.
    const nine = await post({ ...base('villagers', t + 30_000, 100), noticeGivenAt: before(t + 30_000, 9) });
    expect(nine.status).toBe(409);
    expect(nine.body.error.message).toContain('村民委员会组织法第二十一条');
    const spec = await sys.call('GET', '/api/v1/openapi.json');
    expect(JSON.stringify(spec.body.components.schemas.RecordMeeting.properties.noticeGivenAt)).toContain('Art. 21');
  });
});
