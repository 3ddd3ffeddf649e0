import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { jsonBody } from './route';
import { ErrorSchema } from './schemas';
import * as V from './village-schemas';

/** OpenAPI paths of the public notice board (open, no token; the staff's village routes document themselves); api/openapi.ts adds them. */
export function noticePaths(): RouteConfig[] {
  const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
  const invalid = json(ErrorSchema, 'invalid input (the message names the field)');
  const nid = z.object({ id: z.string().openapi({ example: 'VIL-3F9A0C21D4E7-R' }) });
  return [
    {
      method: 'get', path: '/api/v1/notices', summary: 'Public: the notices on the board (current, or all), by area; no token',
      request: { query: V.NoticeListQuery }, responses: { 200: { description: 'notices with the votes of every stage, period, objections and answers' }, 400: invalid, 404: json(ErrorSchema, 'no village matter or staff member in that area') },
    },
    { method: 'get', path: '/api/v1/notices/{id}', summary: 'Public: one notice', request: { params: nid }, responses: { 200: { description: 'the notice' }, 404: json(ErrorSchema, 'no such notice') } },
    {
      method: 'post', path: '/api/v1/notices/{id}/objections', summary: 'Public: object to a notice during its period (rate-limited per address and notice)',
      request: { params: nid, body: jsonBody(V.ObjectionBody) },
      responses: {
        201: { description: 'received: objectionId' }, 400: invalid, 404: json(ErrorSchema, 'no such notice'),
        409: json(ErrorSchema, 'the notice period is over'), 429: json(ErrorSchema, 'too many objections from this address'),
      },
    },
    { method: 'get', path: '/notices', summary: 'Public: the notice board (HTML, Simplified Chinese, printable)', responses: { 200: { description: 'HTML' } } },
    { method: 'get', path: '/notices/{id}', summary: 'Public: one notice with its objection form (HTML)', request: { params: nid }, responses: { 200: { description: 'HTML' }, 404: { description: 'HTML' } } },
  ];
}
