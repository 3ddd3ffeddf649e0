import { DAY_MS } from '../../domain/time';
import { sqlCaseInArea } from '../../platform/area-sql';
import type { PoolClient } from 'pg';

/** Open mediations overdue (flagged, or past their next deadline) and due within `soonDays`, by township and level. */
export interface OverviewCount {
  township: string;
  level: string | null;
  overdue: number;
  soon: number;
}

/** A pool, or a client inside a transaction (the tests compare both counts in one snapshot). */
type Queryable = Pick<PoolClient, 'query'>;

const byKey = (a: OverviewCount, b: OverviewCount) =>
  a.township < b.township ? -1 : a.township > b.township ? 1 : (a.level ?? '') < (b.level ?? '') ? -1 : (a.level ?? '') > (b.level ?? '') ? 1 : 0;

/**
 * The overview's counts of an area ('*': every area) at `now`, from the summary of open cases by deadline day
 * (db/migrations/0020): the days before today's (UTC) are wholly past, so their rows (and the rows flagged overdue)
 * count as overdue as they stand; the deadlines from the start of today up to the end of "due soon" are read from
 * cases_open_deadline, split at `now`. A village is counted from its cases directly (they are few, and the summary
 * holds townships). Equal to overviewCountsDirect (test/overview-summary.test.ts).
 */
export async function overviewCounts(db: Queryable, area: string, now: number, soonDays: number): Promise<OverviewCount[]> {
  const depth = area === '*' ? 0 : area.split('/').length;
  if (depth > 2) return overviewCountsDirect(db, area, now, soonDays);
  const todayStart = Math.floor(now / DAY_MS) * DAY_MS;
  const today = new Date(todayStart).toISOString().slice(0, 10);
  const inSummary = depth === 0 ? `$1::text = '*'` : depth === 1 ? 'county = $1' : `county = split_part($1, '/', 1) AND township = $1`;
  // The counties with open mediations, so that '*' too walks cases_open_deadline county by county.
  const inCases = depth === 0
    ? `$1::text = '*' AND area_county = ANY(ARRAY(SELECT DISTINCT county FROM case_open_deadlines WHERE kind = 'mediation' AND NOT finished))`
    : `area_county = split_part($1, '/', 1) AND ${sqlCaseInArea(area, '$1')}`;
  const [past, near] = await Promise.all([
    db.query<{ township: string; level: string | null; n: number }>(
      `SELECT township, nullif(level, '') AS level, sum(n)::int AS n
         FROM case_open_deadlines
        WHERE kind = 'mediation' AND NOT finished AND ${inSummary} AND (overdue OR day < $2::date)
        GROUP BY 1, 2`,
      [area, today],
    ),
    db.query<{ township: string; level: string | null; late: number; soon: number }>(
      `SELECT coalesce(area_township, area) AS township, level,
              count(*) FILTER (WHERE next_deadline < $3)::int AS late, count(*) FILTER (WHERE next_deadline >= $3)::int AS soon
         FROM cases
        WHERE kind = 'mediation' AND NOT finished AND ${inCases} AND NOT overdue AND next_deadline >= $2 AND next_deadline <= $4
        GROUP BY 1, 2`,
      [area, new Date(todayStart), new Date(now), new Date(now + soonDays * DAY_MS)],
    ),
  ]);
  const counts = new Map<string, OverviewCount>();
  const at = (township: string, level: string | null) => {
    const key = JSON.stringify([township, level]);
    let c = counts.get(key);
    if (!c) counts.set(key, (c = { township, level, overdue: 0, soon: 0 }));
    return c;
  };
  for (const r of past.rows) at(r.township, r.level).overdue += r.n;
  for (const r of near.rows) {
    const c = at(r.township, r.level);
    c.overdue += r.late;
    c.soon += r.soon;
  }
  return [...counts.values()].filter((c) => c.overdue > 0 || c.soon > 0).sort(byKey);
}

/** The same counts over every open case of the area (what the overview counted before db/migrations/0020). */
export async function overviewCountsDirect(db: Queryable, area: string, now: number, soonDays: number): Promise<OverviewCount[]> {
  const inArea = area === '*' ? '$1::text IS NOT NULL' : `area_county = split_part($1, '/', 1) AND ${sqlCaseInArea(area, '$1')}`;
  const late = '(overdue OR next_deadline < $2)';
  const { rows } = await db.query<OverviewCount>(
    `SELECT coalesce(area_township, area) AS township, level,
            count(*) FILTER (WHERE ${late})::int AS overdue, count(*) FILTER (WHERE NOT ${late})::int AS soon
       FROM cases WHERE kind = 'mediation' AND NOT finished AND ${inArea} AND (overdue OR next_deadline <= $3) GROUP BY 1, 2`,
    [area, new Date(now), new Date(now + soonDays * DAY_MS)],
  );
  return rows.sort(byKey);
}
