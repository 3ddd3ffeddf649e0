import type { Request, RequestHandler, Router } from 'express';
import { ROLES, type Actor, type Role } from '../domain/actors';
import { PETITION_ACTION_PATHS } from '../domain/petition-available';
import { forbidden, notFound } from './errors';

/**
 * Who may call what: the one declared access table of the API and the console. The routes consult it (the guard
 * middleware at the edge, `allow` inside the functions the API and the console share), start-up refuses a route
 * without an entry (`assertEveryRouteDeclared`), and test/access-matrix.test.ts checks every entry against the running
 * system for every role and area. Function-level refusals (a role that may not do the thing at all) answer 403 in the
 * API and 404 in the console; the object-level rule (`scope`) is applied where the record is read (api/register.ts
 * findVisible and friends) and answers 404 alike for an unknown id and a record outside the scope.
 */
export type Scope =
  /** anyone, without a token */
  | 'public'
  /** any signed-in member, about itself (its own profile, its own worklist, its own reports) */
  | 'self'
  /** records inside the member's own area ('*': every area) */
  | 'area'
  /** a county's weekly meeting: members whose area contains the county */
  | 'county'
  /** petitions: an officer those inside its area, a leader those it is the 包案领导 of, whatever their area */
  | 'petition'
  /** a village clerk's own village, and nothing around it */
  | 'own-village'
  /** a member's token: the member itself, or an administrator for members inside its area */
  | 'member-or-admin'
  /** members inside an administrator's area (never wider than its own) */
  | 'admin-area'
  /** the operators' scrape: whoever holds METRICS_TOKEN (or, without one, a loopback caller through no proxy) */
  | 'operator';

export interface Access {
  /**
   * 'public': no token; 'operator': the operators' METRICS_TOKEN, which is no member's token (api/metrics.ts checks
   * it, and no member's role opens it); otherwise the roles that may call it
   */
  roles: readonly Role[] | 'public' | 'operator';
  scope: Scope;
}

const ALL: readonly Role[] = ROLES;
const PUBLIC: Access = { roles: 'public', scope: 'public' };
const OPERATOR: Access = { roles: 'operator', scope: 'operator' };
const PETITION_STAFF: readonly Role[] = ['petition_officer', 'leader'];
const MEETING_READERS: readonly Role[] = ['petition_officer', 'leader', 'supervisor', 'admin'];
const VILLAGE_READERS: readonly Role[] = ['village_clerk', 'supervisor', 'leader', 'admin'];
const STATS_READERS: readonly Role[] = ['supervisor', 'leader'];
const of = (roles: readonly Role[], scope: Scope): Access => ({ roles, scope });

const MEDIATOR_ACTIONS = ['accept', 'assign', 'sessions', 'escalate', 'agreement', 'failure', 'withdrawal', 'refusal', 'explanation', 'judicial-confirmation', 'follow-up'];
/** A petition's staff steps, by the domain's one list (the console's forms and the matrix use the same). */
const PETITION_ACTIONS = Object.values(PETITION_ACTION_PATHS);
const VILLAGE_ACTIONS = ['meetings', 'rejection-decision', 'objections/{objectionId}/answer', 'progress', 'completion'];

/** Every operation, as `METHOD /path` with OpenAPI's `{param}`: the API (/api/v1), the public board and the console. */
export const ACCESS: Readonly<Record<string, Access>> = {
  // ---- open to anyone
  'GET /healthz': PUBLIC,
  'GET /api/v1/openapi.json': PUBLIC,
  // ---- operators' Prometheus scrape: METRICS_TOKEN (or loopback without a proxy when unset), never a member's token
  'GET /metrics': OPERATOR,

  'GET /api/v1/notices': PUBLIC,
  'GET /api/v1/notices/{id}': PUBLIC,
  'POST /api/v1/notices/{id}/objections': PUBLIC,
  'GET /notices': PUBLIC,
  'GET /notices/{id}': PUBLIC,
  'POST /notices/{id}/objections': PUBLIC,

  // ---- members and their tokens
  'GET /api/v1/users/me': of(ALL, 'self'),
  'POST /api/v1/users': of(['admin'], 'admin-area'),
  'DELETE /api/v1/users/{id}/tokens': of(ALL, 'member-or-admin'),
  'POST /api/v1/users/{id}/tokens': of(ALL, 'member-or-admin'),
  'POST /api/v1/users/{id}/deactivation': of(['admin'], 'admin-area'),
  'PATCH /api/v1/users/{id}': of(['admin'], 'admin-area'),

  // ---- mediation: the register is read inside the area; mediators act at their unit and level (the workflow checks
  // level and committee), supervisors urge
  'POST /api/v1/mediations': of(['grid_worker', 'mediator'], 'area'),
  'GET /api/v1/mediations': of(ALL, 'area'),
  'GET /api/v1/mediations/stats': of(ALL, 'area'),
  'GET /api/v1/mediations/{id}': of(ALL, 'area'),
  ...Object.fromEntries(MEDIATOR_ACTIONS.map((a) => [`POST /api/v1/mediations/{id}/${a}`, of(['mediator'], 'area')])),
  'POST /api/v1/mediations/{id}/urge': of(['supervisor'], 'area'),

  // ---- petitions (5+N): officers in their area, leaders their own petitions; nobody else
  'POST /api/v1/petitions': of(['petition_officer'], 'area'),
  'GET /api/v1/petitions': of(PETITION_STAFF, 'petition'),
  'GET /api/v1/petitions/{id}': of(PETITION_STAFF, 'petition'),
  'GET /api/v1/petitions/{id}/documents': of(PETITION_STAFF, 'petition'),
  ...Object.fromEntries(PETITION_ACTIONS.map((a) => [`POST /api/v1/petitions/{id}/${a}`, of(PETITION_STAFF, 'petition')])),

  // ---- the weekly dispatch meeting of a county
  'GET /api/v1/meetings': of(MEETING_READERS, 'county'),
  'GET /api/v1/meetings/schedule': of(MEETING_READERS, 'county'),
  'GET /api/v1/meetings/{id}': of(MEETING_READERS, 'county'),
  'POST /api/v1/meetings': of(['petition_officer', 'leader', 'admin'], 'county'),
  'POST /api/v1/meetings/{id}/minutes': of(PETITION_STAFF, 'county'),

  // ---- village decisions (四议两公开): the clerk of the village acts, supervisors and leaders read
  'POST /api/v1/village-decisions': of(['village_clerk'], 'own-village'),
  'GET /api/v1/village-decisions': of(VILLAGE_READERS, 'area'),
  'GET /api/v1/village-decisions/{id}': of(VILLAGE_READERS, 'area'),
  ...Object.fromEntries(VILLAGE_ACTIONS.map((a) => [`POST /api/v1/village-decisions/{id}/${a}`, of(['village_clerk'], 'area')])),

  // ---- statistics
  'GET /api/v1/stats': of(STATS_READERS, 'area'),

  // ---- the console: sign-in and invitations are open; every other page needs a session
  'GET /console/console.css': PUBLIC,
  'GET /console/sign-in': PUBLIC,
  'POST /console/sign-in': PUBLIC,
  'POST /console/sign-out': PUBLIC,
  'GET /console/invite/{token}': PUBLIC,
  'POST /console/invite/{token}': PUBLIC,
  'POST /console/sign-out-everywhere': of(ALL, 'self'),
  'GET /console': of(ALL, 'self'),
  'GET /console/report': of(['grid_worker', 'mediator'], 'area'),
  'POST /console/report': of(['grid_worker', 'mediator'], 'area'),
  'GET /console/reports': of(['grid_worker', 'mediator'], 'self'),
  'GET /console/mediations': of(ALL, 'area'),
  'GET /console/mediations/{id}': of(ALL, 'area'),
  'GET /console/mediations/{id}/agreement': of(ALL, 'area'),
  'GET /console/mediations/{id}/photos/{photo}': of(ALL, 'area'),
  // the action itself is the API's entry (performMediationAction asks for it)
  'POST /console/mediations/{id}/{action}': of(['mediator', 'supervisor'], 'area'),
  'GET /console/overview': of(['supervisor', 'leader', 'admin'], 'area'),
  'GET /console/stats': of(STATS_READERS, 'area'),
  'GET /console/stats.csv': of(STATS_READERS, 'area'),
  'GET /console/members': of(['admin'], 'admin-area'),
  'POST /console/members/{id}/invitation': of(['admin'], 'admin-area'),
  'POST /console/members/{id}/deactivate': of(['admin'], 'admin-area'),
  'GET /console/petitions': of(PETITION_STAFF, 'petition'),
  'GET /console/petitions/{id}': of(PETITION_STAFF, 'petition'),
  'GET /console/petitions/new': of(['petition_officer'], 'area'),
  'POST /console/petitions/new': of(['petition_officer'], 'area'),
  'GET /console/meetings': of(MEETING_READERS, 'county'),
  // holds the week's meeting now: the API's entry decides (callMeeting asks for POST /api/v1/meetings)
  'POST /console/meetings': of(['petition_officer', 'leader', 'admin'], 'county'),
  'GET /console/meetings/{id}': of(MEETING_READERS, 'county'),
  'POST /console/meetings/{id}/minutes': of(PETITION_STAFF, 'county'),
  'GET /console/village': of(['village_clerk', 'supervisor'], 'area'),
  'POST /console/petitions/{id}/{action}': of(PETITION_STAFF, 'petition'),
  'GET /console/members/new': of(['admin'], 'admin-area'),
  'POST /console/members/new': of(['admin'], 'admin-area'),
  'GET /console/members/{id}': of(['admin'], 'admin-area'),
  'POST /console/members/{id}': of(['admin'], 'admin-area'),
  'GET /console/policy': of(['admin', 'supervisor'], 'self'),
  'GET /console/village/new': of(['village_clerk'], 'own-village'),
  'POST /console/village/new': of(['village_clerk'], 'own-village'),
  'GET /console/village/{id}': of(VILLAGE_READERS, 'area'),
  'POST /console/village/{id}/objections/{objectionId}/answer': of(['village_clerk'], 'area'),
  'POST /console/village/{id}/{action}': of(['village_clerk'], 'area'),
};

/** The entry of an operation; an operation without one is a programming error (fails closed with a 500). */
export function accessOf(operation: string): Access {
  const e = ACCESS[operation];
  if (!e) throw new Error(`no access entry for ${operation} (api/access.ts)`);
  return e;
}

/** The members' roles an entry names (none for a public entry, nor for the operators' one). */
export function memberRoles(e: Access): readonly Role[] {
  return typeof e.roles === 'string' ? [] : e.roles;
}

/** The roles of an operation's entry (empty for a public one). */
export function rolesOf(operation: string): Role[] {
  return [...memberRoles(accessOf(operation))];
}

export function mayCall(actor: Pick<Actor, 'role'> | undefined, operation: string): boolean {
  const e = accessOf(operation);
  return e.roles === 'public' || (!!actor && memberRoles(e).includes(actor.role));
}

/** 403 unless the member's role may call the operation (function-level; the scope is checked where records are read). */
export function allow(actor: Actor, operation: string): void {
  if (!mayCall(actor, operation)) {
    const e = accessOf(operation);
    const who = e.roles === 'operator' ? 'the operators\' METRICS_TOKEN' : `role ${memberRoles(e).join(' or ')}`;
    throw forbidden(`${operation} requires ${who}; you are ${actor.role}`);
  }
}

/** The declared template of a request (`/api/v1/mediations/:id/accept`, Express's spelling), or undefined. */
export function declaredRoute(method: string, path: string): string | undefined {
  return operationFor(method, path)?.split(' ')[1].replace(/\{(\w+)\}/g, ':$1');
}

// ---- matching a request to its entry

interface Compiled {
  operation: string;
  method: string;
  regexp: RegExp;
  literals: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `/a/{id}/b` → a regexp matching one segment per parameter; case-insensitive as Express routes are. */
function compile(operation: string): Compiled {
  const [method, path] = operation.split(' ');
  const segments = path.split('/').slice(1);
  const source = segments.map((s) => (/^\{[^}]+\}$/.test(s) ? '/[^/]+' : `/${escape(s)}`)).join('');
  return { operation, method, regexp: new RegExp(`^${source}/?$`, 'i'), literals: segments.filter((s) => !s.startsWith('{')).length };
}

/** Most literal segments first, so that /mediations/stats wins over /mediations/{id}. */
const COMPILED = Object.keys(ACCESS)
  .map(compile)
  .sort((a, b) => b.literals - a.literals);

/** The operation a request (method, full path) is, or undefined when no entry matches. HEAD is GET's. */
export function operationFor(method: string, path: string): string | undefined {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return COMPILED.find((c) => c.method === m && c.regexp.test(path))?.operation;
}

const fullPath = (req: Request) => `${req.baseUrl}${req.path}`.replace(/\/+$/, '') || '/';

/**
 * The API's guard, after authentication: the request's entry must exist (404 otherwise, as an unknown route) and
 * the member's role must be in it (403). The member's scope is checked where the record is read.
 */
export function apiAccessGuard(): RequestHandler {
  return (req, _res, next) => {
    const op = operationFor(req.method, fullPath(req));
    if (!op) return next(notFound(`no route ${req.method} ${req.originalUrl.split('?')[0]}`));
    if (!req.actor) return next(forbidden('not authenticated'));
    try {
      allow(req.actor, op);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * The console's guard, after the session is loaded: public pages pass; a page without a member asks it to sign in
 * (`signIn()`); a role the entry does not name is refused (the console answers it as 404, api/console/http.ts).
 */
export function consoleAccessGuard(signIn: () => Error): RequestHandler {
  return (req, _res, next) => {
    const op = operationFor(req.method, fullPath(req));
    if (!op) return next(notFound(`no page ${req.method} ${req.originalUrl.split('?')[0]}`));
    const e = accessOf(op);
    if (e.roles === 'public') return next();
    if (!req.actor) return next(signIn());
    try {
      allow(req.actor, op);
      next();
    } catch (err) {
      next(err);
    }
  };
}

// ---- every route declared

interface StackLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: StackLayer[] };
  rawPath?: string | string[];
}

/** Every route an Express app or router serves, as `METHOD /path` with `{param}` (from the router stack). */
export function routesOf(router: Router | { router: Router }, prefix = ''): string[] {
  const stack = ((('router' in router ? router.router : router) as unknown as { stack: StackLayer[] }).stack ?? []);
  const out: string[] = [];
  const join = (a: string, b: string) => `${a === '/' ? '' : a}${b === '/' ? '' : b}` || '/';
  const openapi = (p: string) => p.replace(/:(\w+)/g, '{$1}');
  for (const layer of stack) {
    if (layer.route) {
      for (const path of [layer.route.path].flat()) {
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          out.push(`${method.toUpperCase()} ${openapi(join(prefix, path))}`);
        }
      }
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' ? layer.rawPath : '/';
      out.push(...routesOf(layer.handle as unknown as Router, join(prefix, mount)));
    }
  }
  return [...new Set(out)];
}

/** Start-up check: a route without an entry in ACCESS stops the start (it must never be open by accident). */
export function assertEveryRouteDeclared(app: Router | { router: Router }): void {
  const missing = routesOf(app).filter((r) => !ACCESS[r]);
  if (missing.length > 0) {
    throw new Error(`routes without an entry in the access table (api/access.ts): ${missing.join(', ')}`);
  }
}
