import { createSession } from '../api/console/accounts';
import { overviewCounts, overviewCountsDirect } from '../api/console/overview-counts';
import { DUE_SOON_DAYS } from '../api/console/supervision';
import { readFigures, readFiguresDirect } from '../api/metrics';
import { listRegister } from '../api/register';
import { defaultPeriod, statisticsDirect, statisticsFor } from '../api/stats';
import { SA } from '../domain/search-attributes';
import { benchVillage, num, pinganIntake, type Benchmark } from './context';
import { log, percentiles, sleep, tag } from './lib';

/**
 * The register at scale: N mediation cases inserted straight into PostgreSQL (copies of a real case's row, spread over
 * 10 townships × 10 villages, statuses, levels, categories and two years), then p50/p95 of the case list with filters,
 * of GET /api/v1/stats (county and township from the daily summary, a village from its cases; beside them the county
 * counted over every case as before db/migrations/0018), of the console's overview page and of the register's /metrics
 * figures (from the summaries of 0018 and 0020; beside them both counted over the cases, as before 0020), one request at
 * a time; the list figures twice; then a few /metrics scrapes over HTTP, each past the API's 5 s cache. Ended cases carry an outcome, so that the rates and the median are counted too. Beside them,
 * Temporal's visibility list for the same filters (first page of 20), over `visibility` workflows (default 5,000)
 * started with the same search attributes, spread the same way, on a task queue no worker polls: the dev server's
 * SQLite visibility store cannot take a million workflows on this machine in a benchmark's time, so that side is
 * measured at what it holds (the figures say how many).
 */
const STATUSES = ['awaiting_acceptance', 'in_mediation', 'closed', 'closed', 'closed', 'failed', 'withdrawn'];
const LEVELS = ['village', 'village', 'village', 'township', 'county'];
const CATEGORIES = ['neighbourhood', 'family', 'land', 'labour', 'contract', 'traffic'];

export const register: Benchmark = {
  name: 'register',
  describe: 'N cases in PostgreSQL: p50/p95 of the filtered case list, GET /api/v1/stats, the console overview page and /metrics',
  async run(ctx) {
    const rows = num(ctx, 'rows', 100_000);
    const reps = num(ctx, 'reps', 20);
    const v = await benchVillage(ctx, '登记');
    const template = await pinganIntake(ctx.call, v.grid, v.village, 0);
    const county = v.county;
    const batch = 50_000;
    const t = tag();
    const seedStarted = Date.now();
    for (let from = 0; from < rows; from += batch) {
      const to = Math.min(rows, from + batch) - 1;
      await ctx.b.db.query(
        `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, closed_at, next_deadline, overdue, policy_version, version, snapshot)
         SELECT nid, c.kind, st, lv, ar, cat, c.summary, op, CASE WHEN st IN ('closed','failed','withdrawn') THEN op + interval '9 days' END,
                CASE WHEN st IN ('awaiting_acceptance','in_mediation') THEN op + interval '7 days' END, od, c.policy_version, 1,
                c.snapshot || jsonb_build_object('id', nid, 'status', st, 'level', lv, 'area', ar, 'responsibleArea', ar, 'category', cat,
                                                 'openedAt', to_char(op AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+08:00"'), 'overdue', od,
                                                 -- An ended case has its outcome (what the statistics rate): 1 to 45 days after the report,
                                                 -- its level deadline 30 days after it.
                                                 'outcome', CASE WHEN st IN ('closed','failed','withdrawn') THEN jsonb_build_object(
                                                   'kind', CASE st WHEN 'closed' THEN 'agreement' WHEN 'failed' THEN 'failure' ELSE 'withdrawal' END,
                                                   'level', lv,
                                                   'at', to_char((op + (1 + g % 45) * interval '1 day' + (g % 997) * interval '1 minute') AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+08:00"'),
                                                   'levelDeadline', to_char((op + interval '30 days') AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+08:00"')) END)
           FROM cases c,
                LATERAL (SELECT g,
                        'MED-B' || $3 || lpad(to_hex(g), 7, '0') AS nid,
                        ($4::text[])[1 + g % ${STATUSES.length}] AS st,
                        ($5::text[])[1 + (g / 7) % ${LEVELS.length}] AS lv,
                        $6 || '/镇' || (g % 10) || CASE WHEN (g / 7) % ${LEVELS.length} < 3 THEN '/村' || ((g / 10) % 10) ELSE '' END AS ar,
                        ($7::text[])[1 + (g / 3) % ${CATEGORIES.length}] AS cat,
                        now() - (g % 730) * interval '1 day' - (g % 1440) * interval '1 minute' AS op,
                        g % 10 = 0 AS od
                   FROM generate_series($1::int, $2::int) g) s
          WHERE c.id = $8`,
        [from, to, t.toUpperCase(), STATUSES, LEVELS, county, CATEGORIES, template],
      );
      log(`  inserted ${to + 1}/${rows}`);
    }
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    // As autovacuum would after a bulk load: statistics for the planner, the visibility map for index-only scans.
    const vacuumStarted = Date.now();
    await ctx.b.db.query('VACUUM ANALYZE cases');
    const vacuumSeconds = (Date.now() - vacuumStarted) / 1000;
    await ctx.b.db.query('VACUUM ANALYZE case_stats_daily, case_durations');
    const summaryRows = (await ctx.b.db.query<{ daily: number; durations: number }>(
      `SELECT (SELECT count(*) FROM case_stats_daily)::int AS daily, (SELECT count(*) FROM case_durations)::int AS durations`)).rows[0];
    log(`  summary: ${summaryRows.daily} daily rows, ${summaryRows.durations} durations`);
    log(`  VACUUM ANALYZE: ${vacuumSeconds} s`);
    const sup = await v.user({ name: '基准督导', email: `sup-${tag()}@bench.cn`, role: 'supervisor', area: county });
    const session = await createSession(ctx.b.db, sup.user.id);

    const time = async (label: string, fn: () => Promise<unknown>, n = reps) => {
      await fn(); // warm
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        await fn();
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const p = percentiles(ms);
      log(`  ${label}: p50 ${p.p50} ms, p95 ${p.p95} ms`);
      return p;
    };
    const get = async (route: string, headers: Record<string, string>) => {
      const res = await fetch(`${ctx.url}${route}`, { headers });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET ${route}: ${res.status} ${body.slice(0, 300)}`);
      return body;
    };
    const bearer = { authorization: `Bearer ${sup.token}` };
    const area = encodeURIComponent(`${county}/镇3`);
    const lists = async (round: number) => ({
      [`listOpenInTownship#${round}`]: await time('list: township, awaiting acceptance', () => get(`/api/v1/mediations?area=${area}&status=awaiting_acceptance`, bearer)),
      [`listOverdueCounty#${round}`]: await time('list: county, overdue', () => get('/api/v1/mediations?overdue=true', bearer)),
      [`listVillageCategory#${round}`]: await time('list: village level, category land', () => get('/api/v1/mediations?level=village&category=land', bearer)),
    });
    // The same lists as the register query alone (in this process, no HTTP and no sign-in): what PostgreSQL costs,
    // apart from the API process's share of a loaded machine.
    const fields = ['id', 'status', 'level', 'area', 'category', 'categoryName', 'summary', 'overdue', 'openedAt', 'deadlines', 'outcome'] as const;
    const page = { limit: 20, offset: 0 };
    const query = {
      listOpenInTownship: await time('query: township, awaiting acceptance', () => listRegister(ctx.b.db, 'mediation', { area: `${county}/镇3`, status: 'awaiting_acceptance' }, page, [...fields])),
      listOverdueCounty: await time('query: county, overdue', () => listRegister(ctx.b.db, 'mediation', { area: county, overdue: true }, page, [...fields])),
      listVillageCategory: await time('query: village level, category land', () => listRegister(ctx.b.db, 'mediation', { area: county, level: 'village', category: 'land' }, page, [...fields])),
    };
    // The statistics from the daily summary (db/migrations/0018) must equal the count over the cases themselves.
    const period = { area: county, ...defaultPeriod(Date.now()) };
    const [fromSummary, direct] = [await statisticsFor(ctx.b.db, period), await statisticsDirect(ctx.b.db, period)];
    if (JSON.stringify(fromSummary) !== JSON.stringify(direct)) throw new Error(`statistics: the summary differs from the direct count\n${JSON.stringify(fromSummary)}\n${JSON.stringify(direct)}`);
    log(`  statistics: the summary equals the direct count (${direct.total} cases, ${direct.mediation.outcomes} outcomes, median ${direct.mediation.medianDays} days)`);
    // The overview's counts and the /metrics figures from the summaries (db/migrations/0020) must equal the direct count.
    const now = Date.now();
    const [countsSummary, countsDirect] = [await overviewCounts(ctx.b.db, county, now, DUE_SOON_DAYS), await overviewCountsDirect(ctx.b.db, county, now, DUE_SOON_DAYS)];
    if (JSON.stringify(countsSummary) !== JSON.stringify(countsDirect)) throw new Error(`overview: the summary differs from the direct count\n${JSON.stringify(countsSummary)}\n${JSON.stringify(countsDirect)}`);
    const sortedFigures = (f: Awaited<ReturnType<typeof readFigures>>) => JSON.stringify({
      cases: [...f.cases].sort((a, b) => `${a.kind}/${a.status}`.localeCompare(`${b.kind}/${b.status}`)),
      overdue: [...f.overdue].sort((a, b) => a.kind.localeCompare(b.kind)),
    });
    const [figuresSummary, figuresDirect] = [sortedFigures(await readFigures(ctx.b.db, now)), sortedFigures(await readFiguresDirect(ctx.b.db, now))];
    if (figuresSummary !== figuresDirect) throw new Error(`/metrics: the summary differs from the direct count\n${figuresSummary}\n${figuresDirect}`);
    const overdueCases = countsDirect.reduce((n, c) => n + c.overdue, 0);
    log(`  overview and /metrics: the summary equals the direct count (${overdueCases} overdue, ${countsDirect.reduce((n, c) => n + c.soon, 0)} due soon in the county)`);
    const openRows = (await ctx.b.db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_open_deadlines')).rows[0].n;
    const village = encodeURIComponent(`${county}/镇3/村4`);
    const results = {
      ...(await lists(1)),
      stats: await time('GET /api/v1/stats (county, 12 months)', () => get('/api/v1/stats', bearer)),
      statsTownship: await time('GET /api/v1/stats (township, 12 months)', () => get(`/api/v1/stats?area=${area}`, bearer)),
      statsVillage: await time('GET /api/v1/stats (village, 12 months: counted from its cases)', () => get(`/api/v1/stats?area=${village}`, bearer)),
      // What the same figures cost counted over every case of the county (as before 0018), in this process, 3 times.
      statsDirectCounty: await time('statistics counted over the cases (county, 12 months; before 0018)', () => statisticsDirect(ctx.b.db, period), 3),
      overview: await time('console overview', () => get('/console/overview', { cookie: `pingan_console=${session.token}` })),
      overviewCounts: await time('overview counts (county, from the summary; in this process)', () => overviewCounts(ctx.b.db, county, Date.now(), DUE_SOON_DAYS)),
      overviewCountsDirect: await time('overview counts counted over the cases (county; before 0020)', () => overviewCountsDirect(ctx.b.db, county, Date.now(), DUE_SOON_DAYS), 3),
      metricsRead: await time('/metrics register figures (from the summaries; in this process)', () => readFigures(ctx.b.db)),
      metricsReadDirect: await time('/metrics register figures counted over the cases (before 0020)', () => readFiguresDirect(ctx.b.db), 3),
      ...(await lists(2)),
    };

    // Temporal's visibility list for the same filters, over as many workflows as the dev server takes here.
    const held = num(ctx, 'visibility', 5000);
    const queue = `bench-visibility-${t}`;
    const visStarted = Date.now();
    for (let from = 0; from < held; from += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, held - from) }, (_, k) => {
          const g = from + k;
          const level = LEVELS[Math.floor(g / 7) % LEVELS.length];
          const ar = `${county}/镇${g % 10}${Math.floor(g / 7) % LEVELS.length < 3 ? `/村${Math.floor(g / 10) % 10}` : ''}`;
          const parts = ar.split('/');
          return ctx.b.client.workflow.start('bareCase', {
            taskQueue: queue,
            workflowId: `VIS-${t}-${g}`,
            args: [`VIS-${t}-${g}`],
            typedSearchAttributes: [
              { key: SA.kind, value: 'mediation' },
              { key: SA.status, value: STATUSES[g % STATUSES.length] },
              { key: SA.level, value: level },
              { key: SA.area, value: parts.map((_, i) => parts.slice(0, i + 1).join('/')) },
              { key: SA.category, value: CATEGORIES[Math.floor(g / 3) % CATEGORIES.length] },
              { key: SA.overdue, value: g % 10 === 0 },
            ],
          });
        }),
      );
    }
    const visibilityStartSeconds = (Date.now() - visStarted) / 1000;
    log(`  started ${held} workflows for the visibility list in ${visibilityStartSeconds} s`);
    const firstPage = async (query: string) => {
      let n = 0;
      for await (const _ of ctx.b.client.workflow.list({ query, pageSize: 20 })) if (++n >= 20) break;
      return n;
    };
    const q = (more: string) => `PinganKind = 'mediation' AND ${more}`;
    const visibility = {
      listOpenInTownship: await time('visibility: township, awaiting acceptance', () => firstPage(q(`PinganArea = '${county}/镇3' AND PinganStatus = 'awaiting_acceptance'`))),
      listOverdueCounty: await time('visibility: county, overdue', () => firstPage(q(`PinganArea = '${county}' AND PinganOverdue = true`))),
      listVillageCategory: await time('visibility: village level, category land', () => firstPage(q(`PinganArea = '${county}' AND PinganLevel = 'village' AND PinganCategory = 'land'`))),
    };
    // One Prometheus scrape: the register's figures are read from PostgreSQL (then cached for 5 s).
    const t0 = process.hrtime.bigint();
    const scraped = await get('/metrics', {});
    const metricsScrape = {
      ms: Math.round(Number(process.hrtime.bigint() - t0) / 1e5) / 10,
      registerReadMs: Math.round(Number(/^pingan_metrics_register_read_seconds (\S+)$/m.exec(scraped)?.[1] ?? NaN) * 1e4) / 10,
    };
    log(`  /metrics scrape: ${metricsScrape.ms} ms (register read ${metricsScrape.registerReadMs} ms)`);
    // More scrapes over HTTP, each after the API's 5 s cache has expired, so that each reads the register.
    const scrapeMs: number[] = [];
    for (let i = 0; i < num(ctx, 'scrapes', 6); i++) {
      await sleep(5200);
      const s0 = process.hrtime.bigint();
      await get('/metrics', {});
      scrapeMs.push(Number(process.hrtime.bigint() - s0) / 1e6);
    }
    const metricsScrapes = percentiles(scrapeMs);
    log(`  /metrics scrapes past the cache: p50 ${metricsScrapes.p50} ms, p95 ${metricsScrapes.p95} ms (n ${metricsScrapes.n})`);
    const table: (string | number)[][] = [['request', 'p50 ms', 'p95 ms', 'n']];
    for (const [k, p] of Object.entries(results)) table.push([k, p.p50, p.p95, p.n]);
    for (const [k, p] of Object.entries(query)) table.push([`register query only: ${k}`, p.p50, p.p95, p.n]);
    for (const [k, p] of Object.entries(visibility)) table.push([`visibility ${k} (${held} workflows)`, p.p50, p.p95, p.n]);
    table.push(['/metrics (first scrape)', metricsScrape.ms, '', 1]);
    table.push(['/metrics (scrapes past the 5 s cache)', metricsScrapes.p50, metricsScrapes.p95, metricsScrapes.n]);
    return { figures: { rows, reps, county, seedSeconds, vacuumSeconds, summaryRows, openDeadlineRows: openRows, overdueInCounty: overdueCases, results, metricsScrape, metricsScrapes, registerQueryOnly: query, visibility: { workflows: held, startSeconds: visibilityStartSeconds, results: visibility }, target: 'list p95 ≤ 50 ms; overview and /metrics p95 well under 100 ms' }, table };
  },
};
