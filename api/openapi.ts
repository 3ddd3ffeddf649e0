import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import * as P from './petition-schemas';
import * as S from './schemas';
import { statsPaths } from './stats';
import { memberPaths } from './members';
import { tokenPaths } from './tokens';
import { villagePaths } from './village-openapi';

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
  const id = z.object({ id: z.string().openapi({ example: 'MED-3F9A0C21D4E7' }) });
  const paths: RouteConfig[] = [
    { method: 'get', path: '/healthz', summary: 'Health of Temporal and the database (details with a member\'s token)', responses: { 200: json(S.Health, 'up'), 503: json(S.Health, 'something is down') } },
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
  // Mediation staff actions beyond the first slice.
  const mediationActions: Array<[string, z.ZodType, string]> = [
    ['assign', S.AssignBody, 'Assign mediators of the unit holding the case'],
    ['sessions', S.SessionBody, 'Record a mediation session'],
    ['escalate', S.EscalateBody, 'Request escalation to the next level, with a reason'],
    ['failure', S.FailureBody, 'Record failure: climbs at village and township; at county ends with the route told'],
    ['withdrawal', S.PartyEndBody, "Record a party's withdrawal (ends the case, Art. 23)"],
    ['refusal', S.PartyEndBody, "Record a party's refusal (ends the case, Art. 17)"],
    ['urge', S.UrgeBody, 'Supervisor urge (督办); on an overdue case the mediators owe an explanation'],
    ['explanation', S.ExplanationBody, 'Explain an overdue case, with a new target date'],
    ['judicial-confirmation', S.JudicialBody, 'Judicial confirmation: applied (within 30 days), confirmed, refused'],
    ['follow-up', S.FollowUpBody, 'Follow-up visit (回访): performed, or reopen / refer to court'],
  ];
  for (const [action, schema, summary] of mediationActions) {
    paths.push({
      method: 'post', path: `/api/v1/mediations/{id}/${action}`, summary, security, request: { params: id, body: { content: { 'application/json': { schema } } } },
      responses: { 200: json(S.MediationCaseSchema, 'the case after the action'), 404: json(S.ErrorSchema, 'no such case'), 409: json(S.ErrorSchema, 'the case state does not allow it'), ...errors },
    });
  }
  paths.push(
    { method: 'get', path: '/api/v1/mediations', summary: 'The register inside your area', security, request: { query: S.ListQuery }, responses: { 200: { description: 'cases' }, ...errors } },
    { method: 'get', path: '/api/v1/mediations/stats', summary: 'Counts by level, status, outcome and overdue inside your area', security, responses: { 200: { description: 'statistics' }, ...errors } },
  );

  // Petitions (5+N) and the weekly dispatch meeting.
  const pid = z.object({ id: z.string().openapi({ example: 'PET-3F9A0C21D4E7' }) });
  const petition = { description: 'the petition (state, deadlines, timeline)', content: { 'application/json': { schema: z.object({}).passthrough() } } };
  paths.push(
    {
      method: 'post', path: '/api/v1/petitions', summary: 'Register a petition (petition officer, inside its area)', security,
      request: { body: { content: { 'application/json': { schema: P.RegisterPetitionBody } } } },
      responses: { 201: petition, 409: json(S.ErrorSchema, 'the same matter completed re-review'), ...errors },
    },
    { method: 'get', path: '/api/v1/petitions', summary: 'Petitions inside your area; a leader sees those it is responsible for', security, request: { query: P.PetitionListQuery }, responses: { 200: { description: 'petitions' }, ...errors } },
    { method: 'get', path: '/api/v1/petitions/{id}', summary: 'A petition with its deadlines and timeline', security, request: { params: pid }, responses: { 200: petition, 404: json(S.ErrorSchema, 'no such petition'), ...errors } },
    { method: 'get', path: '/api/v1/petitions/{id}/documents', summary: 'Archived documents (答复意见书)', security, request: { params: pid }, responses: { 200: { description: 'documents' }, ...errors } },
  );
  const petitionActions: Array<[string, z.ZodType, string]> = [
    ['assign', P.AssignBody, 'Forward or assign to a unit (within 15 days)'],
    ['accept', P.AcceptBody, "The unit's written acceptance notice (within 15 days)"],
    ['objection', P.ObjectBody, 'The unit is not competent (within 5 working days): back for re-assignment'],
    ['leader', P.LeaderBody, 'Name or change the responsible leader (包案领导)'],
    ['extension', P.ExtendBody, 'One extension of at most 30 days, approved by the unit head'],
    ['reply', P.ReplyBody, 'The written reply (答复意见书): archived and mailed'],
    ['review-request', P.ReasonBody, 'Review (复查) requested within 30 days of the reply'],
    ['review-answer', P.OpinionBody, 'The review answer (within 30 days)'],
    ['re-review-request', P.ReasonBody, 'Re-review (复核) requested within 30 days of the review answer'],
    ['hearing-start', P.EmptyBody, 'A hearing starts: the re-review clock pauses'],
    ['hearing-end', P.EmptyBody, 'The hearing ends: the clock resumes'],
    ['re-review-answer', P.OpinionBody, 'The re-review answer: the petition closes for good'],
    ['transfer-to-mediation', P.TransferBody, 'Transfer a civil dispute to mediation (访调对接)'],
  ];
  for (const [action, schema, summary] of petitionActions) {
    paths.push({
      method: 'post', path: `/api/v1/petitions/{id}/${action}`, summary, security, request: { params: pid, body: { content: { 'application/json': { schema } } } },
      responses: { 200: petition, 404: json(S.ErrorSchema, 'no such petition'), 409: json(S.ErrorSchema, 'the state or a time limit does not allow it'), ...errors },
    });
  }
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

  paths.push(...villagePaths(security)); // village decisions and the public notice board (api/village-openapi.ts)
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
  return new OpenApiGeneratorV3(r.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'Pingan 平安 API', version, description: 'Grassroots governance processes as durable workflows. Times are Asia/Shanghai.' },
  });
}
