import { buildOpenApi } from '../api/openapi';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Property-level access (issue 11): a body that sets a field its sender may not set (status, level, assignees, ids,
 * versions, the actor, another meeting's votes …) is refused with 400 naming the field and changes nothing; every
 * request schema is closed (`.strict()`: additionalProperties false in the OpenAPI document, at every depth).
 */
let sys: TestSystem;
const where = uniqueVillage('属性');
type U = Awaited<ReturnType<TestSystem['user']>>;
let grid: U, mediator: U, supervisor: U, officer: U, leader: U, clerk: U;
let mediation: string, petition: string, matter: string, meeting: string;

beforeAll(async () => {
  sys = await startTestSystem();
  grid = await sys.user('grid_worker', where.village);
  mediator = await sys.user('mediator', where.village, { level: 'village' });
  supervisor = await sys.user('supervisor', where.county);
  officer = await sys.user('petition_officer', where.county);
  leader = await sys.user('leader', where.county);
  clerk = await sys.user('village_clerk', where.village);
  const m = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: MEDIATION });
  mediation = m.body.id;
  const p = await sys.call('POST', '/api/v1/petitions', { token: officer.token, body: PETITION });
  petition = p.body.id;
  const v = await sys.call('POST', '/api/v1/village-decisions', { token: clerk.token, body: MATTER });
  matter = v.body.id;
  const mt = await sys.call('POST', '/api/v1/meetings', { token: officer.token, body: {} });
  meeting = mt.body.id;
  expect([m.status, p.status, v.status, mt.status]).toEqual([201, 201, 201, 202]);
});
afterAll(async () => {
  await sys?.stop();
});

const MEDIATION = { category: 'neighbourhood', summary: '两户因排水沟堵塞发生争执', area: where.village, channel: 'grid', parties: [{ name: '张三', role: 'applicant' }] };
const PETITION = { petitioner: { name: '周某', phone: '13800000000' }, subject: `补偿款-${where.county}`, content: '补偿款只发放一半。', channel: 'visit', area: where.township };
const MATTER = { type: 'public_works', title: '硬化主街', description: '硬化村内东西主街', amount: 100000 };
const VILLAGE_MEETING = { body: 'party_branch', heldAt: new Date().toISOString(), entitled: 7, present: 6, for: 5, against: 1, abstain: 0, minutes: '提议硬化主街' };

/** [who, method, path, body, the field the message must name] */
type Row = [() => U, string, () => string, Record<string, unknown>, string];
const rows = (): Row[] => [
  [() => grid, 'POST', () => '/api/v1/mediations', { ...MEDIATION, status: 'closed' }, 'status'],
  [() => grid, 'POST', () => '/api/v1/mediations', { ...MEDIATION, level: 'county' }, 'level'],
  [() => grid, 'POST', () => '/api/v1/mediations', { ...MEDIATION, id: 'MED-000000000000' }, 'id'],
  [() => grid, 'POST', () => '/api/v1/mediations', { ...MEDIATION, assignees: [{ id: 'u_x' }] }, 'assignees'],
  [() => grid, 'POST', () => '/api/v1/mediations', { ...MEDIATION, reportedBy: { id: 'admin', role: 'admin' } }, 'reportedBy'],
  [() => grid, 'POST', () => '/api/v1/mediations', { ...MEDIATION, parties: [{ name: '张三', role: 'applicant', verified: true }] }, 'verified'],
  [() => mediator, 'POST', () => `/api/v1/mediations/${mediation}/accept`, { note: '受理', status: 'closed' }, 'status'],
  [() => mediator, 'POST', () => `/api/v1/mediations/${mediation}/accept`, { actor: { id: 'admin', name: '管理员', role: 'admin' } }, 'actor'],
  [() => mediator, 'POST', () => `/api/v1/mediations/${mediation}/accept`, { version: 99 }, 'version'],
  [() => mediator, 'POST', () => `/api/v1/mediations/${mediation}/assign`, { mediatorIds: [mediator.id], assignees: [{ id: 'u_x' }] }, 'assignees'],
  [() => mediator, 'POST', () => `/api/v1/mediations/${mediation}/agreement`, { form: 'written', terms: '平摊', parties: ['张三'], finished: true }, 'finished'],
  [() => supervisor, 'POST', () => `/api/v1/mediations/${mediation}/urge`, { message: '请尽快办理', overdue: false }, 'overdue'],
  [() => officer, 'POST', () => '/api/v1/petitions', { ...PETITION, status: 'closed' }, 'status'],
  [() => officer, 'POST', () => '/api/v1/petitions', { ...PETITION, leader: { id: 'u_x' } }, 'leader'],
  [() => officer, 'POST', () => '/api/v1/petitions', { ...PETITION, petitionId: 'PET-000000000000' }, 'petitionId'],
  [() => officer, 'POST', () => `/api/v1/petitions/${petition}/assign`, { unit: '县交通局', unitHead: '李局长', deadlines: {} }, 'deadlines'],
  [() => officer, 'POST', () => `/api/v1/petitions/${petition}/leader`, { leaderId: leader.id, leader: { id: leader.id, role: 'admin' } }, 'leader'],
  [() => officer, 'POST', () => `/api/v1/petitions/${petition}/reply`, { decision: 'supported', opinion: '支持', documentId: 'DOC-1' }, 'documentId'],
  [() => leader, 'POST', () => `/api/v1/petitions/${petition}/extension`, { days: 10, reason: '测量', approvedBy: '李局长', extended: false }, 'extended'],
  [() => officer, 'POST', () => `/api/v1/petitions/${petition}/hearing-start`, { actor: { id: 'admin' } }, 'actor'],
  [() => officer, 'POST', () => '/api/v1/meetings', { id: 'MTG-x' }, 'id'],
  [() => officer, 'POST', () => `/api/v1/meetings/${encodeURIComponent(meeting)}/minutes`, { chair: '县长', attendees: ['县长'], directions: [], status: 'minutes_recorded' }, 'status'],
  [() => officer, 'POST', () => `/api/v1/meetings/${encodeURIComponent(meeting)}/minutes`, { chair: '县长', attendees: ['县长'], directions: [{ petitionId: petition, direction: 'continue', note: '继续', status: 'closed' }] }, 'status'],
  [() => clerk, 'POST', () => '/api/v1/village-decisions', { ...MATTER, status: 'passed' }, 'status'],
  [() => clerk, 'POST', () => '/api/v1/village-decisions', { ...MATTER, openedBy: { id: 'admin' } }, 'openedBy'],
  [() => clerk, 'POST', () => `/api/v1/village-decisions/${matter}/meetings`, { ...VILLAGE_MEETING, meetingId: 'another' }, 'meetingId'],
  [() => clerk, 'POST', () => `/api/v1/village-decisions/${matter}/meetings`, { ...VILLAGE_MEETING, votes: { for: 99 } }, 'votes'],
  [() => clerk, 'POST', () => `/api/v1/village-decisions/${matter}/meetings`, { ...VILLAGE_MEETING, step: 'decided' }, 'step'],
  [() => clerk, 'POST', () => `/api/v1/village-decisions/${matter}/progress`, { note: '开工', status: 'completed' }, 'status'],
  [() => grid, 'POST', () => `/api/v1/users/${grid.id}/tokens`, { expiresAt: '2099-01-01T00:00:00+08:00' }, 'expiresAt'],
  [() => grid, 'DELETE', () => `/api/v1/users/${grid.id}/tokens`, { id: mediator.id }, 'id'],
];

test('a body that sets a field its sender may not set is refused with 400 naming it, and nothing changes', async () => {
  const state = async () => ({
    cases: (await sys.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cases WHERE area LIKE $1', [`${where.county}%`])).rows[0].n,
    audit: (await sys.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE case_id = ANY($1)', [[mediation, petition, matter]])).rows[0].n,
    mediation: (await sys.call('GET', `/api/v1/mediations/${mediation}`, { token: mediator.token })).body.version,
    petition: (await sys.call('GET', `/api/v1/petitions/${petition}`, { token: officer.token })).body.version,
    matter: (await sys.call('GET', `/api/v1/village-decisions/${matter}`, { token: clerk.token })).body.version,
    tokenWorks: (await sys.call('GET', '/api/v1/users/me', { token: grid.token })).status,
  });
  const before = await state();
  const wrong: string[] = [];
  for (const [who, method, path, body, field] of rows()) {
    const r = await sys.call(method, path(), { token: who().token, body });
    const message = String(r.body?.error?.message ?? '');
    if (r.status !== 400 || !message.includes(`"${field}"`)) wrong.push(`${method} ${path()} ${JSON.stringify(body).slice(0, 80)}: ${r.status} ${message}`);
  }
  expect(wrong).toEqual([]);
  expect(await state()).toEqual(before);
  expect(before.tokenWorks).toBe(200);
});

test('every request body schema is closed at every depth (additionalProperties: false)', () => {
  const doc = buildOpenApi('test') as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
  const open: string[] = [];
  const resolve = (s: any) => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()] : s);
  const walk = (raw: any, where: string) => {
    const s = resolve(raw);
    if (!s) return;
    if (s.type === 'object' || s.properties) {
      if (s.additionalProperties !== false) open.push(where);
      for (const [k, v] of Object.entries<any>(s.properties ?? {})) walk(v, `${where}.${k}`);
    }
    if (s.items) walk(s.items, `${where}[]`);
    for (const k of ['allOf', 'anyOf', 'oneOf']) for (const x of s[k] ?? []) walk(x, where);
  };
  let bodies = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema) continue;
      bodies++;
      walk(schema, `${method.toUpperCase()} ${path}`);
    }
  }
  expect(open).toEqual([]);
  expect(bodies).toBeGreaterThan(30);
});
