import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * The edge refuses what the register cannot store and what is not what it seems, on the real dev server, PostgreSQL
 * and SMTP: text with NUL (`\u0000`) or a lone surrogate (`\udc00`) in any field of any body, public or staff, JSON or
 * the board's form, and in query strings (400 naming the field); bodies that are not JSON (415); a two-character
 * mediation summary (accepted); the board of an area nobody knows (404).
 */
let sys: TestSystem;
const where = uniqueVillage('边界');
type U = Awaited<ReturnType<TestSystem['user']>>;
let clerk: U, grid: U, mediator: U;
const NUL = '\u0000';
const LONE = '\udc00';

const API = '/api/v1/village-decisions';
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const meeting = (body: string, entitled: number, present: number, votesFor: number, minutesAgo: number) => ({
  body, heldAt: ago(minutesAgo), noticeGivenAt: ago(minutesAgo + 11 * 24 * 60), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: `${body} 会议记录`,
});
const report = (extra: Record<string, unknown> = {}) => ({
  category: 'neighbourhood', summary: '两户因排水沟堵塞发生争执', area: where.village, channel: 'grid',
  parties: [{ name: '张三', role: 'applicant' }, { name: '李四', role: 'respondent' }], ...extra,
});
/** A form post as the board's page sends it (application/x-www-form-urlencoded). */
const form = async (route: string, fields: Record<string, string>) => {
  const res = await fetch(`${sys.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text() };
};
const raw = async (method: string, route: string, init: { token?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {}) => {
  const res = await fetch(`${sys.url}${route}`, {
    method,
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers ?? {}) },
    body: init.body,
  });
  const text = await res.text();
  return { status: res.status, text, json: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
};

let matterId: string;
let noticeId: string;

beforeAll(async () => {
  sys = await startTestSystem();
  clerk = await sys.user('village_clerk', where.village, { name: '东村文书' });
  grid = await sys.user('grid_worker', where.village, { name: '王网格' });
  mediator = await sys.user('mediator', where.village, { level: 'village', name: '李调解' });
  // A matter on the board, in its notice period (7 days by default).
  const created = await sys.call('POST', API, {
    token: clerk.token,
    body: { type: 'public_works', title: '修缮村西小桥', description: '小桥护栏更换', amount: 20000 },
  });
  expect(created.status).toBe(201);
  matterId = created.body.id;
  for (const m of [meeting('party_branch', 5, 4, 4, 60), meeting('two_committees', 7, 6, 6, 50), meeting('party_members', 30, 20, 11, 40), meeting('representatives', 30, 20, 11, 30)]) {
    const r = await sys.call('POST', `${API}/${matterId}/meetings`, { token: clerk.token, body: m });
    expect(r.status).toBe(200);
  }
  noticeId = `${matterId}-R`;
});
afterAll(async () => {
  await sys?.stop();
});

test('an objection with NUL or a lone surrogate is refused at the edge (JSON and form), and the matter goes on', async () => {
  for (const bad of [NUL, LONE, `造价偏高${NUL}`, `造价${LONE}偏高`]) {
    const r = await sys.call('POST', `/api/v1/notices/${noticeId}/objections`, { body: { text: bad } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect(r.body.error.message).toMatch(/^text: contains a (NUL character|lone surrogate)/);
  }
  const inName = await sys.call('POST', `/api/v1/notices/${noticeId}/objections`, { body: { text: '造价偏高', name: `王${LONE}` } });
  expect(inName.status).toBe(400);
  expect(inName.body.error.message).toMatch(/^name: contains a lone surrogate \(U\+DC00\)/);
  // The board's own form: a NUL arrives as %00; the page says what is wrong, in HTML.
  const viaForm = await form(`/notices/${noticeId}/objections`, { text: `造价偏高${NUL}` });
  expect(viaForm.status).toBe(400);
  expect(viaForm.text).toContain('<html');
  expect(viaForm.text).toContain('text: contains a NUL character');

  // Nothing reached the matter: a proper objection is filed and answered at once (no hanging action before it).
  const ok = await sys.call('POST', `/api/v1/notices/${noticeId}/objections`, { body: { text: '造价偏高，希望公开比价' } });
  expect(ok.status).toBe(201);
  const answered = await sys.call('POST', `${API}/${matterId}/objections/${ok.body.objectionId}/answer`, { token: clerk.token, body: { answer: '已比价' } });
  expect(answered.status).toBe(200);
  expect(answered.body.objections.map((o: any) => o.text)).toEqual(['造价偏高，希望公开比价']);
});

test('staff bodies and query strings with NUL or a lone surrogate are refused with 400 naming the field', async () => {
  const summary = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report({ summary: `鸡鸭进院${NUL}` }) });
  expect(summary.status).toBe(400);
  expect(summary.body.error.message).toMatch(/^summary: contains a NUL character/);
  const lone = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report({ summary: `鸡鸭${LONE}进院` }) });
  expect(lone.status).toBe(400);
  expect(lone.body.error.message).toMatch(/^summary: contains a lone surrogate/);
  const nested = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: report({ parties: [{ name: '张三', role: 'applicant' }, { name: LONE, role: 'respondent' }] }),
  });
  expect(nested.status).toBe(400);
  expect(nested.body.error.message).toMatch(/^parties\.1\.name: /);
  const key = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: { ...report(), [`x${NUL}`]: 1 } });
  expect(key.status).toBe(400);
  expect(key.body.error.message).toContain('a field name contains a NUL character');
  // Nothing was opened.
  const cases = await sys.db.query(`SELECT count(*)::int AS n FROM cases WHERE kind = 'mediation' AND area = $1`, [where.village]);
  expect(cases.rows[0].n).toBe(0);

  // A staff action on an open case, and a mediation summary of a session.
  const opened = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report() });
  expect(opened.status).toBe(201);
  const id = opened.body.id;
  expect((await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: mediator.token, body: {} })).status).toBe(200);
  const session = await sys.call('POST', `/api/v1/mediations/${id}/sessions`, {
    token: mediator.token, body: { heldAt: ago(10), summary: `双方到场${NUL}` },
  });
  expect(session.status).toBe(400);
  expect(session.body.error.message).toMatch(/^summary: contains a NUL character/);
  const fine = await sys.call('POST', `/api/v1/mediations/${id}/sessions`, { token: mediator.token, body: { heldAt: ago(10), summary: '双方到场' } });
  expect(fine.status).toBe(200);

  // Query strings of the staff API, the JSON board and the HTML board.
  const q = await sys.call('GET', `/api/v1/mediations?category=${encodeURIComponent(`x${NUL}`)}`, { token: mediator.token });
  expect(q.status).toBe(400);
  expect(q.body.error.message).toMatch(/^category: contains a NUL character/);
  const board = await sys.call('GET', `/api/v1/notices?area=${encodeURIComponent(`${where.township}${NUL}`)}`);
  expect(board.status).toBe(400);
  expect(board.body.error.message).toMatch(/^area: contains a NUL character/);
  const page = await raw('GET', `/notices?area=%00`);
  expect(page.status).toBe(400);
  expect(page.text).toContain('area: contains a NUL character');
});

test('a body that is not JSON gets 415 saying so; an action without a body still works', async () => {
  const body = JSON.stringify({ name: '王网格', email: 'w@example.cn', role: 'grid_worker', area: where.village });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
    // Without a type, the body goes as bytes (fetch gives a string body text/plain).
    const headers: Record<string, string> = type ? { 'content-type': type } : {};
    const r = await raw('POST', '/api/v1/users', { token: sys.adminToken, headers, body: type ? body : new TextEncoder().encode(body) });
    expect(r.status).toBe(415);
    expect(r.json.error.code).toBe('unsupported_media_type');
    expect(r.json.error.message).toContain('Content-Type: application/json');
  }
  const publicJson = await raw('POST', `/api/v1/notices/${noticeId}/objections`, { headers: { 'content-type': 'text/plain' }, body: '{"text":"有异议"}' });
  expect(publicJson.status).toBe(415);
  // application/json with a charset is JSON.
  const ok = await raw('POST', '/api/v1/users', { token: sys.adminToken, headers: { 'content-type': 'application/json; charset=utf-8' }, body });
  expect(ok.status).toBe(201);
  // No body at all: the action has no fields, nothing to misread.
  const opened = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report({ summary: '占道堆放柴草' }) });
  const accepted = await raw('POST', `/api/v1/mediations/${opened.body.id}/accept`, { token: mediator.token });
  expect(accepted.status).toBe(200);
});

test('a two-character summary is enough (鸡鸭进院 and 占道); one character is not; OpenAPI says the same', async () => {
  for (const summary of ['鸡鸭进院', '占道']) {
    const r = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report({ summary }) });
    expect(r.status).toBe(201);
    expect(r.body.summary).toBe(summary);
  }
  const short = await sys.call('POST', '/api/v1/mediations', { token: grid.token, body: report({ summary: ' 鸡 ' }) });
  expect(short.status).toBe(400);
  expect(short.body.error.message).toMatch(/^summary: /);
  const doc = await sys.call('GET', '/api/v1/openapi.json');
  expect(doc.body.components.schemas.CreateMediation.properties.summary.minLength).toBe(2);
});

test('the board of an area nobody knows is 404, in HTML and JSON; known areas answer', async () => {
  const nowhere = `${where.county}/无此镇`;
  const json = await sys.call('GET', `/api/v1/notices?area=${encodeURIComponent(nowhere)}`);
  expect(json.status).toBe(404);
  expect(json.body.error.code).toBe('not_found');
  expect(json.body.error.message).toContain(nowhere);
  const html = await raw('GET', `/notices?area=${encodeURIComponent(nowhere)}`);
  expect(html.status).toBe(404);
  expect(html.text).toContain(nowhere);
  // Known: the county, township and village of the matter; a village where only a staff member is registered.
  for (const area of [where.county, where.township, where.village]) {
    const r = await sys.call('GET', `/api/v1/notices?area=${encodeURIComponent(area)}`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((n: any) => n.id)).toContain(noticeId);
  }
  const quiet = `${where.township}/北村`;
  expect((await sys.call('GET', `/api/v1/notices?area=${encodeURIComponent(quiet)}`)).status).toBe(404);
  await sys.user('village_clerk', quiet);
  const empty = await sys.call('GET', `/api/v1/notices?area=${encodeURIComponent(quiet)}`);
  expect(empty.status).toBe(200);
  expect(empty.body.items).toEqual([]);
  expect((await raw('GET', `/notices?area=${encodeURIComponent(quiet)}`)).status).toBe(200);
});

test('the console refuses the same text at its edge: a query or a form field with NUL is a 400 page, nothing posted', async () => {
  const q = await fetch(`${sys.url}/console/sign-in?next=${encodeURIComponent(`/console${NUL}`)}`);
  expect(q.status).toBe(400);
  expect(q.headers.get('content-type')).toMatch(/text\/html/);
  expect(await q.text()).toContain('next');
  // A sign-in form whose email carries NUL is refused before anything reads it (the CSRF check comes after).
  const f = await fetch(`${sys.url}/console/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: `a${NUL}@b.cn`, password: 'x' }).toString(),
  });
  expect(f.status).toBe(400);
  expect(await f.text()).toContain('email');
});
