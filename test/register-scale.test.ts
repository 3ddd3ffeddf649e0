import { overviewOf } from '../api/console/supervision';
import { listRegister } from '../api/register';
import { statisticsFor } from '../api/stats';
import { areaContains } from '../domain/areas';
import { computeStatistics, petitionReplyFacts, shanghaiDayStart, villageFacts, type StatCase, type StatKind } from '../domain/statistics';
import { toShanghaiIso } from '../domain/time';
import { sqlAreaWithin } from '../platform/area-sql';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * The register at scale (db/migrations/0017): the indexed area test keeps exactly the rows the plain one kept, lists
 * carry only the fields they ask for, the statistics counted by PostgreSQL equal computeStatistics over the same
 * snapshots, the overview counts and orders in SQL, and the list and overview queries use the new indexes.
 */
let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

interface Row {
  id: string;
  kind: StatKind;
  status: string;
  level?: string | null;
  area: string;
  category?: string | null;
  openedAt: string;
  overdue?: boolean;
  nextDeadline?: string | null;
  closed?: boolean;
  snapshot: Record<string, unknown>;
}

async function insert(rows: Row[]): Promise<void> {
  for (const r of rows) {
    await sys.db.query(
      `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, closed_at, next_deadline, overdue, policy_version, version, snapshot)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'test', 1, $12)`,
      [r.id, r.kind, r.status, r.level ?? null, r.area, r.category ?? null, `摘要${r.id}`, r.openedAt, r.closed ? r.openedAt : null,
        r.nextDeadline ?? null, r.overdue ?? false, JSON.stringify({ id: r.id, area: r.area, status: r.status, ...r.snapshot })],
    );
  }
}

const iso = (ms: number) => toShanghaiIso(ms);

test('area containment through the indexed columns keeps exactly what starts_with kept: 梁家村镇 is not 梁家村镇二, _ is no wildcard', async () => {
  const { county } = uniqueVillage('范围');
  const areas = [
    county, `${county}/梁家村镇`, `${county}/梁家村镇/东村`, `${county}/梁家村镇/东村二`, `${county}/梁家村镇二`, `${county}/梁家村镇二/西村`,
    `${county}/甲_镇/村`, `${county}/甲乙镇/村`, `${county}二/梁家村镇/东村`,
  ];
  const now = Date.now();
  const rows: Row[] = areas.map((area, i) => ({
    id: `MED-AREA${county.slice(-6)}${i}`, kind: 'mediation', status: 'in_mediation', level: 'village', area, category: 'land',
    openedAt: iso(now - (i + 1) * 3_600_000), overdue: i % 2 === 0, nextDeadline: iso(now + (i - 4) * 86_400_000),
    snapshot: { summary: `第${i}件`, categoryName: '土地', finished: false, timeline: [{ seq: 1, action: 'reported' }], explanationRequired: i === 2 },
  }));
  await insert(rows);
  const filters = [county, `${county}/梁家村镇`, `${county}/梁家村镇/东村`, `${county}/梁家村镇二`, `${county}/甲_镇`, `${county}/甲_镇/村`, `${county}/梁家村`];
  for (const f of filters) {
    const expected = rows.filter((r) => areaContains(f, r.area)).map((r) => r.id);
    const listed = await listRegister<{ id: string }>(sys.db, 'mediation', { area: f }, { limit: 50, offset: 0 });
    expect({ f, ids: listed.map((x) => x.id) }).toEqual({ f, ids: expected });
    // The same rows, in the same order, as the plain containment test answered before.
    const before = await sys.db.query<{ id: string }>(
      `SELECT id FROM cases WHERE kind = 'mediation' AND ${sqlAreaWithin('area', '$1')} ORDER BY opened_at DESC`, [f]);
    expect(before.rows.map((x) => x.id)).toEqual(expected);
  }
  // A list of summaries carries only the keys it names; a key the snapshot lacks stays absent.
  const slim = await listRegister<Record<string, unknown>>(sys.db, 'mediation', { area: `${county}/梁家村镇/东村` }, { limit: 5, offset: 0 }, ['id', 'summary', 'outcome']);
  expect(slim).toEqual([{ id: rows[2].id, summary: '第2件' }]);

  // The overview: open cases overdue or due within 3 days inside the township, worst first, counted by level.
  const o = await overviewOf(sys.db, `${county}/梁家村镇`, now);
  const inside = rows.filter((r) => areaContains(`${county}/梁家村镇`, r.area));
  const late = (r: Row) => r.overdue || Date.parse(r.nextDeadline!) < now;
  const watchedRows = inside.filter((r) => late(r) || Date.parse(r.nextDeadline!) - now <= 3 * 86_400_000);
  const expectedOrder = [...watchedRows].sort((a, b) => Number(late(b)) - Number(late(a)) || Date.parse(a.nextDeadline!) - Date.parse(b.nextDeadline!));
  expect(o.watched.map((w) => w.id)).toEqual(expectedOrder.map((r) => r.id));
  expect(o.watched.find((w) => w.id === rows[2].id)).toMatchObject({ explanationRequired: true, categoryName: '土地', summary: '第2件', township: `${county}/梁家村镇` });
  expect(o.counts).toEqual([{ township: `${county}/梁家村镇`, level: 'village', overdue: watchedRows.filter(late).length, soon: watchedRows.filter((r) => !late(r)).length }]);
  await sys.db.query(`DELETE FROM cases WHERE id = ANY($1)`, [rows.map((r) => r.id)]);
});

test('statistics counted by PostgreSQL equal computeStatistics over the same snapshots', async () => {
  const { county, township, village } = uniqueVillage('统计SQL');
  const other = `${county}/河北留善寺乡`;
  const day = 86_400_000;
  const t0 = shanghaiDayStart('2026-01-01');
  const at = (days: number) => iso(t0 + days * day);
  const id = (k: string, i: number) => `${k}-SQL${county.slice(-6)}${i}`;
  const rows: Row[] = [
    // Mediations: agreements in the village and township, on time and late, a failure without a recorded deadline, open ones.
    { id: id('MED', 1), kind: 'mediation', status: 'closed', level: 'village', area: village, category: 'land', openedAt: at(0.25),
      snapshot: { outcome: { kind: 'agreement', at: at(3.5), levelDeadline: at(30) } } },
    { id: id('MED', 2), kind: 'mediation', status: 'closed', level: 'township', area: `${township}/西村`, category: 'family', openedAt: at(10),
      snapshot: { outcome: { kind: 'agreement', at: at(50), levelDeadline: at(40) } } },
    { id: id('MED', 3), kind: 'mediation', status: 'failed', level: 'county', area: other, category: 'land', openedAt: at(40.1),
      snapshot: { outcome: { kind: 'failure', at: at(47.35) } } },
    { id: id('MED', 4), kind: 'mediation', status: 'withdrawn', level: 'village', area: village, category: 'labour', openedAt: at(65),
      snapshot: { outcome: { kind: 'withdrawal', at: at(66), levelDeadline: at(66) } } },
    { id: id('MED', 5), kind: 'mediation', status: 'in_mediation', level: 'village', area: village, category: 'land', openedAt: at(70), overdue: true,
      snapshot: { outcome: null } },
    // Outside the period: not counted.
    { id: id('MED', 6), kind: 'mediation', status: 'closed', level: 'village', area: village, category: 'land', openedAt: at(95),
      snapshot: { outcome: { kind: 'agreement', at: at(96), levelDeadline: at(120) } } },
    // Petitions: replied in time, replied after the handling deadline passed, deadline passed unreplied, open.
    { id: id('PET', 1), kind: 'petition', status: 'replied', area: village, category: 'visit', openedAt: at(2),
      snapshot: { reply: { at: at(20) }, timeline: [{ seq: 1, action: 'registered' }, { seq: 2, action: 'replied' }, { seq: 3, action: 'deadline_passed', details: { deadline: 'handleBy' } }] } },
    { id: id('PET', 2), kind: 'petition', status: 'replied', area: other, category: 'letter', openedAt: at(5),
      snapshot: { reply: { at: at(75.5) }, timeline: [{ seq: 1, action: 'registered' }, { seq: 2, action: 'deadline_passed', details: { deadline: 'acceptBy' } }, { seq: 3, action: 'deadline_passed', details: { deadline: 'handleBy' } }, { seq: 4, action: 'replied' }] } },
    { id: id('PET', 3), kind: 'petition', status: 'handling', area: village, category: 'visit', openedAt: at(8), overdue: true,
      snapshot: { reply: null, timeline: [{ seq: 1, action: 'registered' }, { seq: 2, action: 'deadline_passed', details: { deadline: 'handleBy' } }] } },
    { id: id('PET', 4), kind: 'petition', status: 'accepted', area: township, category: 'online', openedAt: at(31),
      snapshot: { reply: null, timeline: [{ seq: 1, action: 'registered' }] } },
    // Village matters: adopted, rejected after a vote, one still open with a meeting without quorum.
    { id: id('VIL', 1), kind: 'village_decision', status: 'closed', area: village, category: 'project', openedAt: at(1),
      snapshot: { outcome: 'completed', meetings: [{ step: 'proposal', passed: true, outcome: 'passed' }, { step: 'resolution', passed: true, outcome: 'passed' }] } },
    { id: id('VIL', 2), kind: 'village_decision', status: 'closed', area: village, category: 'land', openedAt: at(33),
      snapshot: { outcome: 'ended_after_rejection', meetings: [{ step: 'resolution', passed: false, outcome: 'no_quorum' }, { step: 'resolution', passed: false, outcome: 'rejected' }] } },
    { id: id('VIL', 3), kind: 'village_decision', status: 'deliberation', area: `${township}/西村`, category: 'project', openedAt: at(60),
      snapshot: { outcome: null, meetings: [{ step: 'deliberation', passed: false, outcome: 'no_quorum' }] } },
  ];
  await insert(rows);
  // What the API computed before: every row through computeStatistics, with the facts read from the snapshot.
  const reference = (area: string, from: string, to: string) =>
    computeStatistics(
      rows.filter((r) => areaContains(area, r.area)).map((r): StatCase => {
        const s = r.snapshot as { outcome?: { kind: string; at: string; levelDeadline?: string } | null } & Parameters<typeof petitionReplyFacts>[0];
        return {
          id: r.id, kind: r.kind, status: r.status, level: r.level ?? null, category: r.category ?? null, area: r.area,
          openedAt: new Date(Date.parse(r.openedAt)).toISOString(), overdue: r.overdue ?? false,
          outcome: r.kind === 'mediation' && s.outcome ? { kind: s.outcome.kind, at: s.outcome.at, level: r.level ?? '', levelDeadline: s.outcome.levelDeadline } : null,
          ...(r.kind === 'petition' ? petitionReplyFacts(s) : {}),
          ...(r.kind === 'village_decision' ? { village: villageFacts(r.snapshot as Parameters<typeof villageFacts>[0]) } : {}),
        };
      }),
      from,
      to,
    );
  for (const [area, from, to] of [[county, '2026-01-01', '2026-04-01'], [township, '2026-01-01', '2026-04-01'], [village, '2026-02-01', '2026-03-01'], [county, '2025-12-01', '2026-06-01']]) {
    const sql = await statisticsFor(sys.db, { area, from, to });
    expect(sql).toEqual({ area, ...reference(area, from, to) });
  }
  // The fixture exercises what it should: rates, medians and both petition paths are not empty.
  const all = await statisticsFor(sys.db, { area: county, from: '2026-01-01', to: '2026-04-01' });
  expect(all.mediation).toMatchObject({ outcomes: 4, medianDays: 5.3, p90Days: 40, onTime: { count: 2, of: 3, unknown: 1 } });
  expect(all.petition).toMatchObject({ replied: 2, lateUnreplied: 1, onTime: { count: 1, of: 3 } });
  expect(all.village).toMatchObject({ decided: 2, meetings: 5, withoutQuorum: { count: 2, of: 5 } });
  await sys.db.query(`DELETE FROM cases WHERE id = ANY($1)`, [rows.map((r) => r.id)]);
});

test('the list and overview queries walk the new indexes at 20,000 cases, not the whole table', async () => {
  const { county } = uniqueVillage('索引');
  const n = 20_000;
  await sys.db.query(
    `INSERT INTO cases (id, kind, status, level, area, category, summary, opened_at, next_deadline, overdue, policy_version, version, snapshot)
     SELECT 'MED-IDX' || $2 || g, 'mediation', (ARRAY['awaiting_acceptance','in_mediation','closed'])[1 + g % 3], 'village',
            $1 || '/镇' || (g % 10) || '/村' || (g / 10 % 10), 'land', 's', now() - g * interval '1 minute', now() + (g % 20) * interval '1 day',
            g % 10 = 0, 'test', 1, jsonb_build_object('id', 'MED-IDX' || $2 || g, 'finished', g % 3 = 2)
       FROM generate_series(1, $3::int) g`,
    [county, county.slice(-6), n],
  );
  await sys.db.query('ANALYZE cases');
  try {
    const plan = async (sql: string, args: unknown[]) =>
      JSON.stringify((await sys.db.query(`EXPLAIN (FORMAT JSON) ${sql}`, args)).rows[0]['QUERY PLAN']);
    const township = await plan(
      `SELECT id FROM cases WHERE kind = 'mediation' AND area_township = $1 AND status = 'awaiting_acceptance' ORDER BY opened_at DESC LIMIT 20`,
      [`${county}/镇3`],
    );
    expect(township).toContain('cases_list_township');
    const overdue = await plan(`SELECT id FROM cases WHERE kind = 'mediation' AND area_county = $1 AND overdue = true ORDER BY opened_at DESC LIMIT 20`, [county]);
    expect(overdue).toContain('cases_list_county');
    const open = await plan(
      `SELECT id FROM cases WHERE kind = 'mediation' AND NOT finished AND area_county = $1 AND (overdue OR next_deadline < now()) ORDER BY next_deadline NULLS LAST LIMIT 200`,
      [county],
    );
    expect(open).toContain('cases_open_deadline');
    for (const p of [township, overdue, open]) expect(p).not.toContain('Seq Scan');
    // And the answers are the ones asked for.
    const listed = await listRegister<{ id: string }>(sys.db, 'mediation', { area: `${county}/镇3`, status: 'awaiting_acceptance' }, { limit: 20, offset: 0 });
    expect(listed).toHaveLength(20);
    expect(listed[0].id).toBe(`MED-IDX${county.slice(-6)}3`);
  } finally {
    await sys.db.query(`DELETE FROM cases WHERE id LIKE $1`, [`MED-IDX${county.slice(-6)}%`]);
  }
});
