import { Router } from 'express';
import { areaSegments } from '../../domain/areas';
import { LEVEL_NAMES } from '../../domain/mediation';
import type { MediationLevel } from '../../domain/policy';
import { MEDIATION_LEVELS } from '../../domain/policy';
import { DAY_MS, toShanghaiIso } from '../../domain/time';
import { sqlCaseInArea } from '../../platform/area-sql';
import { STATUS_NAMES, timeLeft } from './format';
import { member, type ConsoleDeps, type pageRenderer } from './http';
import { overviewCounts, type OverviewCount } from './overview-counts';

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
/** The overview lists at most this many cases, worst first; its counts cover every case. */
export const WATCHED_LIMIT = 200;

/**
 * The supervisor's overview of its area: open cases overdue or due within 3 days, counted by township and level,
 * listed worst first (most overdue, then nearest deadline). The counts come from the summary of open cases by deadline
 * day (overviewCounts); the list is ordered by PostgreSQL over the register's columns (next_deadline is the register's
 * copy of domain nextDeadline), so that an area with a million cases sends the API its counts and one page.
 */
export async function overviewOf(
  db: ConsoleDeps['db'],
  area: string,
  now: number,
): Promise<{ watched: Watched[]; counts: OverviewCount[] }> {
  // $1 now, $2 the area, $3 the end of "due soon" (only in the queries that use it).
  const args: unknown[] = [new Date(now), area];
  const soonArgs = [...args, new Date(now + DUE_SOON_DAYS * DAY_MS)];
  // The county's equality lets cases_open_deadline walk the area's open cases in deadline order.
  const inArea = area === '*' ? '$2::text IS NOT NULL' : `area_county = split_part($2, '/', 1) AND ${sqlCaseInArea(area, '$2')}`;
  const open = `kind = 'mediation' AND NOT finished AND ${inArea}`;
  const late = '(overdue OR next_deadline < $1)';
  type Row = { id: string; area: string; level: string; status: string; next_deadline: Date | null; late: boolean; summary: string; category_name: string; explanation_required: boolean };
  const worst = (cond: string, limit: number, a: unknown[]) =>
    db.query<Row>(
      `SELECT id, area, level, status, next_deadline, ${late} AS late, snapshot->>'summary' AS summary,
              snapshot->>'categoryName' AS category_name,
              coalesce(snapshot->'explanationRequired' = 'true'::jsonb, false) AS explanation_required
         FROM cases WHERE ${open} AND ${cond} ORDER BY next_deadline NULLS LAST LIMIT ${limit}`,
      a,
    );
  const [counts, overdueRows] = await Promise.all([overviewCounts(db, area, now, DUE_SOON_DAYS), worst(late, WATCHED_LIMIT, args)]);
  // Most overdue first, then the nearest deadlines.
  const rows = overdueRows.rows.length < WATCHED_LIMIT
    ? [...overdueRows.rows, ...(await worst(`NOT ${late} AND next_deadline <= $3`, WATCHED_LIMIT - overdueRows.rows.length, soonArgs)).rows]
    : overdueRows.rows;
  const watched = rows.map((c): Watched => {
    const d = c.next_deadline ? toShanghaiIso(c.next_deadline.getTime()) : null;
    const level = c.level as MediationLevel;
    return {
      id: c.id,
      summary: c.summary,
      categoryName: c.category_name,
      area: c.area,
      township: areaSegments(c.area).slice(0, 2).join('/'),
      level,
      levelName: LEVEL_NAMES[level],
      statusName: STATUS_NAMES[c.status as keyof typeof STATUS_NAMES],
      deadline: d,
      left: d ? timeLeft(d, now) : null,
      overdue: c.late,
      explanationRequired: c.explanation_required,
    };
  });
  return { watched, counts };
}

export function supervisionPages(deps: ConsoleDeps, page: ReturnType<typeof pageRenderer>): Router {
  const router = Router();
  router.get('/overview', async (req, res) => {
    const actor = member(req);
    const { watched, counts } = await overviewOf(deps.db, actor.area, Date.now());
    const sum = (rows: typeof counts, k: 'overdue' | 'soon') => rows.reduce((n, r) => n + r[k], 0);
    const townships = [...new Set(counts.map((c) => c.township))].sort().map((t) => {
      const here = counts.filter((c) => c.township === t);
      return {
        name: t.split('/').slice(1).join('') || t,
        path: t,
        overdue: sum(here, 'overdue'),
        soon: sum(here, 'soon'),
        byLevel: MEDIATION_LEVELS.map((l) => ({
          name: LEVEL_NAMES[l],
          overdue: sum(here.filter((c) => c.level === l), 'overdue'),
          soon: sum(here.filter((c) => c.level === l), 'soon'),
        })),
      };
    });
    townships.sort((a, b) => b.overdue - a.overdue || b.soon - a.soon);
    const overdue = sum(counts, 'overdue');
    const soon = sum(counts, 'soon');
    page(req, res, 'overview', {
      title: '辖区总览',
      area: actor.area === '*' ? '全县' : actor.area,
      watched,
      shown: watched.length,
      more: overdue + soon > watched.length,
      townships,
      levels: MEDIATION_LEVELS.map((l) => LEVEL_NAMES[l]),
      overdue,
      soon,
      days: DUE_SOON_DAYS,
    });
  });
  return router;
}
