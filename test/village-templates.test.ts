import fs from 'node:fs';
import path from 'node:path';
import { loadTemplates, TEMPLATES_DIR } from '../activities/templates';
import { loadBoardTemplates } from '../api/notices';
import { DEFAULT_POLICY } from '../domain/policy';
import { toShanghaiIso } from '../domain/time';
import {
  applyVillageAction,
  nextVillageSystemAction,
  openVillageMatter,
  publicNoticeView,
  villageMailData,
  type VillageAction,
  type VillageMatter,
  type VillageNotice,
  type VillageStaff,
} from '../domain/village';

/** Every village mail and public notice renders in Chinese with every field filled, for the transitions that send it. */
const render = loadTemplates();
const T0 = Date.parse('2026-11-02T09:00:00+08:00');
const HOUR = 3600_000;
const village = '肃宁县/梁家村镇/东村';
const clerk: VillageStaff = { id: 'c', name: '村文书', role: 'village_clerk', area: village };

test('each village template is rendered by some transition, and no rendering leaves a gap', () => {
  const rendered = new Set<string>();
  const check = (m: VillageMatter, notices: VillageNotice[]) => {
    for (const n of notices) {
      const { subject, text } = render(n.template, { ...villageMailData(m, m.timeline[m.timeline.length - 1]), recipient: { name: '收件人' } });
      rendered.add(n.template);
      expect(subject).toMatch(/^【平安】/);
      expect(`${subject}\n${text}`).not.toMatch(/undefined|null|NaN|\[object|Invalid/);
      expect(text).toContain('北京时间');
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (i > 0 && line.length <= 10 && line.endsWith('：')) expect(`${line}${lines[i + 1] ?? ''}`).not.toBe(line);
      });
    }
    for (const n of m.notices) {
      const { subject, text } = render(`village/${n.kind}-notice`, { notice: publicNoticeView(m, n.id) });
      rendered.add(`village/${n.kind}-notice`);
      expect(subject).toMatch(/^关于「硬化村内道路」的(决议|实施结果)公开$/);
      expect(text).not.toMatch(/undefined|null|NaN|\[object|Invalid/);
      expect(text).toContain('东村村民委员会');
    }
  };
  const o = openVillageMatter({
    matterId: 'VIL-0000000000AA', type: 'public_works', title: '硬化村内道路', description: '主街1.2公里', amount: 350000,
    area: village, openedBy: clerk, openedAt: T0, policy: DEFAULT_POLICY,
  });
  check(o.matter, o.notices);
  let m = o.matter;
  let t = T0;
  const step = (a: VillageAction, at = (t += HOUR)) => {
    const r = applyVillageAction(m, a, at, DEFAULT_POLICY);
    check(r.next, r.notices);
    return (m = r.next);
  };
  const meet = (body: 'party_branch' | 'two_committees' | 'party_members' | 'representatives', entitled: number, present: number, votesFor: number) =>
    step({
      type: 'recordMeeting', actor: clerk,
      meeting: { body, heldAt: toShanghaiIso(t), noticeGivenAt: toShanghaiIso(t - 11 * 86_400_000), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: '记录' },
    });
  const clock = () => {
    const due = nextVillageSystemAction(m)!;
    t = due.at;
    return step(due.action, due.at);
  };
  clock(); // step reminder
  meet('party_branch', 5, 5, 5);
  meet('two_committees', 8, 4, 4); // no quorum
  const beforeRejection = meet('two_committees', 8, 6, 3); // rejected
  step({ type: 'decideAfterRejection', actor: clerk, choice: 'end', reason: '不再推进' });
  m = beforeRejection;
  step({ type: 'decideAfterRejection', actor: clerk, choice: 'return', reason: '重新提议' });
  meet('party_branch', 5, 5, 5);
  meet('two_committees', 8, 8, 8);
  clock(); // step reminder
  clock(); // township alert at 20 days
  expect(m.timeline.at(-1)!.action).toBe('township_alerted');
  meet('party_members', 30, 20, 11);
  meet('representatives', 30, 20, 11);
  const noticeId = m.notices[0].id;
  step({ type: 'fileObjection', actor: { id: 'public', name: '村民', role: 'public' }, objection: { id: 'OBJ-1', noticeId, text: '有意见', email: 'a@example.cn' } });
  clock(); // notice ended, one objection open
  step({ type: 'answerObjection', actor: clerk, objectionId: 'OBJ-1', answer: '已答复' });
  step({ type: 'recordProgress', actor: clerk, note: '完成一半' });
  step({ type: 'completeImplementation', actor: clerk, result: '完成' });
  clock(); // result notice ended: closed
  expect(m.status).toBe('closed');
  const files = fs.readdirSync(path.join(TEMPLATES_DIR, 'village')).map((f) => `village/${f.replace(/\.hbs$/, '')}`);
  expect([...rendered].sort()).toEqual(files.sort());
});

test('the board templates escape what people typed', () => {
  const board = loadBoardTemplates();
  const html = board('message', { title: '<b>标题</b>', message: '<script>alert(1)</script>', generatedAt: toShanghaiIso(T0) });
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(html).toContain('<title>&lt;b&gt;标题&lt;/b&gt; · 村务公开栏</title>');
  expect(html).not.toContain('<script>');
});
