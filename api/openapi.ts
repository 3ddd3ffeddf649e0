import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import * as P from './petition-schemas';
import * as S from './schemas';
import { statsPaths } from './stats';
import { memberPaths } from './members';
import { tokenPaths } from './tokens';
import { villagePaths } from './village-openapi';
import { openApiEntry } from './route';
import { API_ROUTES } from './routes';

/** OpenAPI 3 generated from the same zod schemas that validate requests. */
export function buildOpenApi(version: string): object {
  const r = new OpenAPIRegistry();
  const bearer = r.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const security = [{ [bearer.name]: [] }];
  const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
  const errors = {
    400: json(S.ErrorSchema, 'invalid input (the message names the field)'),
    401: json(S.ErrorSchema, 'missing or unknown token'),
    403: json(S.ErrorSchema, 'not allowed for this role (a record outside the member\'s area answers 404)'),
  };
  const paths: RouteConfig[] = [
    { method: 'get', path: '/healthz', summary: 'Health of Temporal and the database (details with a member\'s token)', responses: { 200: json(S.Health, 'up'), 503: json(S.Health, 'something is down') } },
    { method: 'get', path: '/api/v1/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3' } } },
    {
      method: 'post', path: '/api/v1/users', summary: 'Create a staff member (administrator only); returns its token once', security,
      request: { body: { content: { 'application/json': { schema: S.CreateUserBody } } } },
      responses: { 201: json(S.CreatedUser, 'created'), ...errors },
    },
    { method: 'get', path: '/api/v1/users/me', summary: 'The authenticated staff member', security, responses: { 200: json(S.User, 'me'), 401: errors[401] } },
  ];

  // The weekly dispatch meeting of a county's petitions.
  const mid = z.object({ id: z.string() });
  paths.push(
    { method: 'get', path: '/api/v1/meetings', summary: "A county's meeting records (date, chair, attendees, agenda, directions); default: your county", security, request: { query: P.MeetingQuery }, responses: { 200: { description: 'meetings' }, ...errors } },
    {
      method: 'post', path: '/api/v1/meetings', summary: "Hold a county's meeting now (the weekly one runs by schedule); default: your county", security,
      request: { body: { content: { 'application/json': { schema: P.CallMeetingBody } } } },
      responses: { 202: { description: 'meeting started' }, 409: json(S.ErrorSchema, 'a meeting of the county was called this second'), ...errors },
    },
    { method: 'get', path: '/api/v1/meetings/schedule', summary: "A county's weekly schedule and its next runs; default: your county", security, request: { query: P.MeetingQuery }, responses: { 200: { description: 'schedule' }, 404: json(S.ErrorSchema, 'the county has no petitions yet, so no schedule'), ...errors } },
    { method: 'get', path: '/api/v1/meetings/{id}', summary: 'A meeting: agenda, minutes, flags', security, request: { params: mid }, responses: { 200: { description: 'meeting' }, 404: json(S.ErrorSchema, 'no such meeting'), ...errors } },
    {
      method: 'post', path: '/api/v1/meetings/{id}/minutes', summary: 'Record the minutes: a direction per petition', security,
      request: { params: mid, body: { content: { 'application/json': { schema: P.MinutesBody } } } },
      responses: { 200: { description: 'directions sent to the petitions; what got none is flagged' }, 409: json(S.ErrorSchema, 'not on the agenda, or already recorded'), ...errors },
    },
  );

  paths.push(...villagePaths()); // the public notice board (api/village-openapi.ts)
  paths.push(...statsPaths(security)); // GET /api/v1/stats (api/stats.ts)
  paths.push(...memberPaths(security)); // PATCH /api/v1/users/{id} (api/members.ts)
  paths.push(...tokenPaths(security)); // token revocation, rotation, deactivation (api/tokens.ts)
  // Every staff action takes an Idempotency-Key (api/idempotency.ts); the intake endpoints document their own.
  const idempotencyKey = z.object({
    'Idempotency-Key': z.string().min(1).max(200).optional().openapi({
      description: 'a retry with the same key and body gets the first answer and does nothing again (kept 24 hours); '
        + 'the same key with another request: 422 idempotency_key_reused; while the first is in flight: 409 idempotency_in_progress',
    }),
  });
  for (const p of paths) {
    if (!['post', 'patch', 'put', 'delete'].includes(p.method) || !p.security || !p.path.startsWith('/api/v1/')) continue;
    if (!p.request?.headers) p.request = { ...p.request, headers: idempotencyKey };
    p.responses = {
      409: json(S.ErrorSchema, 'the state does not allow it, or the first request with this Idempotency-Key is still in flight'),
      422: json(S.ErrorSchema, 'the register refused the data, or this Idempotency-Key was used for another request'),
      ...p.responses,
    };
  }
  for (const p of paths) {
    // A body whose schema refuses `{}` is refused when missing too: the document says it is required.
    const body = p.request?.body;
    const media = body?.content['application/json'];
    const schema = media && 'schema' in media ? media.schema : undefined;
    if (body && schema instanceof z.ZodType && !schema.safeParse({}).success) body.required = true;
    r.registerPath(p);
  }
  // The routes declared through the route factory (api/route.ts) bring their entries, complete.
  for (const route of API_ROUTES) r.registerPath(openApiEntry(route, security));
  return new OpenApiGeneratorV3(r.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'Pingan 平安 API', version, description: 'Grassroots governance processes as durable workflows. Times are Asia/Shanghai.' },
  });
}
