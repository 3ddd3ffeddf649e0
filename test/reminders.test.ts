import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  applyMediationAction,
  isStaleReminder,
  nextSystemAction,
  openMediation,
  type ActingStaff,
  type MediationCase,
} from '../domain/mediation';
import { applyPetitionAction, nextPetitionSystemAction, registerPetition, type Petition } from '../domain/petition';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { DAY_MS, HOUR_MS } from '../domain/time';
import { applyVillageAction, nextVillageSystemAction, openVillageMatter, villageMailData } from '../domain/village';
import { loadTemplates } from '../activities/templates';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * No reminder about a deadline that has passed (issue 8): accepting an overdue county case used to mail a
 * `level_reminder` about a level limit already past. Pure rules first, then the real workflow with a short policy.
 */
const P = DEFAULT_POLICY;
const T0 = Date.parse('2026-11-02T09:00:00+08:00'); // a Monday
const SYS = { id: 'system', name: '系统', role: 'system' as const };
const county = '肃宁县';
const village = `${county}/梁家村镇/东村`;
const cm: ActingStaff = { id: 'cm', name: '县调解', role: 'mediator', area: county, level: 'county', committee: 'neighbourhood' };

function countyCase(): MediationCase {
  return openMediation({
    caseId: 'MED-00000000000B', category: 'neighbourhood', seriousness: 'major', summary: '多户宅基地纠纷', area: village,
    channel: 'grid', parties: [{ name: '张三', role: 'applicant' }, { name: '李四', role: 'respondent' }],
    reportedBy: { id: 'grid', name: '网格员', role: 'grid_worker' }, reportedAt: T0, policy: P,
  }).case;
}

describe('mediation reminders (pure)', () => {
  test('an overdue county case accepted after its level limit passed gets no level reminder', () => {
    let c = countyCase();
    expect(c.level).toBe('county');
    const levelDeadline = Date.parse(c.deadlines.levelDeadline!);
    c = applyMediationAction(c, { type: 'markOverdue', actor: SYS, reason: 'acceptance_limit' }, Date.parse(c.deadlines.acceptBy!), P).next;
    c = applyMediationAction(c, { type: 'markOverdue', actor: SYS, reason: 'level_limit' }, levelDeadline, P).next;
    const acceptedAt = levelDeadline + DAY_MS;
    c = applyMediationAction(c, { type: 'accept', actor: cm }, acceptedAt, P).next;
    // Recorded cases (no `now`) keep the old behaviour, so their histories replay.
    expect(nextSystemAction(c)?.action).toMatchObject({ type: 'remind', kind: 'level' });
    expect(isStaleReminder(c, { type: 'remind', actor: SYS, kind: 'level' }, acceptedAt)).toBe(true);
    expect(nextSystemAction(c, acceptedAt)).toBeNull(); // the level limit is already marked overdue: nothing left
  });

  test('accepted before the level limit, the reminder still goes; one moment after the limit it does not', () => {
    let c = countyCase();
    const levelDeadline = Date.parse(c.deadlines.levelDeadline!);
    c = applyMediationAction(c, { type: 'markOverdue', actor: SYS, reason: 'acceptance_limit' }, Date.parse(c.deadlines.acceptBy!), P).next;
    const before = applyMediationAction(c, { type: 'accept', actor: cm }, levelDeadline - HOUR_MS, P).next;
    expect(nextSystemAction(before, levelDeadline - HOUR_MS)?.action).toMatchObject({ type: 'remind', kind: 'level' });
    // The reminder's timer fired late (worker down): at the deadline itself the reminder is stale, the overdue mark is next.
    expect(isStaleReminder(before, { type: 'remind', actor: SYS, kind: 'level' }, levelDeadline)).toBe(true);
    expect(nextSystemAction(before, levelDeadline)?.action).toMatchObject({ type: 'markOverdue', reason: 'level_limit' });
  });

  test('the acceptance reminder is not sent once the acceptance limit has passed; the follow-up notice is not a reminder', () => {
    const c = countyCase();
    const acceptBy = Date.parse(c.deadlines.acceptBy!);
    expect(nextSystemAction(c, acceptBy - 1)?.action).toMatchObject({ type: 'remind', kind: 'acceptance' });
    expect(nextSystemAction(c, acceptBy)?.action).toMatchObject({ type: 'markOverdue', reason: 'acceptance_limit' });
    expect(isStaleReminder(c, { type: 'remind', actor: SYS, kind: 'followUp' }, T0 + 400 * DAY_MS)).toBe(false);
  });
});

describe('petition warnings (pure)', () => {
  const officer = { id: 'po', name: '信访干部', role: 'petition_officer' as const };
  const fresh = (): Petition =>
    registerPetition({
      petitionId: 'PET-00000000000B', petitioner: { name: '周某' }, subject: '补偿款', content: '……', channel: 'visit',
      area: '肃宁县/梁家村镇', registeredBy: officer, registeredAt: T0, policy: P,
    }).petition;

  test('a warning whose deadline has passed by the time the clock runs is left out; the passed deadline is next', () => {
    const p = fresh();
    const assignBy = Date.parse(p.deadlines.assignBy!);
    expect(nextPetitionSystemAction(p, P)?.action).toMatchObject({ type: 'warn', deadline: 'assignBy' });
    expect(nextPetitionSystemAction(p, P, assignBy - 1)?.action).toMatchObject({ type: 'warn', deadline: 'assignBy' });
    expect(nextPetitionSystemAction(p, P, assignBy + HOUR_MS)?.action).toMatchObject({ type: 'deadlinePassed', deadline: 'assignBy' });
  });

  test('no warning is due at or after its deadline, even when the last progress came after the deadline', () => {
    let p = fresh();
    p = applyPetitionAction(p, { type: 'assign', actor: officer, unit: { name: '县自然资源局', headName: '王局长' } }, T0 + DAY_MS, P).next;
    p = applyPetitionAction(p, { type: 'accept', actor: officer, notice: '受理' }, T0 + 2 * DAY_MS, P).next;
    const handleBy = Date.parse(p.deadlines.handleBy!);
    // Progress recorded after the handling deadline (a transfer to mediation): the warning would fall after it.
    const late = { ...p, lastProgressAt: new Date(handleBy + DAY_MS).toISOString() };
    const due = nextPetitionSystemAction(late, P)!;
    expect(due.action).toMatchObject({ type: 'deadlinePassed', deadline: 'handleBy' });
  });
});

describe('village step reminders (pure)', () => {
  const clerk = { id: 'c', name: '村文书', role: 'village_clerk' as const, area: village };
  const renderMail = loadTemplates();
  test('a step reminder after the procedure limit passed says the township was told, not that it will be', () => {
    let m = openVillageMatter({
      matterId: 'VIL-0000000000RR', type: 'village_rules', title: '修订村规民约', description: '……', area: village,
      openedBy: clerk, openedAt: T0, policy: P,
    }).matter;
    const mail = () => renderMail('village/step-reminder', { ...villageMailData(m, m.timeline.at(-1)!), recipient: { name: '文书' } }).text;
    // Step 1 waits: at 7 days the clerk is reminded, the procedure limit (20 days) is still ahead.
    let due = nextVillageSystemAction(m)!;
    m = applyVillageAction(m, due.action, due.at, P).next;
    expect(mail()).toContain('届时仍未完成的，将报乡镇督导');
    // The proposal is made on day 18; the discussion step then waits past the procedure limit (day 20) to day 25.
    const held = T0 + 18 * DAY_MS;
    const meeting = { body: 'party_branch' as const, heldAt: new Date(held).toISOString(), entitled: 5, present: 5, for: 5, against: 0, abstain: 0, minutes: '记录' };
    m = applyVillageAction(m, { type: 'recordMeeting', actor: clerk, meeting }, held, P).next;
    due = nextVillageSystemAction(m)!;
    expect(due.action.type).toBe('townshipAlert');
    m = applyVillageAction(m, due.action, due.at, P).next;
    due = nextVillageSystemAction(m)!;
    expect(due.action.type).toBe('stepReminder');
    m = applyVillageAction(m, due.action, due.at, P).next;
    const text = mail();
    expect(text).toContain('已届满，已报乡镇督导');
    expect(text).not.toContain('届时仍未完成');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The real workflow, over HTTP, with a short policy: county limits in seconds.

const short: Policy = JSON.parse(JSON.stringify(DEFAULT_POLICY));
short.version = 'test-short-reminders';
short.mediation.acceptanceLimit = { value: { value: 2, unit: 'seconds' }, source: 'test' };
short.mediation.levelLimits.county = { value: { value: 4, unit: 'seconds' }, source: 'test' };
short.mediation.reminderShare = { value: 0.5, source: 'test' };
let sys: TestSystem;
const policyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-policy-')), 'policy.json');

describe('the mediation workflow', () => {
  beforeAll(async () => {
    fs.writeFileSync(policyFile, JSON.stringify(short, null, 2));
    sys = await startTestSystem({ env: { POLICY_FILE: policyFile } });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  test('accepting a county case whose level limit has passed sends no level reminder', async () => {
    const where = uniqueVillage('提醒');
    const grid = await sys.user('grid_worker', where.village);
    const med = await sys.user('mediator', where.county, { level: 'county', committee: 'neighbourhood' });
    const sup = await sys.user('supervisor', where.county);
    const created = await sys.call('POST', '/api/v1/mediations', {
      token: grid.token,
      body: {
        category: 'neighbourhood', seriousness: 'major', summary: '多户宅基地纠纷', area: where.village, channel: 'grid',
        parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body.level).toBe('county');
    // Both county limits pass untouched: two overdue alerts to the supervisor.
    await sys.smtp.waitFor((m) => m.to.includes(sup.email) && m.subject.includes(id) && m.subject.includes('调解期限已届满'), 20_000);
    const accepted = await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: med.token, body: {} });
    expect(accepted.status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    const read = await sys.call('GET', `/api/v1/mediations/${id}`, { token: med.token });
    const actions = read.body.timeline.map((e: { action: string }) => e.action);
    expect(actions).toContain('accepted');
    expect(actions).not.toContain('level_reminder');
    expect(sys.smtp.messages.some((m) => m.to.includes(med.email) && m.subject.includes(id) && m.subject.includes('办理提醒') && m.text.includes('调解期限'))).toBe(false);
  });
});
