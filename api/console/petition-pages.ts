import { Router } from 'express';
import { DEADLINE_NAMES, DIRECTION_NAMES, STATUS_NAMES, type Direction, type Petition, type PetitionStatus } from '../../domain/petition';
import { petitionState } from '../../workflows/petition';
import { listRegister, liveOrRegistered } from '../register';
import { petitionListScope, requireReader, visiblePetition } from '../petitions';
import { display, timeLeft } from './format';
import { member, type ConsoleDeps, type pageRenderer } from './http';

/**
 * The petition register for petition officers (their area) and leaders (the petitions they are 包案领导 of), and a
 * page per petition with every step, every deadline and the reply. Who may read what is the API's rule
 * (api/petitions.ts: requireReader, petitionListScope, visiblePetition); a petition the member may not read is 404.
 */
type Page = ReturnType<typeof pageRenderer>;

const CHANNEL_NAMES: Record<string, string> = { letter: '来信', visit: '来访', online: '网上信访' };
const DECISION_NAMES: Record<string, string> = { supported: '支持', partially_supported: '部分支持', not_supported: '不支持' };

/** The steps of the timeline in words; an action the console does not know yet is shown by its name. */
const TIMELINE_NAMES: Record<string, string> = {
  registered: '登记信访事项',
  assigned: '转送交办',
  objected: '责任单位提出异议',
  leader_assigned: '确定包案领导',
  leader_reassigned: '更换包案领导',
  accepted: '受理并书面告知',
  extended: '延长办理期限',
  replied: '出具答复意见书',
  review_requested: '申请复查',
  review_answered: '复查答复',
  re_review_requested: '申请复核',
  hearing_started: '听证开始（期限暂停）',
  hearing_ended: '听证结束',
  re_review_answered: '复核答复',
  transferred_to_mediation: '转人民调解',
  mediation_outcome: '调解结果',
  resolved_by_mediation: '经调解化解',
  returned_from_mediation: '调解未成，恢复办理',
  weekly_review: '周调度会议定',
  deadline_warning: '期限预警',
  deadline_passed: '期限届满',
  closed: '办结',
};

const LIST_LIMIT = 200;

/** The deadlines still running, nearest first, with the time left in words. */
function deadlinesOf(p: Petition, now: number) {
  return Object.entries(p.deadlines)
    .filter((e): e is [keyof typeof DEADLINE_NAMES, string] => typeof e[1] === 'string')
    .map(([key, at]) => ({ key, name: DEADLINE_NAMES[key], at, left: timeLeft(at, now) }))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function timelineText(e: Petition['timeline'][number]): string {
  const d = e.details ?? {};
  const parts: string[] = [];
  if (typeof d.direction === 'string') parts.push(DIRECTION_NAMES[d.direction as Direction] ?? d.direction);
  for (const k of ['note', 'reason', 'opinion', 'notice', 'reasons']) if (typeof d[k] === 'string' && d[k]) parts.push(d[k] as string);
  if (typeof d.unit === 'string') parts.push(d.unit);
  if (typeof d.days === 'number') parts.push(`${d.days}天`);
  if (typeof d.deadline === 'string') parts.push(DEADLINE_NAMES[d.deadline as keyof typeof DEADLINE_NAMES] ?? d.deadline);
  return parts.join('；');
}

export function petitionPages(deps: ConsoleDeps, page: Page): Router {
  const { db, client } = deps;
  const router = Router();
  const statuses = Object.entries(STATUS_NAMES).map(([value, name]) => ({ value, name }));

  router.get('/petitions', async (req, res) => {
    const actor = member(req);
    requireReader(actor, 'petitions');
    const raw = typeof req.query.status === 'string' ? req.query.status : '';
    const status = raw in STATUS_NAMES ? (raw as PetitionStatus) : undefined;
    const rows = await listRegister<Petition>(db, 'petition', { ...petitionListScope(actor), status }, { limit: LIST_LIMIT, offset: 0 });
    const now = Date.now();
    const items = rows.map((p) => {
      const next = deadlinesOf(p, now)[0];
      return { id: p.id, subject: p.subject, petitioner: p.petitioner.name, area: p.area, statusName: STATUS_NAMES[p.status], overdue: p.overdue, leader: p.leader?.name, unit: p.unit?.name, next };
    });
    const title = actor.role === 'leader' ? '我包案的信访事项' : '信访登记簿';
    page(req, res, 'petitions', { title, items, statuses, status: status ?? '', full: rows.length === LIST_LIMIT, limit: LIST_LIMIT });
  });

  router.get('/petitions/:id', async (req, res) => {
    const actor = member(req);
    const registered = await visiblePetition(db, actor, req.params.id);
    const p = await liveOrRegistered(client, registered, petitionState, req);
    const now = Date.now();
    const doc = p.reply
      ? (await db.query<{ title: string; body: string; created_at: Date }>('SELECT title, body, created_at FROM documents WHERE case_id = $1 AND id = $2', [p.id, p.reply.documentId])).rows[0]
      : undefined;
    page(req, res, 'petition', {
      title: `信访事项 ${p.id}`,
      p,
      statusName: STATUS_NAMES[p.status],
      channelName: CHANNEL_NAMES[p.channel] ?? p.channel,
      deadlines: deadlinesOf(p, now),
      reply: p.reply ? { ...p.reply, decisionName: DECISION_NAMES[p.reply.decision] ?? p.reply.decision } : null,
      document: doc ? { title: doc.title, body: doc.body, at: display(doc.created_at) } : null,
      direction: p.lastDirection ? { ...p.lastDirection, name: DIRECTION_NAMES[p.lastDirection.direction] } : null,
      timeline: p.timeline.map((e) => ({ ...e, name: TIMELINE_NAMES[e.action] ?? e.action, toName: STATUS_NAMES[e.to], text: timelineText(e) })),
    });
  });
  return router;
}
