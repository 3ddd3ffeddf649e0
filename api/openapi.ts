import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import * as S from './schemas';

/** OpenAPI 3 generated from the same zod schemas that validate requests. */
export function buildOpenApi(version: string): object {
  const r = new OpenAPIRegistry();
  const bearer = r.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const security = [{ [bearer.name]: [] }];
  const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
  const errors = {
    400: json(S.ErrorSchema, 'invalid input (the message names the field)'),
    401: json(S.ErrorSchema, 'missing or unknown token'),
    403: json(S.ErrorSchema, 'not allowed for this role or area'),
  };
  const id = z.object({ id: z.string().openapi({ example: 'MED-3F9A0C21D4E7' }) });
  const paths: RouteConfig[] = [
    { method: 'get', path: '/healthz', summary: 'Health of Temporal and the database', responses: { 200: json(S.Health, 'up'), 503: json(S.Health, 'something is down') } },
    { method: 'get', path: '/api/v1/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3' } } },
    {
      method: 'post', path: '/api/v1/users', summary: 'Create a staff member (administrator only); returns its token once', security,
      request: { body: { content: { 'application/json': { schema: S.CreateUserBody } } } },
      responses: { 201: json(S.CreatedUser, 'created'), ...errors },
    },
    { method: 'get', path: '/api/v1/users/me', summary: 'The authenticated staff member', security, responses: { 200: json(S.User, 'me'), 401: errors[401] } },
    {
      method: 'post', path: '/api/v1/mediations', summary: 'Report a dispute (grid worker or mediator, inside its area)', security,
      request: {
        headers: z.object({ 'Idempotency-Key': z.string().max(200).optional() }),
        body: { content: { 'application/json': { schema: S.CreateMediationBody } } },
      },
      responses: { 201: json(S.MediationCaseSchema, 'case opened'), 200: json(S.MediationCaseSchema, 'same Idempotency-Key: the case already opened'), ...errors },
    },
    {
      method: 'get', path: '/api/v1/mediations/{id}', summary: 'Live state of a case with its timeline', security, request: { params: id },
      responses: { 200: json(S.MediationCaseSchema, 'the case'), 404: json(S.ErrorSchema, 'no such case'), ...errors },
    },
    {
      method: 'post', path: '/api/v1/mediations/{id}/accept', summary: 'Accept a case (mediator of the level holding it)', security,
      request: { params: id, body: { content: { 'application/json': { schema: S.AcceptBody } } } },
      responses: { 200: json(S.MediationCaseSchema, 'accepted'), 404: json(S.ErrorSchema, 'no such case'), 409: json(S.ErrorSchema, 'the case state does not allow it'), ...errors },
    },
    {
      method: 'post', path: '/api/v1/mediations/{id}/agreement', summary: 'Record the agreement; closes the case', security,
      request: { params: id, body: { content: { 'application/json': { schema: S.AgreementBody } } } },
      responses: { 200: json(S.MediationCaseSchema, 'closed with an agreement'), 404: json(S.ErrorSchema, 'no such case'), 409: json(S.ErrorSchema, 'the case state does not allow it'), ...errors },
    },
  ];
  for (const p of paths) r.registerPath(p);
  return new OpenApiGeneratorV3(r.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'Pingan 平安 API', version, description: 'Grassroots governance processes as durable workflows. Times are Asia/Shanghai.' },
  });
}
