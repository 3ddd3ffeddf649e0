import fs from 'node:fs';
import path from 'node:path';
import { loadTemplates, TEMPLATES_DIR } from '../activities/templates';
import { applyMediationAction, CHANNEL_NAMES, LEVEL_NAMES, openMediation, ROUTE_NAMES, type MediationCase } from '../domain/mediation';
import { DEFAULT_POLICY } from '../domain/policy';

/** Every notice renders in Chinese with every field filled, for the transitions that send it. */
const render = loadTemplates();
const T0 = Date.parse('2026-11-02T09:00:00+08:00');
const village = '肃宁县/梁家村镇/东村';
const vm = { id: 'vm', name: '李调解', role: 'mediator' as const, area: village, level: 'village' as const };
const sup = { id: 's', name: '孙督导', role: 'supervisor' as const, area: '肃宁县' };
const cm = { id: 'cm', name: '县调解', role: 'mediator' as const, area: '肃宁县', level: 'county' as const, committee: 'neighbourhood' };

function dataFor(c: MediationCase, event = c.timeline[c.timeline.length - 1]) {
  return {
    case: c, event, levelName: LEVEL_NAMES[c.level], fromLevelName: event.from ? LEVEL_NAMES[event.from.level] : null,
    channelName: CHANNEL_NAMES[c.channel], routeName: c.outcome?.kind === 'failed' ? ROUTE_NAMES[c.outcome.route] : null,
    recipient: { name: '收件人' },
  };
}

test('each template is rendered by some transition, and no rendering leaves a gap', () => {
  const rendered = new Set<string>();
  const check = (c: MediationCase, notices: { template: string }[]) => {
    for (const n of notices) {
      const { subject, text } = render(n.template, dataFor(c));
      rendered.add(n.template);
      expect(subject).toMatch(/^【平安】/);
      expect(`${subject}\n${text}`).not.toMatch(/undefined|null|NaN|\[object/);
      expect(text).toContain('北京时间');
      // No label left without its value (the salutation on the first line excepted).
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (i > 0 && line.length <= 10 && line.endsWith('：')) expect(`${line}${lines[i + 1] ?? ''}`).not.toBe(line);
      });
    }
  };
  const o = openMediation({
    caseId: 'MED-0000000000AA', category: 'neighbourhood', summary: '排水沟纠纷', area: village, channel: 'grid',
    parties: [{ name: '张三', role: 'applicant', email: 'z@example.cn' }, { name: '李四', role: 'respondent' }],
    reportedBy: { id: 'g', name: '网格员', role: 'grid_worker' }, reportedAt: T0, policy: DEFAULT_POLICY,
  });
  check(o.case, o.notices);
  const step = (c: MediationCase, a: Parameters<typeof applyMediationAction>[1], t: number) => {
    const r = applyMediationAction(c, a, t, DEFAULT_POLICY);
    check(r.next, r.notices);
    return r.next;
  };
  const sys = { id: 'system', name: '系统', role: 'system' as const };
  let c = step(o.case, { type: 'remind', actor: sys, kind: 'acceptance' }, T0 + 18 * 3600_000);
  c = step(c, { type: 'assign', actor: vm, mediators: [{ ...vm, id: 'vm2', name: '赵调解' }] }, T0 + 19 * 3600_000);
  c = step(c, { type: 'escalate', actor: sys, reason: 'acceptance_limit' }, T0 + 24 * 3600_000);
  c = step(c, { type: 'escalate', actor: sys, reason: 'acceptance_limit' }, T0 + 48 * 3600_000);
  c = step(c, { type: 'markOverdue', actor: sys, reason: 'acceptance_limit' }, T0 + 72 * 3600_000);
  c = step(c, { type: 'urge', actor: sup, message: '请说明' }, T0 + 73 * 3600_000);
  c = step(c, { type: 'accept', actor: cm }, T0 + 74 * 3600_000);
  c = step(c, { type: 'explain', actor: cm, explanation: '外出', targetDate: '2026-12-01T00:00:00+08:00' }, T0 + 75 * 3600_000);
  c = step(c, { type: 'remind', actor: sys, kind: 'level' }, T0 + 76 * 3600_000);
  const agreed = step(c, { type: 'recordAgreement', actor: cm, agreement: { form: 'oral', terms: '道歉', parties: ['张三', '李四'] } }, T0 + 80 * 3600_000);
  const due = step(agreed, { type: 'remind', actor: sys, kind: 'followUp' }, T0 + 40 * 86400_000);
  step(due, { type: 'recordFollowUp', actor: cm, performed: false, notes: '未履行', next: 'court' }, T0 + 41 * 86400_000);
  step(c, { type: 'recordFailure', actor: cm, reason: '分歧', route: 'administrative' }, T0 + 80 * 3600_000);
  step(c, { type: 'recordWithdrawal', actor: cm, party: '张三', reason: '撤回' }, T0 + 80 * 3600_000);
  step(c, { type: 'recordRefusal', actor: cm, party: '李四', reason: '拒绝' }, T0 + 80 * 3600_000);
  const files = fs.readdirSync(path.join(TEMPLATES_DIR, 'mediation')).map((f) => `mediation/${f.replace(/\.hbs$/, '')}`);
  expect([...rendered].sort()).toEqual(files.sort());
});

test('every petition and meeting notice renders with its fields filled', async () => {
  const { applyPetitionAction, registerPetition, DEADLINE_NAMES, DIRECTION_NAMES, REPLY_DECISIONS, STATUS_NAMES } = await import('../domain/petition');
  const officer = { id: 'po', name: '信访干部', role: 'petition_officer' as const };
  const rendered = new Set<string>();
  const check = (name: string, data: Record<string, unknown>) => {
    const { subject, text } = render(name, { ...data, recipient: { name: '收件人' } });
    rendered.add(name);
    expect(`${subject}\n${text}`).not.toMatch(/undefined|NaN|\[object/);
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (i > 0 && line.length <= 10 && line.endsWith('：')) expect(`${line}${lines[i + 1] ?? ''}`).not.toBe(line);
    });
  };
  const reg = registerPetition({
    petitionId: 'PET-0000000000AA', petitioner: { name: '周某', email: 'z@example.cn' }, subject: '补偿款', content: '内容',
    channel: 'visit', area: '肃宁县/梁家村镇', registeredBy: officer, registeredAt: T0, policy: DEFAULT_POLICY,
  });
  let p = reg.petition;
  const dataOf = (q: typeof p, event = q.timeline[q.timeline.length - 1]) => ({
    petition: q, event, statusName: STATUS_NAMES[q.status],
    deadlineName: event.details?.deadline ? DEADLINE_NAMES[event.details.deadline as keyof typeof DEADLINE_NAMES] : null,
    decisionName: q.reply ? REPLY_DECISIONS[q.reply.decision as keyof typeof REPLY_DECISIONS] : null,
    directionName: q.lastDirection ? DIRECTION_NAMES[q.lastDirection.direction] : null,
  });
  for (const n of reg.notices) check(n.template, dataOf(p));
  let t = T0;
  const step = (a: Parameters<typeof applyPetitionAction>[1]) => {
    t += 86400_000;
    const r = applyPetitionAction(p, a, t, DEFAULT_POLICY);
    p = r.next;
    for (const n of r.notices) check(n.template, dataOf(p));
    if (r.event.action === 'replied') check('petition/reply-document', dataOf(p));
  };
  const sys = { id: 'system', name: '系统', role: 'system' as const };
  step({ type: 'assign', actor: officer, unit: { name: '县自然资源局', headName: '王局长' } });
  step({ type: 'object', actor: officer, reasons: '不属本单位' });
  step({ type: 'assign', actor: officer, unit: { name: '县住建局', headName: '赵局长' } });
  step({ type: 'assignLeader', actor: officer, leader: { id: 'l', name: '包案领导', role: 'leader' } });
  step({ type: 'accept', actor: officer, notice: '依法受理' });
  step({ type: 'warn', actor: sys, deadline: 'handleBy' });
  step({ type: 'deadlinePassed', actor: sys, deadline: 'handleBy' });
  step({ type: 'extend', actor: officer, days: 30, reason: '需鉴定', approvedBy: '赵局长' });
  step({ type: 'weeklyReview', actor: officer, meetingId: 'MTG-1', direction: 'continue', note: '抓紧' });
  step({ type: 'weeklyReview', actor: officer, meetingId: 'MTG-1', direction: 'escalate', note: '提级' });
  step({ type: 'reply', actor: officer, decision: 'partially_supported', opinion: '部分支持' });
  step({ type: 'requestReview', actor: officer, reason: '不服' });
  step({ type: 'answerReview', actor: officer, opinion: '维持' });
  step({ type: 'requestReReview', actor: officer, reason: '仍不服' });
  step({ type: 'answerReReview', actor: officer, opinion: '终结' });
  // 访调对接: transferred (the clock held), then back without an agreement, and another settled by one.
  const { mediationIdForPetition, MEDIATION_OUTCOME_NAMES } = await import('../domain/petition');
  const referral = { category: 'neighbourhood', area: '肃宁县/梁家村镇/东村', respondents: [{ name: '吴某' }] };
  for (const outcome of ['refused', 'agreement']) {
    p = registerPetition({ ...reg.petition, petitionId: `PET-0000000000B${outcome.length}`, registeredBy: officer, registeredAt: t, policy: DEFAULT_POLICY }).petition;
    const mediationId = mediationIdForPetition(p.id);
    step({ type: 'transferToMediation', actor: officer, mediationId, referral });
    t += 86400_000;
    const r = applyPetitionAction(p, { type: 'mediationOutcome', actor: sys, mediationId, outcome }, t, DEFAULT_POLICY);
    p = r.next;
    const deadlineList = Object.entries(p.deadlines).map(([k, at]) => ({ name: DEADLINE_NAMES[k as keyof typeof DEADLINE_NAMES], at }));
    for (const n of r.notices) check(n.template, { ...dataOf(p), outcomeName: MEDIATION_OUTCOME_NAMES[outcome], deadlineList });
  }
  const item = { id: p.id, subject: p.subject, petitioner: '周某', area: p.area, status: 'accepted', statusName: '办理中', leader: null, nextDeadline: null, dueWithinWeek: true, overdue: true, noProgressSinceLastMeeting: true };
  const agenda = { meetingId: 'MTG-1', heldOn: '2026-11-30T09:00:00.000+08:00', previousMeeting: null, items: [item] };
  check('meeting/agenda', { agenda, heldOn: agenda.heldOn });
  check('meeting/flagged', { agenda, flagged: [{ petitionId: p.id, reason: 'no_direction', item }], minutesRecorded: false });
  const files = ['petition', 'meeting'].flatMap((d) => fs.readdirSync(path.join(TEMPLATES_DIR, d)).map((f) => `${d}/${f.replace(/\.hbs$/, '')}`));
  expect([...rendered].sort()).toEqual(files.sort());
});
