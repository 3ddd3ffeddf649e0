import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import type { Actor, Role } from '../domain/actors';
import { computeStatistics, petitionReplyFacts, shanghaiDayStart, villageFacts, type StatCase, type Statistics, type StatKind } from '../domain/statistics';
import { DAY_MS, shanghaiDate } from '../domain/time';
import { sqlAreaWithin } from '../platform/area-sql';
import type { Db } from '../platform/db';
import { allow, rolesOf } from './access';
import { actorOf, requireArea } from './auth';
import { badRequest, fromZod } from './errors';
import { Area, ErrorSchema } from './schemas';

/** The statistics (issue 9) for supervisors and leaders: GET /api/v1/stats, and the console's /console/stats. */
export const STATS_ROLES: readonly Role[] = rolesOf('GET /api/v1/stats');
/** Longest period one request may count (five years of months). */
export const MAX_STATS_DAYS = 5 * 366;

/** A calendar date YYYY-MM-DD that exists (not 2026-02-30). */
export function isRealDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(t) && new Date(t).toISOString().startsWith(d);
}
const DateText = z.string().refine(isRealDate, 'must be a real date YYYY-MM-DD');

export const StatsQuery = z
  .object({
    area: Area.optional().openapi({ description: "inside the member's area; its own area when absent" }),
    from: DateText.optional().openapi({ description: 'first day (Asia/Shanghai), inclusive; the first day of the month 11 months ago when absent', example: '2026-01-01' }),
    to: DateText.optional().openapi({ description: 'day after the last (Asia/Shanghai), exclusive; the first day of next month when absent', example: '2027-01-01' }),
  })
  .strict()
  .openapi('StatsQuery');

/** The last 12 months up to the end of this month (Asia/Shanghai) when the request names no period. */
export function defaultPeriod(now: number): { from: string; to: string } {
  const [y, m] = shanghaiDate(now).split('-').map(Number);
  const at = (year: number, month: number) => {
    const total = year * 12 + (month - 1);
    return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}-01`;
  };
  return { from: at(y, m - 11), to: at(y, m + 1) };
}

export interface StatsRequest {
  area: string;
  from: string;
  to: string;
}

/** Role, area and period checked (403 / 400 as ApiError); the same for the API and the console. */
export function statsRequest(actor: Actor, query: unknown, now: number): StatsRequest {
  allow(actor, 'GET /api/v1/stats');
  const parsed = StatsQuery.safeParse(query ?? {});
  if (!parsed.success) throw fromZod(parsed.error, 'query');
  const q = parsed.data;
  const area = q.area ?? actor.area;
  requireArea(actor, area);
  const d = defaultPeriod(now);
  const from = q.from ?? d.from;
  const to = q.to ?? d.to;
  const days = (shanghaiDayStart(to) - shanghaiDayStart(from)) / DAY_MS;
  if (days <= 0) throw badRequest('to: must be after from');
  if (days > MAX_STATS_DAYS) throw badRequest(`to: a period may span at most ${MAX_STATS_DAYS} days`);
  return { area, from, to };
}

/** The register's rows of an area opened in [from, to): the figures need nothing else. */
export async function loadStatCases(db: Db, r: StatsRequest): Promise<StatCase[]> {
  const rows = await db.query<{
    id: string; kind: StatKind; status: string; level: string | null; category: string | null; area: string;
    opened_at: Date; overdue: boolean; outcome: { kind: string; at: string; levelDeadline?: string } | null;
    facts: Parameters<typeof petitionReplyFacts>[0] & Parameters<typeof villageFacts>[0] | null;
  }>(
    `SELECT id, kind, status, level, category, area, opened_at, overdue,
            CASE WHEN kind = 'mediation' THEN snapshot->'outcome' END AS outcome,
            CASE WHEN kind = 'petition' THEN jsonb_build_object('reply', snapshot->'reply', 'timeline', snapshot->'timeline')
                 WHEN kind = 'village_decision' THEN jsonb_build_object('outcome', snapshot->'outcome', 'meetings', snapshot->'meetings')
            END AS facts
       FROM cases
      WHERE ${sqlAreaWithin('area', '$1')} AND opened_at >= $2 AND opened_at < $3`,
    [r.area, new Date(shanghaiDayStart(r.from)), new Date(shanghaiDayStart(r.to))],
  );
  return rows.rows.map((c) => ({
    id: c.id,
    kind: c.kind,
    status: c.status,
    level: c.level,
    category: c.category,
    area: c.area,
    openedAt: c.opened_at.toISOString(),
    overdue: c.overdue,
    outcome: c.outcome ? { kind: c.outcome.kind, at: c.outcome.at, level: c.level ?? '', levelDeadline: c.outcome.levelDeadline } : null,
    ...(c.kind === 'petition' && c.facts ? petitionReplyFacts(c.facts) : {}),
    ...(c.kind === 'village_decision' && c.facts ? { village: villageFacts(c.facts) } : {}),
  }));
}

export async function statisticsFor(db: Db, r: StatsRequest): Promise<Statistics & { area: string }> {
  return { area: r.area, ...computeStatistics(await loadStatCases(db, r), r.from, r.to) };
}

export function statsRoutes({ db }: { db: Db }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const r = statsRequest(actorOf(req), req.query, Date.now());
    res.json(await statisticsFor(db, r));
  });
  return router;
}

const ShareSchema = z.object({ count: z.number().int(), of: z.number().int(), rate: z.number().nullable() });
export const StatisticsSchema = z
  .object({
    area: z.string(),
    from: z.string(),
    to: z.string(),
    total: z.number().int(),
    byProcess: z.array(z.object({ kind: z.string(), count: z.number().int() })),
    byStatus: z.array(z.object({ kind: z.string(), status: z.string(), count: z.number().int() })),
    byLevel: z.array(z.object({ kind: z.string(), level: z.string(), count: z.number().int() })),
    byCategory: z.array(z.object({ kind: z.string(), category: z.string(), count: z.number().int() })),
    byTownship: z.array(z.object({ township: z.string(), mediation: z.number().int(), petition: z.number().int(), village_decision: z.number().int(), total: z.number().int() })),
    overdue: z.array(z.object({ kind: z.string(), count: z.number().int() })),
    mediation: z.object({
      outcomes: z.number().int(),
      endedInVillage: ShareSchema,
      endedInTownship: ShareSchema,
      success: ShareSchema,
      medianDays: z.number().nullable(),
      p90Days: z.number().nullable(),
      onTime: ShareSchema.extend({ unknown: z.number().int() }),
    }),
    petition: z.object({
      replied: z.number().int(),
      onTime: ShareSchema.openapi({ description: 'replied before the handling deadline passed, over the replies due (replied, or deadline passed unreplied)' }),
      lateUnreplied: z.number().int(),
      medianDays: z.number().nullable(),
      p90Days: z.number().nullable(),
      overdue: z.number().int(),
    }),
    village: z.object({
      decided: z.number().int(),
      adopted: ShareSchema,
      rejected: ShareSchema,
      meetings: z.number().int(),
      withoutQuorum: ShareSchema,
    }),
    monthly: z.array(z.object({ month: z.string(), opened: z.number().int(), mediation: z.number().int(), petition: z.number().int(), village_decision: z.number().int() })),
  })
  .openapi('Statistics', { description: 'definitions of each figure: domain/statistics.ts' });

/** The OpenAPI entry of GET /api/v1/stats, from the same schemas (api/openapi.ts adds it). */
export function statsPaths(security: Record<string, string[]>[]): RouteConfig[] {
  const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
  return [
    {
      method: 'get', path: '/api/v1/stats', summary: 'Statistics of an area and period (supervisors and leaders, inside their area)', security,
      request: { query: StatsQuery },
      responses: {
        200: json(StatisticsSchema, 'the figures of the cases opened in [from, to)'),
        400: json(ErrorSchema, 'invalid input (the message names the field)'),
        401: json(ErrorSchema, 'missing or unknown token'),
        403: json(ErrorSchema, 'not a supervisor or leader, or the area is outside yours'),
      },
    },
  ];
}
