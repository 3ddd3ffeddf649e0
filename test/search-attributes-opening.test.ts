import { SA } from '../domain/search-attributes';
import { listedUntil, reportDebtDispute, startTestSystem, uniqueVillage, type TestSystem } from './harness';
import { replayCase } from './replay-helpers';

/**
 * SEARCH_ATTRIBUTES=opening (domain/search-attributes.ts): a case publishes its unchanging search attributes once,
 * when it opens, and none at its transitions, so that a staff action costs the Temporal server no visibility write.
 * The default (`full`) is proved by the suites that filter on PinganStatus and PinganOverdue (mediation-api,
 * mediation-escalation); this one runs a mediation case with the setting through acceptance, a session and an
 * escalation, and replays its history (fixture mediation-v8-attributes-at-opening).
 */
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({ env: { SEARCH_ATTRIBUTES: 'opening' } });
});
afterAll(async () => {
  await sys?.stop();
});

/** The custom search attributes each upsert of a history set, by name (Temporal's own TemporalChangeVersion aside). */
async function upserts(id: string): Promise<string[][]> {
  const history = await sys.client.workflow.getHandle(id).fetchHistory();
  return (history.events ?? [])
    .map((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}))
    .map((keys) => keys.filter((k) => k.startsWith('Pingan')).sort())
    .filter((keys) => keys.length > 0);
}

test('a case publishes kind, area and category once, when it opens, and no search attribute at its transitions', async () => {
  const where = uniqueVillage('检索');
  const { id, med } = await reportDebtDispute(sys, where);
  const act = (action: string, body: object) => sys.call('POST', `/api/v1/mediations/${id}/${action}`, { token: med.token, body });
  expect((await act('accept', {})).status).toBe(200);
  expect((await act('sessions', { heldAt: '2026-03-02T10:00:00+08:00', summary: '双方陈述' })).status).toBe(200);
  expect((await act('escalate', { reason: '村级调解未果，申请上一级调解' })).status).toBe(200);

  const opening = [SA.area.name, SA.category.name, SA.kind.name].sort();
  expect(await upserts(id)).toEqual([opening]);
  // The register has every change, as in the default mode.
  const reg = await sys.db.query('SELECT version FROM cases WHERE id = $1', [id]);
  expect(reg.rows[0].version).toBe(4);

  // One patch marker: the opening-only patch implies every earlier one.
  const history = await sys.client.workflow.getHandle(id).fetchHistory();
  expect((history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(1);

  // The Temporal UI and CLI still find the case by the attributes it published.
  const query = `PinganKind = 'mediation' AND PinganArea = '${where.township}' AND PinganCategory = 'debt'`;
  expect(await listedUntil(sys, query, id)).toEqual([id]);

  await replayCase(sys, id, 'mediation-v8-attributes-at-opening');
});
