import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { openApiEntry } from './route';
import { API_ROUTES } from './routes';
import * as S from './schemas';
import { noticePaths } from './village-openapi';

/**
 * OpenAPI 3 generated from the same zod schemas that validate requests: every staff route brings its own entry from
 * its one declaration (api/route.ts, listed in api/routes.ts); the few open entries are added here.
 */
export function buildOpenApi(version: string): object {
  const r = new OpenAPIRegistry();
  const bearer = r.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const security = [{ [bearer.name]: [] }];
  const json = (schema: typeof S.Health, description: string) => ({ description, content: { 'application/json': { schema } } });
  const open: RouteConfig[] = [
    { method: 'get', path: '/healthz', summary: 'Health of Temporal and the database (details with a member\'s token)', responses: { 200: json(S.Health, 'up'), 503: json(S.Health, 'something is down') } },
    { method: 'get', path: '/api/v1/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3' } } },
    ...noticePaths(), // the public notice board (api/village-openapi.ts)
  ];
  for (const p of open) r.registerPath(p);
  for (const route of API_ROUTES) r.registerPath(openApiEntry(route, security));
  return new OpenApiGeneratorV3(r.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'Pingan 平安 API', version, description: 'Grassroots governance processes as durable workflows. Times are Asia/Shanghai.' },
  });
}
