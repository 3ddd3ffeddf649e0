import { Router, type Request } from 'express';
import { shanghaiDayStart } from '../../domain/statistics';
import { shanghaiDate } from '../../domain/time';
import { ApiError } from '../errors';
import { defaultPeriod, isRealDate, MAX_STATS_DAYS, statisticsFor, statsRequest, type StatsRequest } from '../stats';
import { member, type ConsoleDeps, type pageRenderer } from './http';
import { statTables, toCsv, trendChart } from './stats-tables';


/**
 * The statistics page (/console/stats) for supervisors and leaders: the figures of GET /api/v1/stats (same function,
 * same checks), a bar chart of the monthly trend drawn on the server, and each table as a CSV download.
 */
export function statsPages(deps: ConsoleDeps, page: ReturnType<typeof pageRenderer>): Router {
  const router = Router();
  const one = (v: unknown) => (typeof v === 'string' ? v.trim().slice(0, 200) : undefined);

  /** The form's values checked with messages in Chinese next to each field; then the API's own checks. */
  function read(req: Request): { f: { area: string; from: string; to: string }; errors: Record<string, string>; r?: StatsRequest } {
    const actor = member(req);
    const d = defaultPeriod(Date.now());
    const f = { area: one(req.query.area) || actor.area, from: one(req.query.from) || d.from, to: one(req.query.to) || d.to };
    const errors: Record<string, string> = {};
    if (!isRealDate(f.from)) errors.from = '请填写有效日期（年-月-日）。';
    if (!isRealDate(f.to)) errors.to = '请填写有效日期（年-月-日）。';
    if (!errors.from && !errors.to) {
      const span = (shanghaiDayStart(f.to) - shanghaiDayStart(f.from)) / 86_400_000;
      if (span <= 0) errors.to = '截止日期须晚于起始日期。';
      else if (span > MAX_STATS_DAYS) errors.to = `统计期间最长${MAX_STATS_DAYS}天。`;
    }
    if (Object.keys(errors).length > 0) return { f, errors };
    try {
      return { f, errors, r: statsRequest(actor, f, Date.now()) };
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return { f, errors: { area: '该区域不在您的辖区内。' } };
      if (err instanceof ApiError && err.status === 400) return { f, errors: { area: '请填写有效区域，如“肃宁县/梁家村镇”。' } };
      throw err;
    }
  }

  router.get('/stats', async (req, res) => {
    const { f, errors, r } = read(req);
    if (!r) return page(req, res, 'stats', { title: '统计分析', f, errors }, 400);
    const s = await statisticsFor(deps.db, r);
    const query = new URLSearchParams({ area: r.area, from: r.from, to: r.to }).toString();
    const tables = statTables(s, deps.policy).map((t) => ({ ...t, csv: `/console/stats.csv?table=${t.key}&${query}` }));
    page(req, res, 'stats', { title: '统计分析', f, errors, s, tables, chart: trendChart(s), lastDay: lastDayOf(r.to) });
  });

  router.get('/stats.csv', async (req, res) => {
    const { r } = read(req);
    const key = one(req.query.table);
    if (!r) throw new ApiError(400, 'invalid', '统计条件无效');
    const table = statTables(await statisticsFor(deps.db, r), deps.policy).find((t) => t.key === key);
    if (!table) throw new ApiError(404, 'not_found', 'no such table');
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="pingan-stats-${table.key}-${r.from}-${r.to}.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(toCsv(table));
  });
  return router;
}

/** The period's last day for display: `to` is exclusive. */
const lastDayOf = (to: string) => shanghaiDate(shanghaiDayStart(to) - 1);
