import { areaContains } from '../domain/areas';
import type { Role } from '../domain/actors';
import { ACCESS, memberRoles, routesOf, type Access } from '../api/access';
import { createApp } from '../api/app';
import { PETITION_FORMS } from '../api/console/petition-actions';
import { PETITION_ACTION_PATHS } from '../domain/petition-available';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Access, proven by a generated matrix (issue 11): every operation of the access table (api/access.ts), which is
 * checked against the OpenAPI document and the Express router, × every role × a record in the member's own area, in
 * another area of the same county and in another county, and × no token and a deactivated member. Each answer is
 * checked against the table: a role the entry does not name 403 (the console: 404), a record outside the member's
 * scope 404, an allowed call neither 401, 403 nor 404. Every 2xx answer is searched for the ids of records the member
 * may not see, for secrets (token and password hashes) and, for roles that do not handle petitions, for the
 * petitioner's contact details. Refusals run first, so that nothing an allowed call changes can move a refusal.
 * The operators' entry (GET /metrics) is called with every member's token and none (401) and with METRICS_TOKEN (200).
 */
let sys: TestSystem;
const METRICS_TOKEN = `matrix-metrics-${Math.random().toString(36).slice(2)}-token`;
const A = uniqueVillage('矩阵');
const B = uniqueVillage('他县');
const SIBLING = { county: A.county, township: `${A.county}/窝北镇`, village: `${A.county}/窝北镇/西村` };
type Loc = 'home' | 'sibling' | 'foreign';
const LOCS: Loc[] = ['home', 'sibling', 'foreign'];
const PLACE: Record<Loc, { county: string; township: string; village: string }> = { home: A, sibling: SIBLING, foreign: B };
const PHONE = '13912345678';
const PETITIONER_EMAIL = 'matrix-petitioner@example.cn';

interface Principal {
  name: string;
  role?: Role;
  area: string;
  id?: string;
  token?: string;
  cookie?: string;
  csrf?: string;
}
type U = Awaited<ReturnType<TestSystem['user']>> & { invitation?: string };

const MEDIATOR_ACTIONS = ['accept', 'assign', 'sessions', 'escalate', 'agreement', 'failure', 'withdrawal', 'refusal', 'explanation', 'judicial-confirmation', 'follow-up', 'urge'];
const principals: Principal[] = [];
const objects = {} as Record<Loc, {
  mediation: string; mediationArea: string; perAction: Record<string, string>; petition: string; petitionArea: string; petitionLeader: string;
  matter: string; matterArea: string; meeting: string; county: string; victim: string; victimArea: string; consoleVictim: string;
}>;

async function member(role: Role, area: string, extra: Record<string, string> = {}): Promise<U & { invitation: string }> {
  const email = `matrix-${role.replace(/_/g, '-')}-${Math.random().toString(36).slice(2, 10)}@test.pingan.cn`;
  const r = await sys.call('POST', '/api/v1/users', { token: sys.adminToken, body: { name: `${role}-m`, email, role, area, ...extra } });
  if (r.status !== 201) throw new Error(`creating ${role} in ${area}: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.user.id, token: r.body.token, email, name: `${role}-m`, invitation: r.body.invitation.url };
}

const setCookies = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]);
const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** Signs in to the console through the invitation link, without a browser: the session cookie and its CSRF token. */
async function consoleSession(invitation: string): Promise<{ cookie: string; csrf: string }> {
  const path = new URL(invitation).pathname;
  const page = await fetch(`${sys.url}${path}`);
  const pre = setCookies(page).find((c) => c.startsWith('pingan_console_csrf='))!;
  const password = `Matrix-${Math.random().toString(36)}-pw`;
  const done = await fetch(`${sys.url}${path}`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfIn(await page.text()), password, confirm: password }),
  });
  const cookie = setCookies(done).find((c) => c.startsWith('pingan_console='));
  if (done.status !== 303 || !cookie) throw new Error(`console sign-in failed: ${done.status}`);
  const home = await fetch(`${sys.url}/console`, { headers: { cookie } });
  return { cookie, csrf: csrfIn(await home.text()) };
}

async function ok(r: Promise<{ status: number; body: any }>, what: string, status = [200, 201, 202]): Promise<any> {
  const x = await r;
  if (!status.includes(x.status)) throw new Error(`${what}: ${x.status} ${JSON.stringify(x.body)}`);
  return x.body;
}

async function batches<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

beforeAll(async () => {
  sys = await startTestSystem({ env: { METRICS_TOKEN } });
  const committee = Object.keys(sys.policy.mediation.committees)[0];
  const roles: Array<[string, Role, string, Record<string, string>?]> = [
    ['mediator/village', 'mediator', A.village, { level: 'village' }],
    ['mediator/township', 'mediator', A.township, { level: 'township' }],
    ['mediator/county', 'mediator', A.county, { level: 'county', committee }],
    ['supervisor', 'supervisor', A.township],
    ['petition_officer', 'petition_officer', A.county],
    ['leader', 'leader', A.county],
    ['village_clerk', 'village_clerk', A.village],
    ['grid_worker', 'grid_worker', A.village],
    ['admin', 'admin', A.township],
  ];
  for (const [name, role, area, extra] of roles) {
    const m = await member(role, area, extra);
    principals.push({ name, role, area, id: m.id, token: m.token, ...(await consoleSession(m.invitation)) });
  }
  const gone = await member('grid_worker', A.village);
  const goneSession = await consoleSession(gone.invitation);
  await ok(sys.call('POST', `/api/v1/users/${gone.id}/deactivation`, { token: sys.adminToken }), 'deactivating');
  principals.push({ name: 'no token', area: '' }, { name: 'deactivated', area: A.village, token: gone.token, ...goneSession });

  const P = (n: string) => principals.find((p) => p.name === n)!;
  for (const loc of LOCS) {
    const at = PLACE[loc];
    const grid = loc === 'home' ? { token: P('grid_worker').token! } : await member('grid_worker', at.village);
    const officer = loc === 'foreign' ? await member('petition_officer', at.county) : { token: P('petition_officer').token! };
    const leader = loc === 'home' ? { id: P('leader').id! } : await member('leader', at.county);
    const clerk = loc === 'home' ? { token: P('village_clerk').token! } : await member('village_clerk', at.village);
    const report = () =>
      ok(sys.call('POST', '/api/v1/mediations', {
        token: grid.token,
        body: { category: 'neighbourhood', summary: `${loc} 两户因排水沟堵塞发生争执`, area: at.village, channel: 'grid', parties: [{ name: '张三', role: 'applicant' }, { name: '李四', role: 'respondent' }] },
      }), 'reporting').then((c) => c.id as string);
    const mediation = await report();
    const perAction: Record<string, string> = {};
    await batches([...MEDIATOR_ACTIONS, 'console'], 4, async (a) => {
      perAction[a] = await report();
    });
    const petition = await ok(sys.call('POST', '/api/v1/petitions', {
      token: officer.token,
      body: { petitioner: { name: '周某', phone: PHONE, email: PETITIONER_EMAIL }, subject: `征地补偿-${loc}-${at.county}`, content: '补偿款只发放一半。', channel: 'visit', area: at.township },
    }), 'registering a petition');
    await ok(sys.call('POST', `/api/v1/petitions/${petition.id}/leader`, { token: officer.token, body: { leaderId: leader.id } }), 'naming the leader');
    const matter = await ok(sys.call('POST', '/api/v1/village-decisions', {
      token: clerk.token, body: { type: 'public_works', title: `${loc} 硬化主街`, description: '硬化村内东西主街', amount: 100000 },
    }), 'opening a matter');
    const victim = await member('grid_worker', at.village);
    const consoleVictim = await member('grid_worker', at.village);
    objects[loc] = {
      mediation, mediationArea: at.village, perAction, petition: petition.id, petitionArea: at.township, petitionLeader: leader.id,
      matter: matter.id, matterArea: at.village, meeting: '', county: at.county, victim: victim.id, victimArea: at.village, consoleVictim: consoleVictim.id,
    };
  }
  // One weekly meeting per county, called now; its record exists once the agenda is built.
  for (const county of [A.county, B.county]) {
    const m = await ok(sys.call('POST', '/api/v1/meetings', { token: sys.adminToken, body: { county } }), 'calling a meeting');
    for (let i = 0; i < 100; i++) {
      if ((await sys.db.query('SELECT 1 FROM meetings WHERE id = $1', [m.id])).rowCount) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const loc of LOCS) if (objects[loc].county === county) objects[loc].meeting = m.id;
  }
});
afterAll(async () => {
  await sys?.stop();
});

// ---- what each principal may see

function sees(p: Principal, scope: Access['scope'], loc: Loc, kind: 'mediation' | 'petition' | 'matter' | 'meeting' | 'member' | 'area' | 'county'): boolean {
  if (!p.role) return false;
  const o = objects[loc];
  const within = (area: string) => p.area === '*' || areaContains(p.area, area);
  switch (kind) {
    case 'petition':
      return p.role === 'leader' ? o.petitionLeader === p.id : within(o.petitionArea);
    case 'meeting':
    case 'county':
      return within(o.county);
    case 'member':
      return p.role === 'admin' && within(o.victimArea);
    case 'matter':
      return within(o.matterArea);
    default:
      return scope === 'own-village' ? PLACE[loc].village === p.area : within(o.mediationArea);
  }
}

interface Call {
  op: string;
  p: Principal;
  loc: Loc | null;
  method: string;
  path: string;
  body?: unknown;
  /**
   * 'function': the role is refused; 'object': the record lies outside; 'allowed'; 'anonymous'; 'open' (public);
   * 'operator': the operators' token, served; 'not-operator': a member's token or none where the operators' is asked
   */
  expect: 'function' | 'object' | 'allowed' | 'anonymous' | 'open' | 'operator' | 'not-operator';
  /** an allowed call that may still answer 404 for a reason of its own (no photo, no agreement yet, no objection) */
  may404?: boolean;
}

const now = () => new Date().toISOString();
const BODIES: Record<string, (loc: Loc, p: Principal) => unknown> = {
  'POST /api/v1/users': (loc) => ({ name: '新成员', email: `matrix-new-${Math.random().toString(36).slice(2)}@test.pingan.cn`, role: 'grid_worker', area: PLACE[loc].village }),
  'POST /api/v1/mediations': (loc) => ({ category: 'neighbourhood', summary: '两户因宅基地边界发生争执', area: PLACE[loc].village, channel: 'grid', parties: [{ name: '王五', role: 'applicant' }] }),
  'POST /api/v1/mediations/{id}/accept': () => ({ note: '受理' }),
  'POST /api/v1/mediations/{id}/assign': (_l, p) => ({ mediatorIds: [p.id ?? 'u_x'] }),
  'POST /api/v1/mediations/{id}/sessions': () => ({ heldAt: now(), summary: '第一次调解' }),
  'POST /api/v1/mediations/{id}/escalate': () => ({ reason: '案情复杂' }),
  'POST /api/v1/mediations/{id}/agreement': () => ({ form: 'written', terms: '共同疏通，费用平摊', parties: ['张三', '李四'] }),
  'POST /api/v1/mediations/{id}/failure': () => ({ reason: '双方分歧大' }),
  'POST /api/v1/mediations/{id}/withdrawal': () => ({ party: '张三', reason: '撤回' }),
  'POST /api/v1/mediations/{id}/refusal': () => ({ party: '李四', reason: '拒绝' }),
  'POST /api/v1/mediations/{id}/urge': () => ({ message: '请尽快办理' }),
  'POST /api/v1/mediations/{id}/explanation': () => ({ explanation: '当事人外出', targetDate: now() }),
  'POST /api/v1/mediations/{id}/judicial-confirmation': () => ({ status: 'applied' }),
  'POST /api/v1/mediations/{id}/follow-up': () => ({ performed: true, notes: '已履行' }),
  'POST /api/v1/petitions': (loc) => ({ petitioner: { name: '赵某' }, subject: `道路破损-${Math.random()}`, content: '道路破损严重。', channel: 'visit', area: PLACE[loc].township }),
  'POST /api/v1/petitions/{id}/assign': () => ({ unit: '县交通局', unitHead: '李局长' }),
  'POST /api/v1/petitions/{id}/accept': () => ({ notice: '依法予以受理' }),
  'POST /api/v1/petitions/{id}/objection': () => ({ reasons: '不属于本单位职权' }),
  'POST /api/v1/petitions/{id}/leader': (loc) => ({ leaderId: objects[loc].petitionLeader }),
  'POST /api/v1/petitions/{id}/extension': () => ({ days: 10, reason: '需测量', approvedBy: '李局长' }),
  'POST /api/v1/petitions/{id}/reply': () => ({ decision: 'supported', opinion: '予以支持' }),
  'POST /api/v1/petitions/{id}/review-request': () => ({ reason: '不服' }),
  'POST /api/v1/petitions/{id}/review-answer': () => ({ opinion: '维持' }),
  'POST /api/v1/petitions/{id}/re-review-request': () => ({ reason: '不服' }),
  'POST /api/v1/petitions/{id}/re-review-answer': () => ({ opinion: '维持' }),
  'POST /api/v1/petitions/{id}/transfer-to-mediation': (loc) => ({ category: 'neighbourhood', area: PLACE[loc].village, respondents: [{ name: '钱某' }] }),
  'POST /api/v1/meetings': (loc) => (loc === 'home' ? {} : { county: PLACE[loc].county }),
  'POST /api/v1/meetings/{id}/minutes': () => ({ chair: '县长', attendees: ['县长'], directions: [] }),
  'POST /api/v1/village-decisions': () => ({ type: 'public_works', title: '修桥', description: '修建村口小桥', amount: 5000 }),
  'POST /api/v1/village-decisions/{id}/meetings': () => ({ body: 'party_branch', heldAt: now(), attendance: 5, total: 7, yes: 5, no: 0, abstain: 0, motion: '提议硬化主街' }),
  'POST /api/v1/village-decisions/{id}/rejection-decision': () => ({ choice: 'end', reason: '终止' }),
  'POST /api/v1/village-decisions/{id}/objections/{objectionId}/answer': () => ({ answer: '已答复' }),
  'POST /api/v1/village-decisions/{id}/progress': () => ({ note: '已开工' }),
  'POST /api/v1/village-decisions/{id}/completion': () => ({ result: '已完工' }),
};

/** Operations the matrix does not call: they end the caller's own session, or they are served before any access rule. */
const NOT_CALLED = new Set(['POST /console/sign-out', 'POST /console/sign-out-everywhere', 'POST /console/sign-in', 'POST /console/invite/{token}']);

/** The operators' scrape: it holds METRICS_TOKEN, no member's role. */
const OPERATOR: Principal = { name: 'operator', area: '', token: METRICS_TOKEN };

/**
 * The names the console's petition steps are posted under, from the domain's one list (the console's route takes no
 * other), so the matrix cannot call a step the console does not have.
 */
const CONSOLE_PETITION_ACTIONS = Object.values(PETITION_ACTION_PATHS);

function calls(): Call[] {
  const out: Call[] = [];
  for (const [op, entry] of Object.entries(ACCESS)) {
    if (NOT_CALLED.has(op)) continue;
    const [method, template] = op.split(' ');
    if (entry.roles === 'operator') {
      for (const p of principals) out.push({ op, p, loc: null, method, path: template, expect: 'not-operator' });
      out.push({ op, p: OPERATOR, loc: null, method, path: template, expect: 'operator' });
      continue;
    }
    const roles = memberRoles(entry);
    // The console's petition steps: one call per step name for every principal and location.
    const actions = op === 'POST /console/petitions/{id}/{action}' ? CONSOLE_PETITION_ACTIONS
      : [template.includes('/console/mediations/') ? 'accept' : 'progress'];
    for (const action of actions) {
      const console = template.startsWith('/console');
      const byId = /\{id\}/.test(template);
      // Which kind of record the path names (and each location stands for).
      const kind = template.includes('/petitions') ? 'petition'
        : template.includes('/village') ? 'matter'
        : template.includes('/meetings') ? 'meeting'
        : template.includes('/users') || template.includes('/members') ? 'member'
        : 'mediation';
      const open = entry.roles === 'public';
      // Operations without a record in the path are tried with an area (query or body) in each location.
      const areaVariants = !byId && !console && !open && op !== 'GET /api/v1/users/me';
      const locs: Array<Loc | null> = open ? [null] : byId || areaVariants ? LOCS : [null];
      for (const loc of locs) {
        if (areaVariants && kind === 'meeting' && loc === 'sibling') continue; // a meeting is a county's
        for (const p of open ? principals.filter((x) => x.name === 'no token') : principals) {
          let path = template;
          let body = BODIES[op]?.(loc ?? 'home', p);
          let visible = true;
          const within = (area: string) => p.area === '*' || areaContains(p.area, area);
          if (loc && byId) {
            const o = objects[loc];
            const action = template.match(/\/mediations\/\{id\}\/([a-z-]+)$/)?.[1];
            const id = kind === 'petition' ? o.petition : kind === 'matter' ? o.matter : kind === 'meeting' ? o.meeting
              : kind === 'member' ? (console ? o.consoleVictim : o.victim)
              : console && method === 'POST' ? o.perAction.console
              : action && o.perAction[action] ? o.perAction[action] : o.mediation;
            path = path.replace('{id}', encodeURIComponent(id));
            visible = kind === 'petition' ? (p.role === 'leader' ? o.petitionLeader === p.id : within(o.petitionArea))
              : kind === 'meeting' ? within(o.county)
              : kind === 'member' ? p.role === 'admin' && within(o.victimArea)
              : kind === 'matter' ? within(o.matterArea)
              : within(o.mediationArea);
          } else if (loc && areaVariants) {
            const at = PLACE[loc];
            if (kind === 'meeting') {
              if (method === 'GET' && loc !== 'home') path += `?county=${encodeURIComponent(at.county)}`;
              visible = within(at.county);
            } else if (method === 'GET') {
              const area = kind === 'petition' ? at.township : at.village;
              if (loc !== 'home') path += `?area=${encodeURIComponent(area)}`;
              visible = loc === 'home' || within(area);
            } else if (op === 'POST /api/v1/village-decisions') {
              body = { ...(body as object), area: at.village };
              visible = at.village === p.area;
            } else if (op === 'POST /api/v1/users') {
              visible = p.role === 'admin' && within(at.village);
            } else {
              visible = within(kind === 'petition' ? at.township : at.village);
            }
          }
          if (op === 'GET /console/stats.csv') path += '?table=township';
          // A county's meetings are read by members whose area contains the county (not by a township's).
          if (!loc && entry.scope === 'county' && p.role) visible = within(p.area.split('/')[0]);
          path = path
            .replace('{action}', action)
            .replace('{objectionId}', 'OBJ-0000000000')
            .replace('{photo}', 'nophoto')
            .replace('{token}', 'not-a-token');
          if (console && method === 'POST') {
            body = { _csrf: p.csrf ?? '', note: '进展', reason: '说明', chair: '县长', attendees: '县长', summary: '两户因排水沟堵塞发生争执', category: 'neighbourhood', area: PLACE[loc ?? 'home'].village, party1_name: '张三', party1_role: 'applicant' };
          }
          const expect: Call['expect'] = open ? 'open'
            : !p.role || p.name === 'deactivated' ? 'anonymous'
            : !roles.includes(p.role) ? 'function'
            // another member's token: the member itself, or an administrator (api/tokens.ts); others are refused by role
            : entry.scope === 'member-or-admin' && p.role !== 'admin' ? 'function'
            : !visible ? 'object'
            : loc && unitRefuses(op, p, loc) ? 'function'
            : 'allowed';
          const may404 = (/photos|agreement$|\/schedule/.test(template) && method === 'GET') || /objections/.test(template);
          out.push({ op, p, loc, method, path, body, expect, may404 });
        }
      }
    }
  }
  return out;
}

/**
 * The mediation workflow's own rule: a mediator acts at the unit and level holding the case (all the matrix's cases
 * are at village level), a refusal of the role for that case (403), not a question of which records exist.
 */
function unitRefuses(op: string, p: Principal, loc: Loc): boolean {
  if (!/^POST \/api\/v1\/mediations\/\{id\}\//.test(op) || p.role !== 'mediator' || op.endsWith('/urge')) return false;
  return p.name !== 'mediator/village' || loc !== 'home';
}

interface Answer {
  status: number;
  text: string;
  location: string | null;
}

async function send(c: Call): Promise<Answer> {
  const console = c.path.startsWith('/console');
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (console) {
    if (c.p.cookie) headers.cookie = c.p.cookie;
    if (c.body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(c.body as Record<string, string>).toString();
    }
  } else {
    if (c.p.token) headers.authorization = `Bearer ${c.p.token}`;
    if (c.method !== 'GET') {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(c.body ?? {});
    }
  }
  const res = await fetch(`${sys.url}${c.path}`, { method: c.method, headers, body, redirect: 'manual' });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

function verdict(c: Call, a: Answer): string | null {
  const console = c.path.startsWith('/console');
  const success = a.status < 400 && !(a.status === 303 && a.location?.includes('/sign-in'));
  switch (c.expect) {
    case 'open':
      return a.status >= 500 ? 'a public route failed' : null;
    case 'operator':
      return a.status === 200 ? null : 'the operators\' token was refused';
    case 'not-operator':
      return a.status === 401 ? null : 'expected 401';
    case 'anonymous':
      if (console) return c.method === 'GET' ? (a.status === 303 && a.location?.includes('/console/sign-in') ? null : 'not sent to sign in') : success ? 'succeeded' : null;
      return a.status === 401 ? null : 'expected 401';
    case 'function':
      return a.status === (console ? 404 : 403) ? null : `expected ${console ? 404 : 403}`;
    case 'object':
      if (success) return 'succeeded outside the scope';
      // A record by id: 404 as for an unknown id (400 when the body is refused before any record is read).
      // An area in a query or body: refused as the role's area (403), or 404/400.
      if (console) return a.status === 404 || a.status === 400 ? null : 'expected 404';
      return a.status === 404 || a.status === 400 || (a.status === 403 && !/\{id\}/.test(c.op)) ? null : 'expected 404';
    case 'allowed':
      if (a.status === 401 || a.status === 403 || (a.status === 404 && !c.may404) || a.status >= 500) return 'an allowed call was refused';
      return null;
  }
}

/** What a 2xx answer must not contain for this principal: ids it may not see, secrets, the petitioner's contacts. */
function leaks(c: Call, a: Answer): string[] {
  if (a.status >= 300) return [];
  const found: string[] = [];
  const p = c.p;
  for (const loc of LOCS) {
    const o = objects[loc];
    const hidden: Array<[string, boolean]> = [
      [o.mediation, sees(p, 'area', loc, 'mediation')],
      // The weekly meeting's agenda lists every open petition of its county to those who hold the meeting.
      [o.petition, (sees(p, 'petition', loc, 'petition') && ['petition_officer', 'leader'].includes(p.role ?? ''))
        || (/\/meetings/.test(c.op) && ['petition_officer', 'leader', 'supervisor', 'admin'].includes(p.role ?? '') && sees(p, 'county', loc, 'county'))],
      [o.matter, sees(p, 'area', loc, 'matter') && ['village_clerk', 'supervisor', 'leader', 'admin'].includes(p.role ?? '')],
      [o.victim, sees(p, 'admin-area', loc, 'member')],
      [o.consoleVictim, sees(p, 'admin-area', loc, 'member')],
      ...Object.values(o.perAction).map((id): [string, boolean] => [id, sees(p, 'area', loc, 'mediation')]),
    ];
    for (const [id, visible] of hidden) if (!visible && a.text.includes(id)) found.push(id);
  }
  for (const secret of ['token_hash', 'password_hash', 'tokenHash', 'passwordHash', 'id_hash', '$argon2']) if (a.text.includes(secret)) found.push(secret);
  // Counts, lists and CSV exports name no place outside the member's area: not the other county, nor (below the
  // county) the other township of the same county.
  if (p.role && p.area !== '*') {
    for (const [place, name] of [[B.county, B.county], [SIBLING.township, '窝北镇']]) if (!areaContains(p.area, place) && a.text.includes(name)) found.push(name);
  }
  // No member's bearer token or console session id is ever written into an answer (its own neither).
  for (const q of principals) {
    if (q.token && a.text.includes(q.token)) found.push(`the token of ${q.name}`);
    const session = q.cookie?.split('=')[1];
    if (session && a.text.includes(session)) found.push(`the session id of ${q.name}`);
  }
  if (!['petition_officer', 'leader'].includes(p.role ?? '')) {
    for (const contact of [PHONE, PETITIONER_EMAIL]) if (a.text.includes(contact)) found.push(contact);
  }
  return found;
}

test('the table keeps the rules the README states (a change to them is a change to this test)', () => {
  const within = (ops: RegExp, allowed: Role[]) =>
    Object.entries(ACCESS).filter(([op, e]) => ops.test(op) && (typeof e.roles === 'string' || e.roles.some((r) => !allowed.includes(r)))).map(([op]) => op);
  // Petitions hold petitioners' contact details: petition officers and leaders alone.
  expect(within(/\/petitions/, ['petition_officer', 'leader'])).toEqual([]);
  // Members are made and ended by administrators; statistics are the supervisors' and leaders'.
  expect(within(/^POST \/api\/v1\/users$|deactivat|\/console\/members/, ['admin'])).toEqual([]);
  expect(within(/ \/(api\/v1|console)\/stats(\.csv)?$/, ['supervisor', 'leader'])).toEqual([]);
  // Reporting a dispute and the list of one's own reports are the grid workers' and mediators' pages.
  expect(within(/ \/console\/reports?$/, ['grid_worker', 'mediator'])).toEqual([]);
  expect(['GET /console/report', 'POST /console/report', 'GET /console/reports'].filter((op) => !ACCESS[op])).toEqual([]);
  // Mediators act on cases (supervisors urge); clerks act on their village's matters.
  expect(within(/^POST \/api\/v1\/mediations\/\{id\}\/(?!urge)/, ['mediator'])).toEqual([]);
  expect(within(/^POST \/api\/v1\/mediations\/\{id\}\/urge/, ['supervisor'])).toEqual([]);
  expect(within(/^POST \/(api\/v1\/village-decisions|console\/village)/, ['village_clerk'])).toEqual([]);
  // Open to anyone: health, the OpenAPI document, the public notice board, and the console's way in.
  const open = Object.entries(ACCESS).filter(([, e]) => e.roles === 'public').map(([op]) => op);
  expect(open.filter((op) => !/^(GET \/healthz|GET \/api\/v1\/openapi\.json|\w+ \/(api\/v1\/)?notices(\/\{id\}(\/objections)?)?|GET \/console\/console\.css|\w+ \/console\/(sign-in|sign-out|invite\/\{token\}))$/.test(op))).toEqual([]);
  // The operators' token (METRICS_TOKEN) opens the metrics and nothing else; no member's role opens them.
  expect(Object.entries(ACCESS).filter(([, e]) => e.roles === 'operator' || e.scope === 'operator').map(([op, e]) => [op, e.scope, e.roles])).toEqual([['GET /metrics', 'operator', 'operator']]);
});

test("the console's petition steps, the API's and the domain's are one list", () => {
  const steps = Object.values(PETITION_ACTION_PATHS);
  expect(Object.keys(PETITION_FORMS).sort()).toEqual([...steps].sort());
  for (const [path, form] of Object.entries(PETITION_FORMS)) expect(PETITION_ACTION_PATHS[form.type]).toBe(path);
  const declared = Object.keys(ACCESS).map((op) => /^POST \/api\/v1\/petitions\/\{id\}\/(.+)$/.exec(op)?.[1]).filter(Boolean);
  expect(declared.sort()).toEqual([...steps].sort());
});

test('every declared operation is a route, every route is declared, and the OpenAPI document agrees', async () => {
  const doc = (await sys.call('GET', '/api/v1/openapi.json')).body;
  const documented = Object.entries<any>(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  const app = createApp({ client: sys.client, db: sys.db, policy: sys.policy, taskQueue: 'matrix', logger: { child: () => ({}) } as never, version: 'matrix' });
  const served = routesOf(app);
  expect(served.filter((r) => !ACCESS[r])).toEqual([]);
  expect(Object.keys(ACCESS).filter((op) => !served.includes(op))).toEqual([]);
  // Every documented operation is declared; every declared API operation is documented.
  expect(documented.filter((op) => !ACCESS[op])).toEqual([]);
  expect(Object.keys(ACCESS).filter((op) => op.includes(' /api/') && !documented.includes(op))).toEqual([]);
});

test('every operation × every role × own area / same county / another county / no token / deactivated', async () => {
  const all = calls();
  // Refusals first: an allowed call may change a record's state, never who may see it.
  const ordered = [...all.filter((c) => c.expect !== 'allowed'), ...all.filter((c) => c.expect === 'allowed')];
  const failures: string[] = [];
  let made = 0;
  // The first unexpected 2xx stops the matrix: what follows it would only repeat the leak.
  let stopped = false;
  await batches(ordered, 6, async (c) => {
    if (stopped) return;
    const a = await send(c);
    made++;
    const why = verdict(c, a);
    const leaked = leaks(c, a);
    const line = `${c.p.name} ${c.method} ${c.path} (${c.op}, ${c.loc ?? '-'}): ${a.status}`;
    if (why) failures.push(`${line}: ${why} ${a.text.slice(0, 200)}`);
    if (leaked.length > 0) failures.push(`${line}: the answer carries ${leaked.join(', ')}`);
    if ((why && a.status < 300) || leaked.length > 0) stopped = true;
  });
  const counts = all.reduce<Record<string, number>>((n, c) => ({ ...n, [c.expect]: (n[c.expect] ?? 0) + 1 }), {});
  // eslint-disable-next-line no-console
  console.log(`access matrix: ${made} of ${all.length} calls made (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}), ${Object.keys(ACCESS).length} operations, ${principals.length} principals`);
  // eslint-disable-next-line no-console
  if (failures.length > 0) console.log(`${failures.length} unexpected answers:\n${failures.join('\n')}`);
  expect(failures.slice(0, 40)).toEqual([]);
  expect(made).toBeGreaterThan(1500);
}, 900_000);
