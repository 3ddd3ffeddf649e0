import { recordInRegister, type RegisterRow } from '../activities/register';
import { statisticsDirect, statisticsFor, statisticsFromSummary } from '../api/stats';
import { shanghaiDayStart, type StatKind } from '../domain/statistics';
import { toShanghaiIso } from '../domain/time';
import { createPool, migrate, type Db } from '../platform/db';
import { uniqueVillage } from './harness';
import { rng } from './rng';

/**
 * The statistics from the daily summary (db/migrations/0018) equal the statistics counted over the cases themselves
 * (statisticsDirect, which test/register-scale.test.ts holds equal to computeStatistics), on a varied generated
 * register written by every kind of writer: a bulk INSERT ... SELECT, single INSERTs, the activities' upsert with a
 * compact timeline append, UPDATEs that move a case's status, overdue flag, outcome, month and township, stale
 * versions that change nothing, and DELETEs.
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
const KINDS: StatKind[] = ['mediation', 'petition', 'village_decision'];
const STATUS: Record<StatKind, string[]> = {
  mediation: ['awaiting_acceptance', 'in_mediation', 'closed', 'failed', 'withdrawn'],
  petition: ['registered', 'accepted', 'handling', 'replied', 'closed'],
  village_decision: ['proposal', 'deliberation', 'notice', 'closed'],
};
const CATEGORY: Record<StatKind, (string | null)[]> = {
  mediation: ['neighbourhood', 'family', 'land', 'labour'],
  petition: ['visit', 'letter', 'online', null],
  village_decision: ['project', 'land', 'finance'],
};

interface Gen {
  id: string;
  kind: StatKind;
  status: string;
  level: string | null;
  area: string;
  category: string | null;
  openedAt: number;
  overdue: boolean;
  snapshot: Record<string, unknown>;
}

function snapshotFor(r: ReturnType<typeof rng>, kind: StatKind, openedAt: number): Record<string, unknown> {
  const at = (days: number) => toShanghaiIso(openedAt + Math.round(days * DAY) + Math.floor(r.next() * 1000));
  if (kind === 'mediation') {
    if (r.chance(0.35)) return { outcome: null, finished: false };
    const end = r.next() * 60;
    return {
      finished: true,
      outcome: {
        kind: r.pick(['agreement', 'agreement', 'failure', 'withdrawal', 'refusal']), at: at(end),
        // On time, late, exactly at the deadline, or without a recorded deadline.
        ...(r.chance(0.8) ? { levelDeadline: r.chance(0.1) ? at(end) : at(r.next() * 60) } : {}),
      },
    };
  }
  if (kind === 'petition') {
    const timeline: { seq: number; action: string; details?: Record<string, unknown> }[] = [{ seq: 1, action: 'registered' }];
    const replied = r.chance(0.6);
    const passed = r.chance(0.4);
    const order = r.chance(0.5);
    if (passed && order) timeline.push({ seq: timeline.length + 1, action: 'deadline_passed', details: { deadline: 'handleBy' } });
    if (r.chance(0.3)) timeline.push({ seq: timeline.length + 1, action: 'deadline_passed', details: { deadline: 'acceptBy' } });
    if (replied) timeline.push({ seq: timeline.length + 1, action: 'replied' });
    if (passed && !order) timeline.push({ seq: timeline.length + 1, action: 'deadline_passed', details: { deadline: 'handleBy' } });
    return { reply: replied ? { at: at(r.next() * 90) } : null, timeline };
  }
  const meetings = Array.from({ length: Math.floor(r.next() * 4) }, () => {
    const outcome = r.pick(['passed', 'rejected', 'no_quorum']);
    return { step: r.pick(['proposal', 'discussion', 'resolution']), passed: outcome === 'passed', outcome };
  });
  return { meetings, outcome: r.pick([null, 'completed', 'ended_after_rejection']) };
}

function generate(seed: number, county: string, n: number, prefix: string): Gen[] {
  const r = rng(seed);
  const townships = [`${county}/梁家村镇`, `${county}/河北留善寺乡`, `${county}/窝北镇`];
  const t0 = shanghaiDayStart('2025-12-01');
  return Array.from({ length: n }, (_, i) => {
    const kind = r.pick(KINDS);
    const township = r.pick(townships);
    const area = r.chance(0.05) ? county : r.chance(0.2) ? township : `${township}/${r.pick(['东村', '西村', '南村'])}`;
    // Over 14 months, a few of them a minute either side of midnight in Shanghai (the day and month boundaries).
    const day = Math.floor(r.next() * 420);
    const openedAt = r.chance(0.1) ? t0 + day * DAY + (r.chance(0.5) ? -60_000 : 60_000) : t0 + day * DAY + Math.floor(r.next() * DAY);
    return {
      id: `${kind === 'mediation' ? 'MED' : kind === 'petition' ? 'PET' : 'VIL'}-${prefix}${i}`,
      kind,
      status: r.pick(STATUS[kind]),
      level: kind === 'mediation' ? r.pick(['village', 'township', 'county']) : kind === 'petition' && r.chance(0.3) ? 'county' : null,
      area,
      category: r.pick(CATEGORY[kind]),
      openedAt,
      overdue: r.chance(0.15),
      snapshot: snapshotFor(r, kind, openedAt),
    };
  });
}

const row = (g: Gen, version: number): RegisterRow => ({
  id: g.id, kind: g.kind, status: g.status, level: g.level, area: g.area, category: g.category, summary: `摘要${g.id}`,
  openedAt: toShanghaiIso(g.openedAt), closed: false, nextDeadline: null, overdue: g.overdue, policyVersion: 'test', version,
  snapshot: { id: g.id, area: g.area, status: g.status, timeline: [], ...g.snapshot },
});

async function insertBulk(rows: Gen[]): Promise<void> {
  await db.query(
    `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, overdue, policy_version, version, snapshot)
     SELECT x->>'id', x->>'kind', x->>'status', x->>'level', x->>'area', x->>'category', 's', (x->>'openedAt')::timestamptz,
            (x->>'overdue')::boolean, 'test', 1, x->'snapshot'
       FROM jsonb_array_elements($1::jsonb) x`,
    [JSON.stringify(rows.map((g) => ({ ...g, openedAt: toShanghaiIso(g.openedAt), snapshot: row(g, 1).snapshot })))],
  );
}

async function viaActivity(g: Gen, version: number, timelineEvent?: { seq: number; action: string; details?: Record<string, unknown> }): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const r = row(g, version);
    // A compact transition: the snapshot comes without its timeline, and the register appends the event.
    if (timelineEvent) r.snapshot = Object.fromEntries(Object.entries(r.snapshot as object).filter(([k]) => k !== 'timeline'));
    await recordInRegister(client, r, {
      seq: version, at: toShanghaiIso(g.openedAt), actor: { id: 'u1', name: '测试', role: 'system' }, action: 'test', before: null, after: { status: g.status },
    }, timelineEvent);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

test('the summary answers exactly what the cases answer, after inserts, updates of every figure and deletes', async () => {
  const { county } = uniqueVillage('汇总');
  const tag = county.slice(-6).toUpperCase();
  const cases = generate(20261128, county, 600, `S${tag}`);
  const [bulk, single, activity] = [cases.slice(0, 400), cases.slice(400, 500), cases.slice(500)];
  await insertBulk(bulk);
  for (const g of single) {
    await db.query(
      `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, overdue, policy_version, version, snapshot)
       VALUES ($1, $2, $3, $4, $5, $6, 's', $7, $8, 'test', 1, $9)`,
      [g.id, g.kind, g.status, g.level, g.area, g.category, toShanghaiIso(g.openedAt), g.overdue, JSON.stringify(row(g, 1).snapshot)],
    );
  }
  for (const g of activity) await viaActivity(g, 1);

  const areas = [county, `${county}/梁家村镇`, `${county}/窝北镇`, `${county}/河北留善寺乡/东村`, `${county}/梁家村镇/西村`];
  const periods = [['2025-12-01', '2027-03-01'], ['2026-01-01', '2027-01-01'], ['2026-02-13', '2026-05-02'], ['2026-03-01', '2026-03-02'], ['2027-03-01', '2027-04-01']];
  const compare = async (when: string) => {
    for (const area of areas) {
      for (const [from, to] of periods) {
        const r = { area, from, to };
        const direct = await statisticsDirect(db, r);
        expect({ when, ...r, figures: await statisticsFor(db, r) }).toEqual({ when, ...r, figures: direct });
        // Villages are answered directly; the summary holds their county and township only.
        if (area.split('/').length <= 2) expect({ when, ...r, figures: await statisticsFromSummary(db, r) }).toEqual({ when, ...r, figures: direct });
      }
    }
  };
  await compare('after the inserts');

  // The fixture exercises every figure.
  const all = await statisticsFromSummary(db, { area: county, from: '2025-12-01', to: '2027-03-01' });
  expect(all.total).toBe(600);
  expect(all.mediation.medianDays).not.toBeNull();
  expect(all.mediation.onTime.count).toBeGreaterThan(0);
  expect(all.mediation.onTime.unknown).toBeGreaterThan(0);
  expect(all.mediation.endedInTownship.count).toBeGreaterThan(0);
  expect(all.petition.lateUnreplied).toBeGreaterThan(0);
  expect(all.petition.onTime.count).toBeLessThan(all.petition.replied);
  expect(all.petition.p90Days).not.toBeNull();
  expect(all.petition.overdue).toBeGreaterThan(0);
  expect(all.village.adopted.count * all.village.rejected.count * all.village.withoutQuorum.count).toBeGreaterThan(0);
  expect(all.byTownship.map((t) => t.township)).toContain(county);

  // Changes after the cases were counted: through the activity (a newer version: status, level, overdue, an outcome,
  // a reply with the deadline passing after it; a compact transition whose timeline event is appended), a stale
  // version that must change nothing, and plain UPDATEs of the month, the township and the day across midnight.
  const r = rng(7);
  const later = cases.slice(0, 300).filter(() => r.chance(0.5));
  for (const g of later) {
    const moved: Gen = {
      ...g,
      status: r.pick(STATUS[g.kind]),
      level: g.kind === 'mediation' ? r.pick(['village', 'township', 'county']) : g.level,
      overdue: !g.overdue,
      snapshot: snapshotFor(r, g.kind, g.openedAt),
    };
    await viaActivity(moved, 2);
    await viaActivity({ ...g, status: 'stale' }, 1);
  }
  const petition = cases.find((g) => g.kind === 'petition' && !later.includes(g) && (g.snapshot.reply as unknown) === null)!;
  await viaActivity({ ...petition, status: 'replied', snapshot: { reply: { at: toShanghaiIso(petition.openedAt + 3 * DAY) } } }, 2, { seq: 10, action: 'replied' });
  await viaActivity({ ...petition, snapshot: { reply: { at: toShanghaiIso(petition.openedAt + 3 * DAY) } } }, 3, { seq: 11, action: 'deadline_passed', details: { deadline: 'handleBy' } });
  await db.query(`UPDATE cases SET opened_at = opened_at + interval '37 days' WHERE id = ANY($1)`, [cases.slice(300, 340).map((g) => g.id)]);
  await db.query(`UPDATE cases SET opened_at = opened_at - interval '2 minutes' WHERE id = ANY($1)`, [cases.slice(340, 360).map((g) => g.id)]);
  await db.query(`UPDATE cases SET area = replace(area, '/梁家村镇', '/窝北镇') WHERE id = ANY($1)`, [cases.slice(360, 400).map((g) => g.id)]);
  await db.query(`UPDATE cases SET snapshot = snapshot - 'outcome' WHERE id = ANY($1) AND kind = 'mediation'`, [cases.slice(400, 440).map((g) => g.id)]);
  await db.query(`UPDATE cases SET status = status WHERE id = ANY($1)`, [cases.map((g) => g.id)]);
  await compare('after the updates');

  await db.query(`DELETE FROM cases WHERE id = ANY($1)`, [cases.filter((_, i) => i % 3 === 0).map((g) => g.id)]);
  await compare('after the deletes');
  expect((await statisticsFromSummary(db, { area: county, from: '2025-12-01', to: '2027-03-01' })).total).toBe(400);

  await db.query(`DELETE FROM cases WHERE id = ANY($1)`, [cases.map((g) => g.id)]);
  const none = await statisticsFromSummary(db, { area: county, from: '2025-12-01', to: '2027-03-01' });
  expect(none).toEqual(await statisticsDirect(db, { area: county, from: '2025-12-01', to: '2027-03-01' }));
  expect(none.total).toBe(0);
  expect((await db.query(`SELECT count(*)::int AS n FROM case_durations WHERE county = $1`, [county])).rows[0].n).toBe(0);
});
