import { recordInRegister, type RegisterRow } from '../activities/register';
import { overviewCounts, overviewCountsDirect } from '../api/console/overview-counts';
import { overviewOf } from '../api/console/supervision';
import { readFigures, readFiguresDirect, type Figures } from '../api/metrics';
import { toShanghaiIso } from '../domain/time';
import { createPool, migrate, type Db } from '../platform/db';
import { uniqueVillage } from './harness';
import { rng } from './rng';

/**
 * The console overview's counts and the /metrics gauges from the summary of open cases by deadline day
 * (db/migrations/0020) equal the same figures counted over the cases (overviewCountsDirect, readFiguresDirect, which
 * the overview and a scrape answered before), at instants either side of midnight (UTC), of "now", of "due soon" and of
 * the 5 minutes after which a deadline counts as passed, on a register written by every kind of writer: a bulk
 * INSERT ... SELECT, single INSERTs, the activities' upsert (full and compact), UPDATEs of the deadline, the overdue
 * flag, the end of the process, the township, and DELETEs.
 */
let db: Db;
beforeAll(async () => {
  db = createPool(process.env.TEST_DATABASE_URL!, 4);
  await migrate(db);
});
afterAll(async () => {
  await db?.end();
});

const DAY = 86_400_000;
const SOON_DAYS = 3;
const LATE_AFTER = 5 * 60_000;
// The instant the figures are asked at, on a whole second (timestamptz keeps microseconds, so boundaries are exact).
const T = Math.floor(Date.now() / 1000) * 1000;
const todayStart = Math.floor(T / DAY) * DAY;

type Kind = RegisterRow['kind'];
interface Gen {
  id: string;
  kind: Kind;
  status: string;
  level: string | null;
  area: string;
  openedAt: number;
  deadline: number | null;
  overdue: boolean;
  finished: boolean;
  closed: boolean;
}

function deadlineFor(r: ReturnType<typeof rng>): number | null {
  if (r.chance(0.12)) return null;
  // Exactly on the boundaries the queries split at, around today, or spread over six weeks.
  if (r.chance(0.2)) return r.pick([T, T - 1, T + 1, todayStart, todayStart - 1, todayStart + DAY, T + SOON_DAYS * DAY, T + SOON_DAYS * DAY + 1, T - LATE_AFTER, T - LATE_AFTER + 1, todayStart - DAY]);
  if (r.chance(0.3)) return todayStart + Math.floor(r.next() * DAY);
  return T + Math.floor((r.next() * 42 - 35) * DAY);
}

function generate(seed: number, county: string, n: number, prefix: string): Gen[] {
  const r = rng(seed);
  const townships = [`${county}/梁家村镇`, `${county}/河北留善寺乡`, `${county}/窝北镇`];
  return Array.from({ length: n }, (_, i) => {
    const kind: Kind = r.chance(0.7) ? 'mediation' : r.chance(0.5) ? 'petition' : 'village_decision';
    const township = r.pick(townships);
    const area = r.chance(0.05) ? county : r.chance(0.2) ? township : `${township}/${r.pick(['东村', '西村'])}`;
    const finished = r.chance(0.3);
    // Mostly together; now and then one without the other (the overview reads `finished`, /metrics `closed_at`).
    const closed = r.chance(0.1) ? !finished : finished;
    return {
      id: `${kind === 'mediation' ? 'MED' : kind === 'petition' ? 'PET' : 'VIL'}-${prefix}${i}`,
      kind,
      status: r.pick(['awaiting_acceptance', 'in_mediation', 'closed', 'handling']),
      level: kind === 'mediation' ? r.pick(['village', 'township', 'county']) : kind === 'petition' && r.chance(0.3) ? 'county' : null,
      area,
      openedAt: T - Math.floor(r.next() * 60 * DAY),
      deadline: deadlineFor(r),
      overdue: r.chance(0.2),
      finished,
      closed,
    };
  });
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const snapshot = (g: Gen) => ({ id: g.id, area: g.area, status: g.status, summary: `摘要${g.id}`, categoryName: '土地', finished: g.finished, timeline: [] });
const row = (g: Gen, version: number): RegisterRow => ({
  id: g.id, kind: g.kind, status: g.status, level: g.level, area: g.area, category: 'land', summary: `摘要${g.id}`,
  openedAt: toShanghaiIso(g.openedAt), closed: g.closed, nextDeadline: iso(g.deadline), overdue: g.overdue, policyVersion: 'test', version,
  snapshot: snapshot(g),
});

async function insertBulk(rows: Gen[]): Promise<void> {
  await db.query(
    `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, closed_at, next_deadline, overdue, policy_version, version, snapshot)
     SELECT x->>'id', x->>'kind', x->>'status', x->>'level', x->>'area', 'land', 's', (x->>'openedAt')::timestamptz,
            CASE WHEN (x->>'closed')::boolean THEN now() END, (x->>'deadline')::timestamptz, (x->>'overdue')::boolean, 'test', 1, x->'snapshot'
       FROM jsonb_array_elements($1::jsonb) x`,
    [JSON.stringify(rows.map((g) => ({ ...g, openedAt: iso(g.openedAt), deadline: iso(g.deadline), snapshot: snapshot(g) })))],
  );
}

async function viaActivity(g: Gen, version: number, compact = false): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const r = row(g, version);
    await recordInRegister(client, r, {
      seq: version, at: toShanghaiIso(T), actor: { id: 'u1', name: '测试', role: 'system' }, action: 'test', before: null, after: { status: g.status },
    }, compact ? { seq: version } : undefined);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

/** Both readings of /metrics in one snapshot (other test files write the shared register meanwhile). */
async function metricsBoth(now: number): Promise<[Figures, Figures]> {
  const client = await db.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const sorted = (f: Figures) => ({
      ...f,
      cases: [...f.cases].sort((a, b) => `${a.kind}/${a.status}`.localeCompare(`${b.kind}/${b.status}`)),
      overdue: [...f.overdue].sort((a, b) => a.kind.localeCompare(b.kind)),
    });
    // One query at a time on the one client (the readings send theirs together, as they may on a pool).
    let queue: Promise<unknown> = Promise.resolve();
    const query = client.query.bind(client) as (...q: unknown[]) => Promise<unknown>;
    const serial = {
      query: (...q: unknown[]) => (queue = queue.catch(() => undefined).then(() => query(...q))),
    } as unknown as typeof client;
    const both = [sorted(await readFigures(serial, now)), sorted(await readFiguresDirect(serial, now))] as [Figures, Figures];
    await client.query('COMMIT');
    return both;
  } finally {
    client.release();
  }
}

test('the overview counts and the /metrics gauges from the summary equal the direct count, after inserts, updates and deletes', async () => {
  const { county } = uniqueVillage('待办');
  const tag = county.slice(-6).toUpperCase();
  const cases = generate(20261207, county, 600, `O${tag}`);
  await insertBulk(cases.slice(0, 400));
  for (const g of cases.slice(400, 500)) {
    await db.query(
      `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, closed_at, next_deadline, overdue, policy_version, version, snapshot)
       VALUES ($1, $2, $3, $4, $5, 'land', 's', $6, $7, $8, $9, 'test', 1, $10)`,
      [g.id, g.kind, g.status, g.level, g.area, iso(g.openedAt), g.closed ? iso(T) : null, iso(g.deadline), g.overdue, JSON.stringify(snapshot(g))],
    );
  }
  for (const g of cases.slice(500)) await viaActivity(g, 1);

  const areas = [county, `${county}/梁家村镇`, `${county}/窝北镇`, `${county}/河北留善寺乡`, `${county}/梁家村镇/东村`];
  // Now, either side of it and of today's midnight (UTC), late in the day, and a few days on.
  const instants = [T, T + 1, T - 1, todayStart, todayStart - 1, todayStart + DAY - 1, T + LATE_AFTER, T + 2.5 * DAY, T - 3 * DAY];
  const compare = async (when: string) => {
    for (const now of instants) {
      for (const area of areas) {
        const direct = await overviewCountsDirect(db, area, now, SOON_DAYS);
        expect({ when, now, area, counts: await overviewCounts(db, area, now, SOON_DAYS) }).toEqual({ when, now, area, counts: direct });
      }
      const [summary, direct] = await metricsBoth(now);
      expect({ when, now, metrics: summary }).toEqual({ when, now, metrics: direct });
    }
  };
  await compare('after the inserts');

  // The fixture exercises every figure: overdue, due soon, and deadlines today on both sides of now.
  const all = await overviewCountsDirect(db, county, T, SOON_DAYS);
  expect(all.reduce((n, c) => n + c.overdue, 0)).toBeGreaterThan(50);
  expect(all.reduce((n, c) => n + c.soon, 0)).toBeGreaterThan(20);
  expect(new Set(all.map((c) => c.level))).toEqual(new Set(['village', 'township', 'county']));
  const today = cases.filter((g) => g.kind === 'mediation' && !g.finished && !g.overdue && g.deadline !== null && g.deadline >= todayStart && g.deadline < todayStart + DAY);
  expect(today.filter((g) => g.deadline! < T).length * today.filter((g) => g.deadline! >= T).length).toBeGreaterThan(0);
  // The overview page's counts are these.
  expect((await overviewOf(db, county, T)).counts).toEqual(all);

  // Changes after the cases were counted: through the activity (newer versions moving the deadline, the flag, the end
  // and the level; a compact transition; a stale version that must change nothing), then plain UPDATEs.
  const r = rng(11);
  const later = cases.filter(() => r.chance(0.4));
  for (const [i, g] of later.entries()) {
    const finished = r.chance(0.3);
    const moved: Gen = {
      ...g, deadline: deadlineFor(r), overdue: r.chance(0.3), finished, closed: r.chance(0.1) ? !finished : finished,
      level: g.kind === 'mediation' ? r.pick(['village', 'township', 'county']) : g.level,
    };
    await viaActivity(moved, 2, i % 2 === 0);
    await viaActivity({ ...g, deadline: T - 20 * DAY, overdue: true }, 1);
  }
  const ids = (from: number, to: number) => cases.slice(from, to).map((g) => g.id);
  await db.query(`UPDATE cases SET next_deadline = next_deadline + interval '1 day' WHERE id = ANY($1)`, [ids(0, 60)]);
  await db.query(`UPDATE cases SET next_deadline = next_deadline - interval '7 hours' WHERE id = ANY($1)`, [ids(60, 120)]);
  await db.query(`UPDATE cases SET overdue = NOT overdue WHERE id = ANY($1)`, [ids(120, 170)]);
  await db.query(`UPDATE cases SET closed_at = CASE WHEN closed_at IS NULL THEN now() END WHERE id = ANY($1)`, [ids(170, 210)]);
  await db.query(`UPDATE cases SET snapshot = jsonb_set(snapshot, '{finished}', to_jsonb(NOT coalesce((snapshot->>'finished')::boolean, false))) WHERE id = ANY($1)`, [ids(210, 250)]);
  await db.query(`UPDATE cases SET area = replace(area, '/梁家村镇', '/窝北镇') WHERE id = ANY($1)`, [ids(250, 300)]);
  await db.query(`UPDATE cases SET next_deadline = NULL WHERE id = ANY($1)`, [ids(300, 320)]);
  await db.query(`UPDATE cases SET status = status WHERE id = ANY($1)`, [cases.map((g) => g.id)]);
  await compare('after the updates');

  await db.query(`DELETE FROM cases WHERE id = ANY($1)`, [cases.filter((_, i) => i % 3 === 0).map((g) => g.id)]);
  await compare('after the deletes');

  await db.query(`DELETE FROM cases WHERE id = ANY($1)`, [cases.map((g) => g.id)]);
  await compare('after deleting them all');
  expect(await overviewCounts(db, county, T, SOON_DAYS)).toEqual([]);
  // A row whose count fell to 0 is deleted, not kept.
  expect((await db.query(`SELECT count(*)::int AS n FROM case_open_deadlines WHERE county = $1`, [county])).rows[0].n).toBe(0);
});
