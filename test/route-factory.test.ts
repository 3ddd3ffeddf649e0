import { createHash } from 'node:crypto';
import { Router } from 'express';
import { ACCESS, routesOf } from '../api/access';
import { recordIdFor } from '../api/cases';
import { MEDIATION } from '../api/mediations';
import { buildOpenApi } from '../api/openapi';
import { PETITION } from '../api/petitions';
import { mountRoutes, route, type RouteDeps } from '../api/route';
import { API_ROUTES } from '../api/routes';
import { VILLAGE } from '../api/village-decisions';

/**
 * The route factory (api/route.ts): each staff route is declared once, and that one declaration is what is served and
 * what is documented; its roles come from the access table, never from the declaration.
 */
const doc = buildOpenApi('test') as { paths: Record<string, Record<string, { summary?: string; parameters?: { name: string; in: string }[] }>> };
const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
const OPEN = ['GET /healthz', 'GET /api/v1/openapi.json', 'GET /api/v1/notices', 'GET /api/v1/notices/{id}', 'POST /api/v1/notices/{id}/objections', 'GET /notices', 'GET /notices/{id}'];

test('a route whose METHOD /path has no entry in the access table cannot be declared (start-up fails)', () => {
  const declare = () =>
    route({ method: 'post', path: '/api/v1/mediations/{id}/undeclared', summary: 'not in the table', responses: {}, handle: async () => ({}) });
  expect(declare).toThrow(/no access entry for POST \/api\/v1\/mediations\/\{id\}\/undeclared \(api\/access\.ts\)/);
});

test('each declared route takes its roles from the access table, and is declared once', () => {
  const ops = API_ROUTES.map((r) => r.operation);
  expect(new Set(ops).size).toBe(ops.length);
  expect(ops.length).toBeGreaterThan(50);
  for (const r of API_ROUTES) expect(r.access).toBe(ACCESS[r.operation]);
  expect(Object.keys(API_ROUTES[0]).includes('roles')).toBe(false);
});

test('what the factory serves is exactly what the document lists, beside the open entries', () => {
  const router = Router();
  mountRoutes(router, API_ROUTES, {} as RouteDeps);
  const served = routesOf(router, '/api/v1');
  expect([...served].sort()).toEqual(API_ROUTES.map((r) => r.operation).sort());
  expect([...documented].sort()).toEqual([...served, ...OPEN].sort());
  // and every staff operation of the access table is one of them
  const staffApi = Object.entries(ACCESS).filter(([op, e]) => op.includes(' /api/v1/') && e.roles !== 'public').map(([op]) => op);
  expect(staffApi.filter((op) => !served.includes(op))).toEqual([]);
});

test('a declared query is documented: GET /api/v1/mediations/stats reads `area`, and the document says so', () => {
  const params = doc.paths['/api/v1/mediations/stats'].get.parameters ?? [];
  expect(params.map((p) => `${p.in}:${p.name}`)).toEqual(['query:area']);
});

test('one id derivation for the three processes, giving the ids each process always gave for a key', () => {
  const actor = { id: 'u_1234' };
  const hex = (seed: string) => createHash('sha256').update(seed).digest('hex').slice(0, 12).toUpperCase();
  expect(recordIdFor(MEDIATION, actor, 'k-1')).toBe(`MED-${hex('u_1234\nk-1')}`);
  expect(recordIdFor(PETITION, actor, 'k-1')).toBe(`PET-${hex('u_1234\nk-1')}`);
  expect(recordIdFor(VILLAGE, actor, 'k-1')).toBe(`VIL-${hex('village\nu_1234\nk-1')}`);
  expect(recordIdFor(MEDIATION, actor, undefined)).toMatch(/^MED-[0-9A-F]{12}$/);
  expect(recordIdFor(MEDIATION, actor, undefined)).not.toBe(recordIdFor(MEDIATION, actor, undefined));
});
