import { randomBytes } from 'node:crypto';
import {
  applyPetitionAction,
  checkPetitionAction,
  mediationIdForPetition,
  nextPetitionSystemAction,
  PetitionRefused,
  registerPetition,
  STATUS_NAMES,
  type Petition,
  type PetitionAction,
} from '../domain/petition';
import { DEFAULT_POLICY } from '../domain/policy';
import { DAY_MS, HOUR_MS, toShanghaiIso } from '../domain/time';
import { mediationState } from '../workflows/mediation';
import { mediationOutcome, petitionAction, petitionState, petitionWorkflow } from '../workflows/petition';
import { endOfDayAfter, everyDayWorked, expectWithinASecond, sleepUntilNine, startTimeSkipping, type TimeSkippingWorld } from './time-skipping';

/**
 * 访调对接: a petition transferred to mediation waits on it. Its own deadlines are held (no warning, no overdue alert)
 * while the mediation has it; an agreement closes it as resolved by mediation; any other outcome sends it back to the
 * step it was at with the time it had left. Pure rules first, then the workflow at real lengths (time-skipping).
 */
const P = DEFAULT_POLICY;
const T0 = Date.parse('2026-11-02T09:00:00+08:00');
const officer = { id: 'po', name: '信访干部', role: 'petition_officer' as const };
const sys = { id: 'system', name: '系统', role: 'system' as const };
const referral = { category: 'neighbourhood', area: '肃宁县/梁家村镇/东村', respondents: [{ name: '吴某' }] };
const fresh = (id = 'PET-00000000000A') =>
  registerPetition({
    petitionId: id, petitioner: { name: '周某', email: 'zhou@example.cn' }, subject: '邻居占用通道', content: '……',
    channel: 'visit', area: '肃宁县/梁家村镇', registeredBy: officer, registeredAt: T0, policy: P,
  }).petition;
const step = (p: Petition, a: PetitionAction, t: number) => applyPetitionAction(p, a, t, P);
const refusal = (p: Petition, a: PetitionAction, t: number) => {
  try {
    checkPetitionAction(p, a, t, P);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(PetitionRefused);
    return (err as Error).message;
  }
};
const transfer = (p: Petition) => ({ type: 'transferToMediation' as const, actor: officer, mediationId: mediationIdForPetition(p.id), referral });

test('the mediation case id follows from the petition alone', () => {
  expect(mediationIdForPetition('PET-00000000000A')).toMatch(/^MED-[0-9A-F]{12}$/);
  expect(mediationIdForPetition('PET-00000000000A')).toBe(mediationIdForPetition('PET-00000000000A'));
  expect(mediationIdForPetition('PET-00000000000A')).not.toBe(mediationIdForPetition('PET-00000000000B'));
  const p = fresh();
  expect(refusal(p, { ...transfer(p), mediationId: 'MED-000000000001' }, T0)).toMatch(mediationIdForPetition(p.id));
});

test('while the mediation has it, the petition is held: no deadline runs, no warning, no overdue alert', () => {
  let p = fresh();
  expect(nextPetitionSystemAction(p, P)!.action).toMatchObject({ type: 'warn', deadline: 'assignBy' });
  const r = step(p, transfer(p), T0 + 10 * DAY_MS);
  p = r.next;
  expect(p).toMatchObject({ status: 'in_mediation', deadlines: {}, overdue: false, linkedMediation: { id: mediationIdForPetition(p.id), outcome: null, heldFrom: 'registered' } });
  expect(STATUS_NAMES[p.status]).toBe('已转人民调解');
  // assignBy ended at 24:00 of Tuesday 17 November (the 15th day): 5 days 15 hours were left on the 12th at 09:00.
  expect(p.linkedMediation!.remainingMs).toEqual({ assignBy: 5 * DAY_MS + 15 * HOUR_MS });
  expect(nextPetitionSystemAction(p, P)).toBeNull();
  expect(r.notices.map((n) => n.template)).toEqual(['petition/transferred']);
  // Nothing else moves it while it waits; a second transfer is refused.
  expect(refusal(p, { type: 'assign', actor: officer, unit: { name: '县住建局', headName: '赵局长' } }, T0 + 11 * DAY_MS)).toMatch(/已转人民调解/);
  expect(refusal(p, transfer(p), T0 + 11 * DAY_MS)).toMatch(/already transferred/);
});

test('no agreement: the petition returns to its step and its deadlines resume with the time they had left', () => {
  let p = fresh();
  p = step(p, { type: 'assign', actor: officer, unit: { name: '县住建局', headName: '赵局长' } }, T0 + DAY_MS).next;
  p = step(p, { type: 'accept', actor: officer, notice: '受理' }, T0 + 2 * DAY_MS).next;
  const handleBy = Date.parse(p.deadlines.handleBy!);
  p = step(p, transfer(p), T0 + 12 * DAY_MS).next; // what was left of the handling limit is held
  const back = step(p, { type: 'mediationOutcome', actor: sys, mediationId: p.linkedMediation!.id, outcome: 'refused' }, T0 + 72 * DAY_MS);
  expect(back.next).toMatchObject({ status: 'accepted', overdue: false, finished: false, linkedMediation: { outcome: 'refused' } });
  expect(back.next.deadlines.handleBy).toBe(toShanghaiIso(T0 + 72 * DAY_MS + (handleBy - (T0 + 12 * DAY_MS))));
  expect(Date.parse(back.next.deadlines.handleBy!) - handleBy).toBe(60 * DAY_MS); // exactly the 60 days it waited
  expect(back.event.action).toBe('returned_from_mediation');
  expect(back.notices.map((n) => n.template)).toEqual(['petition/mediation-outcome']);
  // And it is handled on from there: an extension, a reply.
  expect(refusal(back.next, { type: 'reply', actor: officer, decision: 'supported', opinion: '支持' }, T0 + 73 * DAY_MS)).toBeNull();
});

test('an agreement settles it: the petition closes as resolved by mediation', () => {
  let p = fresh();
  p = step(p, transfer(p), T0 + DAY_MS).next;
  const r = step(p, { type: 'mediationOutcome', actor: sys, mediationId: p.linkedMediation!.id, outcome: 'agreement' }, T0 + 5 * DAY_MS);
  expect(r.next).toMatchObject({ status: 'closed', closedReason: 'resolved_by_mediation', finished: true, reReviewCompleted: false, deadlines: {} });
  expect(r.event.action).toBe('resolved_by_mediation');
  expect(nextPetitionSystemAction(r.next, P)).toBeNull();
});

test('only an unanswered petition is transferred, and only its own case speaks for it', () => {
  let p = fresh();
  const other = { type: 'mediationOutcome' as const, actor: sys, mediationId: 'MED-FFFFFFFFFFFF', outcome: 'agreement' };
  expect(refusal(p, other, T0)).toMatch(/not the mediation/);
  for (const a of [
    { type: 'assign', actor: officer, unit: { name: '县住建局', headName: '赵局长' } },
    { type: 'accept', actor: officer, notice: '受理' },
    { type: 'reply', actor: officer, decision: 'supported', opinion: '支持' },
  ] as const) p = step(p, a, T0 + HOUR_MS).next;
  expect(refusal(p, transfer(p), T0 + DAY_MS)).toMatch(/已答复/);
  // Petitions registered before the rule keep the old meaning: a link only, whatever their state.
  const legacy = registerPetition({ ...fresh(), petitionId: 'PET-00000000000C', registeredBy: officer, registeredAt: T0, policy: P }, { transferHoldsClock: false }).petition;
  const linked = step(legacy, { type: 'transferToMediation', actor: officer, mediationId: 'MED-0000000000AB' }, T0).next;
  expect(linked).toMatchObject({ status: 'registered', linkedMediation: { id: 'MED-0000000000AB', outcome: null } });
  expect(linked.deadlines.assignBy).toBeDefined();
});

describe('the petition workflow at real lengths', () => {
  let world: TimeSkippingWorld;
  beforeAll(async () => {
    world = await startTimeSkipping('petition-transfer');
  });
  afterAll(async () => {
    await world?.stop();
  });

  test('the workflow starts the case under the derived id; held 30 days without an alert; stray outcomes ignored; then it resumes', async () => {
    const { env, taskQueue } = world;
    const t0 = await sleepUntilNine(env);
    const petitionId = `PET-${randomBytes(6).toString('hex').toUpperCase()}`;
    const h = await env.client.workflow.start(petitionWorkflow, {
      taskQueue,
      workflowId: petitionId,
      args: [{
        petitionId, petitioner: { name: '周某' }, subject: '邻居占用通道', content: '…', channel: 'letter',
        area: '肃宁县/计时镇', registeredBy: officer, registeredAt: t0, policy: everyDayWorked(),
      }],
    });
    await env.sleep(10 * DAY_MS);
    const mediationId = mediationIdForPetition(petitionId);
    const transfer = await h.executeUpdate(petitionAction, { args: [{ type: 'transferToMediation', actor: officer, mediationId, referral }] });
    // A compact petition answers with the transition; the petition itself is read by query (or from the register).
    expect(transfer).toMatchObject({ id: petitionId, status: 'in_mediation', event: { action: 'transferred_to_mediation' } });
    expect(transfer).not.toHaveProperty('timeline');
    let p = await h.query(petitionState);
    expect(p.status).toBe('in_mediation');
    const transferredAt = Date.parse(p.lastProgressAt);
    // The petition started the mediation case itself, under the id that follows from the petition.
    const c = await env.client.workflow.getHandle(mediationId).query(mediationState);
    expect(c).toMatchObject({ channel: 'petition', referral: { source: '信访', reference: petitionId } });
    expect(c.parties.map((x) => x.name)).toEqual(['周某', '吴某']);

    // The 15-day assignment limit would have passed on day 15: held, nothing is warned or alerted.
    await env.sleep(30 * DAY_MS);
    p = await h.query(petitionState);
    expect(p.status).toBe('in_mediation');
    expect(p.overdue).toBe(false);
    expect(p.timeline.filter((e) => e.action.startsWith('deadline_'))).toEqual([]);

    // An outcome from a case that is not the petition's link changes nothing.
    await h.signal(mediationOutcome, { mediationId: 'MED-FFFFFFFFFFFF', outcome: 'agreement' });
    p = await h.query(petitionState);
    expect(p.status).toBe('in_mediation');
    expect(p.linkedMediation!.id).toBe(mediationId);

    // The mediation ends without an agreement: back to registration with the 5 days that were left.
    await h.signal(mediationOutcome, { mediationId, outcome: 'refused' });
    for (let i = 0; i < 50 && p.status === 'in_mediation'; i++) p = await h.query(petitionState);
    expect(p.status).toBe('registered');
    const resumedAt = Date.parse(p.lastProgressAt);
    // What was left at the transfer (15 days from registration, less the 10 that had run), counted from the return.
    const assignBy = endOfDayAfter(t0, 15); // 24:00 of the 15th day, every day being worked in this policy
    expect(Date.parse(p.deadlines.assignBy!) - resumedAt).toBe(assignBy - transferredAt);
    await env.sleep(6 * DAY_MS);
    p = await h.query(petitionState);
    const passed = p.timeline.find((e) => e.action === 'deadline_passed')!;
    // The limit's own clock: 10 days before the transfer and the rest after the mediation; the time in mediation did not count.
    expectWithinASecond(Date.parse(passed.at) - (resumedAt - transferredAt), assignBy);
    await h.terminate('test over');
    await env.client.workflow.getHandle(mediationId).terminate('test over');
  });
});
