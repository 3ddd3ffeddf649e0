import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorSchema } from './schemas';
import * as V from './village-schemas';

/** OpenAPI paths of the village decisions (staff) and the public notice board; api/openapi.ts adds them. */
export function villagePaths(security: Record<string, string[]>[]): RouteConfig[] {
  const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
  const errors = {
    400: json(ErrorSchema, 'invalid input (the message names the field)'),
    401: json(ErrorSchema, 'missing or unknown token'),
    403: json(ErrorSchema, 'not allowed for this role (a record outside the member\'s area answers 404)'),
  };
  const matter = { description: 'the matter: status, meetings with their votes, notices, objections, deadlines, timeline' };
  const vid = z.object({ id: z.string().openapi({ example: 'VIL-3F9A0C21D4E7' }) });
  const nid = z.object({ id: z.string().openapi({ example: 'VIL-3F9A0C21D4E7-R' }) });
  const body = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
  const stateErrors = {
    404: json(ErrorSchema, 'no such matter'),
    409: json(ErrorSchema, 'the step does not allow it (out of order, too short a notice before the meeting, notice period, objection unanswered)'),
  };
  const paths: RouteConfig[] = [
    {
      method: 'post', path: '/api/v1/village-decisions', summary: "Open a matter under 四议两公开 (village clerk, in its own village)", security,
      request: { headers: z.object({ 'Idempotency-Key': z.string().max(200).optional() }), body: body(V.CreateVillageDecisionBody) },
      responses: { 201: matter, 200: { description: 'same Idempotency-Key: the matter already opened' }, ...errors },
    },
    {
      method: 'get', path: '/api/v1/village-decisions', summary: "Village matters inside the member's area (clerks, supervisors)", security,
      request: { query: V.VillageListQuery }, responses: { 200: { description: 'matters' }, ...errors },
    },
    { method: 'get', path: '/api/v1/village-decisions/{id}', summary: 'A matter, live', security, request: { params: vid }, responses: { 200: matter, ...stateErrors, ...errors } },
  ];
  const actions: Array<[string, z.ZodType, string, z.ZodObject]> = [
    ['meetings', V.MeetingBody, "Record the meeting of the current step with when it was announced (noticeGivenAt); quorum, majority and the notice period (villagers' assembly 10 days, party members' assembly 3 days) come from the policy", vid],
    ['rejection-decision', V.RejectionDecisionBody, 'After a rejected vote: end the matter or return it to the proposal step', vid],
    ['progress', V.ProgressBody, 'Record implementation progress', vid],
    ['completion', V.CompletionBody, 'Implementation done: publishes the results notice', vid],
    ['objections/{objectionId}/answer', V.AnswerBody, 'Answer an objection (each one before implementation starts)', vid.extend({ objectionId: z.string() })],
  ];
  for (const [path, schema, summary, params] of actions) {
    paths.push({
      method: 'post', path: `/api/v1/village-decisions/{id}/${path}`, summary, security, request: { params, body: body(schema) },
      responses: { 200: matter, ...stateErrors, ...errors },
    });
  }
  paths.push(
    {
      method: 'get', path: '/api/v1/notices', summary: 'Public: the notices on the board (current, or all), by area; no token',
      request: { query: V.NoticeListQuery }, responses: { 200: { description: 'notices with the votes of every stage, period, objections and answers' }, 400: errors[400], 404: json(ErrorSchema, 'no village matter or staff member in that area') },
    },
    { method: 'get', path: '/api/v1/notices/{id}', summary: 'Public: one notice', request: { params: nid }, responses: { 200: { description: 'the notice' }, 404: json(ErrorSchema, 'no such notice') } },
    {
      method: 'post', path: '/api/v1/notices/{id}/objections', summary: 'Public: object to a notice during its period (rate-limited per address and notice)',
      request: { params: nid, body: body(V.ObjectionBody) },
      responses: {
        201: { description: 'received: objectionId' }, 400: errors[400], 404: json(ErrorSchema, 'no such notice'),
        409: json(ErrorSchema, 'the notice period is over'), 429: json(ErrorSchema, 'too many objections from this address'),
      },
    },
    { method: 'get', path: '/notices', summary: 'Public: the notice board (HTML, Simplified Chinese, printable)', responses: { 200: { description: 'HTML' } } },
    { method: 'get', path: '/notices/{id}', summary: 'Public: one notice with its objection form (HTML)', request: { params: nid }, responses: { 200: { description: 'HTML' }, 404: { description: 'HTML' } } },
  );
  return paths;
}
