import { Router, type Request } from 'express';
import type { Actor } from '../../domain/actors';
import { nextDeadline, type MediationCase } from '../../domain/mediation';
import { availableMediationActions } from '../../domain/mediation-available';
import type { Policy } from '../../domain/policy';
import { staff } from '../mediations';
import { timeLeft } from './format';
import { chosenAs, filterBox } from './case-list';
import { member, type ConsoleDeps, type pageRenderer } from './http';
import { sqlAreaWithin } from '../../platform/area-sql';
import { villageTasks } from './village-pages';
import { petitionTasks } from './petition-actions';

/**
 * 待办 (my work): everything waiting for this member's action, across processes, nearest deadline first.
 * Each process contributes a task source; petitions and village matters add theirs to TASK_SOURCES.
 */
export interface WorkItem {
  kind: 'mediation' | 'petition' | 'village_decision';
  kindName: string;
  id: string;
  title: string;
  area: string;
  /** What is waiting, in words: 待受理, 调解中, 督办待说明 … */
  task: string;
  deadline: string | null;
  left: { text: string; overdue: boolean } | null;
  url: string;
}

export type TaskSource = (deps: ConsoleDeps, actor: Actor, now: number) => Promise<WorkItem[]>;

/** Open cases inside the member's area, as the register holds them. */
export async function openMediationsIn(deps: ConsoleDeps, area: string, limit = 1000): Promise<MediationCase[]> {
  const r = await deps.db.query<{ snapshot: MediationCase }>(
    `SELECT snapshot FROM cases
      WHERE kind = 'mediation' AND NOT coalesce((snapshot->>'finished')::boolean, false)
        AND ($1 = '*' OR ${sqlAreaWithin('area', '$1')})
      ORDER BY next_deadline NULLS LAST LIMIT $2`,
    [area, limit],
  );
  return r.rows.map((x) => x.snapshot);
}

/** The task a mediation case sets this member, decided from the actions the domain allows it now. */
export function mediationTask(c: MediationCase, actor: Actor, now: number, policy: Policy): string | null {
  const can = new Set(availableMediationActions(c, staff(actor), now, policy));
  if (can.has('explanation')) return '督办待说明';
  if (can.has('accept')) return '待受理';
  if (can.has('session')) return c.overdue ? '调解中（已逾期）' : '调解中';
  if (can.has('followUp')) return '待回访';
  if (can.has('urge') && c.overdue) return '逾期待督办';
  return null;
}

const mediationTasks: TaskSource = async (deps, actor, now) => {
  if (actor.role !== 'mediator' && actor.role !== 'supervisor') return [];
  const items: WorkItem[] = [];
  for (const c of await openMediationsIn(deps, actor.area)) {
    const task = mediationTask(c, actor, now, deps.policy);
    if (!task) continue;
    const deadline = nextDeadline(c);
    items.push({
      kind: 'mediation',
      kindName: '人民调解',
      id: c.id,
      title: `${c.categoryName}：${c.summary}`,
      area: c.area,
      task,
      deadline,
      left: deadline ? timeLeft(deadline, now) : null,
      url: `/console/mediations/${c.id}`,
    });
  }
  return items;
};

export const TASK_SOURCES: TaskSource[] = [mediationTasks, villageTasks, petitionTasks];

export const KIND_NAMES: Record<WorkItem['kind'], string> = { mediation: '人民调解', petition: '信访事项', village_decision: '四议两公开' };

export async function workItems(deps: ConsoleDeps, actor: Actor, now: number): Promise<WorkItem[]> {
  const all = (await Promise.all(TASK_SOURCES.map((s) => s(deps, actor, now)))).flat();
  const at = (w: WorkItem) => (w.deadline ? Date.parse(w.deadline) : Number.POSITIVE_INFINITY);
  return all.sort((a, b) => at(a) - at(b));
}

export function worklistPages(deps: ConsoleDeps, page: ReturnType<typeof pageRenderer>): Router {
  const router = Router();
  router.get('/', async (req: Request, res) => {
    const actor = member(req);
    const now = Date.now();
    const all = await workItems(deps, actor, now);
    const kind = typeof req.query.kind === 'string' && req.query.kind in KIND_NAMES ? req.query.kind : '';
    const overdueOnly = req.query.overdue === '1';
    const items = all.filter((w) => (!kind || w.kind === kind) && (!overdueOnly || w.left?.overdue));
    const counts = (Object.keys(KIND_NAMES) as WorkItem['kind'][]).map((k) => ({
      kind: k,
      name: KIND_NAMES[k],
      n: all.filter((w) => w.kind === k).length,
      overdue: all.filter((w) => w.kind === k && w.left?.overdue).length,
      current: kind === k,
    }));
    page(req, res, 'worklist', {
      title: '待办',
      items,
      total: all.length,
      overdueTotal: all.filter((w) => w.left?.overdue).length,
      counts,
      filter: { kind, overdue: overdueOnly },
      filters: filterBox('/console', [chosenAs('类别', kind && KIND_NAMES[kind as WorkItem['kind']]), overdueOnly && '只看已超期'], items.length > 0),
      welcome: req.query.welcome === '1',
      canReport: actor.role === 'grid_worker' || actor.role === 'mediator',
    });
  });
  return router;
}
