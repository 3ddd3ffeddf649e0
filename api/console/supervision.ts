import { Router } from 'express';
import { areaSegments } from '../../domain/areas';
import { LEVEL_NAMES, nextDeadline } from '../../domain/mediation';
import { MEDIATION_LEVELS } from '../../domain/policy';
import { DAY_MS } from '../../domain/time';
import { STATUS_NAMES, timeLeft } from './format';
import { member, type ConsoleDeps, type pageRenderer } from './http';
import { openMediationsIn } from './worklist';

interface Watched {
  id: string;
  summary: string;
  categoryName: string;
  area: string;
  township: string;
  level: string;
  levelName: string;
  statusName: string;
  deadline: string | null;
  left: { text: string; overdue: boolean } | null;
  overdue: boolean;
  explanationRequired: boolean;
}

/** Cases due within this many days count as "due soon" on the supervisor's overview. */
export const DUE_SOON_DAYS = 3;

/**
 * The supervisor's overview of its area: open cases overdue or due within 3 days, counted by township and level,
 * listed worst first (most overdue, then nearest deadline).
 */
export function supervisionPages(deps: ConsoleDeps, page: ReturnType<typeof pageRenderer>): Router {
  const router = Router();
  router.get('/overview', async (req, res) => {
    const actor = member(req);
    const now = Date.now();
    const watched: Watched[] = [];
    for (const c of await openMediationsIn(deps, actor.area)) {
      const d = nextDeadline(c);
      const overdue = c.overdue || (!!d && Date.parse(d) < now);
      if (!overdue && !(d && Date.parse(d) - now <= DUE_SOON_DAYS * DAY_MS)) continue;
      watched.push({
        id: c.id,
        summary: c.summary,
        categoryName: c.categoryName,
        area: c.area,
        township: areaSegments(c.area).slice(0, 2).join('/'),
        level: c.level,
        levelName: LEVEL_NAMES[c.level],
        statusName: STATUS_NAMES[c.status],
        deadline: d,
        left: d ? timeLeft(d, now) : null,
        overdue,
        explanationRequired: c.explanationRequired,
      });
    }
    watched.sort((a, b) => Number(b.overdue) - Number(a.overdue) || Date.parse(a.deadline ?? '') - Date.parse(b.deadline ?? ''));
    const townships = [...new Set(watched.map((w) => w.township))].sort().map((t) => {
      const here = watched.filter((w) => w.township === t);
      return {
        name: t.split('/').slice(1).join('') || t,
        path: t,
        overdue: here.filter((w) => w.overdue).length,
        soon: here.filter((w) => !w.overdue).length,
        byLevel: MEDIATION_LEVELS.map((l) => ({
          name: LEVEL_NAMES[l],
          overdue: here.filter((w) => w.level === l && w.overdue).length,
          soon: here.filter((w) => w.level === l && !w.overdue).length,
        })),
      };
    });
    townships.sort((a, b) => b.overdue - a.overdue || b.soon - a.soon);
    page(req, res, 'overview', {
      title: '辖区总览',
      area: actor.area === '*' ? '全县' : actor.area,
      watched,
      townships,
      levels: MEDIATION_LEVELS.map((l) => LEVEL_NAMES[l]),
      overdue: watched.filter((w) => w.overdue).length,
      soon: watched.filter((w) => !w.overdue).length,
      days: DUE_SOON_DAYS,
    });
  });
  return router;
}
