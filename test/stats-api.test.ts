import { shanghaiDate } from '../domain/time';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/** GET /api/v1/stats over real cases opened through the API: counts, shares, on-time, and who may ask for which area. */
let sys: TestSystem;
const where = uniqueVillage('统计');
const otherTownship = `${where.county}/河北留善寺乡`;
const report = (area: string, summary: string) => ({
  category: 'neighbourhood',
  summary,
  parties: [{ name: '张三', role: 'applicant' }, { name: '李四', role: 'respondent' }],
  area,
  channel: 'grid',
});

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

test('counts, the village share, success and on-time of real cases; the area and role rules', async () => {
  const grid = await sys.user('grid_worker', where.county, { name: '王网格' });
  const med = await sys.user('mediator', where.village, { level: 'village', name: '李调解' });
  const supervisor = await sys.user('supervisor', where.county, { name: '孙督导' });
  const leader = await sys.user('leader', where.township, { name: '周领导' });
  const townshipSupervisor = await sys.user('supervisor', otherTownship, { name: '吴督导' });

  const open = async (area: string, summary: string) => {
    const r = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report(area, summary) });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const agreed = await open(where.village, '宅前排水沟堵塞争执');
  await open(where.village, '邻里噪音纠纷');
  await open(`${otherTownship}/南村`, '地界纠纷');
  expect((await sys.call('POST', `/api/v1/mediations/${agreed}/accept`, { token: med.token, body: {} })).status).toBe(200);
  const closed = await sys.call('POST', `/api/v1/mediations/${agreed}/agreement`, {
    token: med.token,
    body: { form: 'written', terms: '双方共同疏通排水沟', parties: ['张三', '李四'] },
  });
  expect(closed.status).toBe(200);
  // The outcome keeps the level deadline that was in force: the on-time rate needs it.
  expect(closed.body.outcome.levelDeadline).toMatch(/\+08:00$/);

  const today = shanghaiDate(Date.now());
  const tomorrow = shanghaiDate(Date.now() + 86_400_000);
  const q = (area: string, from = today, to = tomorrow) => `/api/v1/stats?area=${encodeURIComponent(area)}&from=${from}&to=${to}`;

  const county = await sys.call('GET', q(where.county), { token: supervisor.token });
  expect(county.status).toBe(200);
  expect(county.body).toMatchObject({
    area: where.county,
    from: today,
    to: tomorrow,
    total: 3,
    byProcess: [{ kind: 'mediation', count: 3 }, { kind: 'petition', count: 0 }, { kind: 'village_decision', count: 0 }],
    byStatus: [{ kind: 'mediation', status: 'awaiting_acceptance', count: 2 }, { kind: 'mediation', status: 'closed', count: 1 }],
    byLevel: [{ kind: 'mediation', level: 'village', count: 3 }],
    byCategory: [{ kind: 'mediation', category: 'neighbourhood', count: 3 }],
    byTownship: [
      { township: where.township, mediation: 2, total: 2 },
      { township: otherTownship, mediation: 1, total: 1 },
    ],
    mediation: {
      outcomes: 1,
      endedInVillage: { count: 1, of: 1, rate: 1 },
      endedInTownship: { count: 0, of: 1, rate: 0 },
      success: { count: 1, of: 1, rate: 1 },
      onTime: { count: 1, of: 1, rate: 1, unknown: 0 },
    },
    monthly: [{ month: today.slice(0, 7), opened: 3, mediation: 3 }],
  });
  expect(county.body.mediation.medianDays).toBeGreaterThanOrEqual(0);

  // A township leader sees its township only (its own area by default); a period before today counts nothing.
  const own = await sys.call('GET', `/api/v1/stats?from=${today}&to=${tomorrow}`, { token: leader.token });
  expect(own.status).toBe(200);
  expect(own.body).toMatchObject({ area: where.township, total: 2 });
  const before = await sys.call('GET', q(where.county, '2024-01-01', today), { token: supervisor.token });
  expect(before.body.total).toBe(0);
  expect((await sys.call('GET', q(where.county, '2020-01-01', today), { token: supervisor.token })).status).toBe(400); // over 5 years

  // Outside one's area, or another role: 403; bad dates: 400 naming the field.
  const outside = await sys.call('GET', q(where.county), { token: townshipSupervisor.token });
  expect(outside.status).toBe(403);
  expect(outside.body.error.code).toBe('forbidden');
  expect((await sys.call('GET', q(where.township), { token: townshipSupervisor.token })).status).toBe(403);
  expect((await sys.call('GET', q(where.village), { token: med.token })).status).toBe(403);
  expect((await sys.call('GET', q(where.county), { token: sys.adminToken })).status).toBe(403);
  const bad = await sys.call('GET', q(where.county, '2026-02-30'), { token: supervisor.token });
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toMatch(/^from:/);
  expect((await sys.call('GET', q(where.county, tomorrow, today), { token: supervisor.token })).status).toBe(400);
  expect((await sys.call('GET', `${q(where.county)}&extra=1`, { token: supervisor.token })).status).toBe(400);

  const doc = await sys.call('GET', '/api/v1/openapi.json', {});
  expect(doc.body.paths['/api/v1/stats'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['area', 'from', 'to']);
});
