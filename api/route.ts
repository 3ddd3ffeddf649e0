import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../domain/actors';
import { accessOf, type Access } from './access';
import { actorOf } from './auth';
import type { ProcessDeps } from './cases';
import { fromZod } from './errors';
import { ErrorSchema } from './schemas';

/**
 * The route factory: each staff action of the API is declared once (method, path, schemas, summary, answers, the
 * handler) and that one declaration both serves the request (`mountRoutes`) and documents it (`openApiEntry`), so the
 * OpenAPI document cannot drift from the routes. Who may call it is not declared here: `route()` takes the entry of
 * the access table (api/access.ts) for `METHOD /path`, and throws at start-up when there is none.
 */
export type Method = 'get' | 'post' | 'patch' | 'delete';

/** What the handlers of the staff API use: what the processes start and act with, and the tokens' lifetime. */
export interface RouteDeps extends ProcessDeps {
  /** Days a member's token lives (TOKEN_TTL_DAYS); 90 by default. */
  tokenTtlDays?: number;
}

export function parse<T extends z.ZodType>(schema: T, input: unknown, where = 'body'): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw fromZod(r.error, where);
  return r.data;
}

/** A handler's answer other than JSON with 200: its status, body (none: an empty answer) and Location. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly location?: string,
  ) {}
}
export const reply = (status: number, body?: unknown, location?: string) => new Reply(status, body, location);

export interface Call<Q, B> {
  req: Request;
  res: Response;
  actor: Actor;
  deps: RouteDeps;
  params: Record<string, string>;
  /** the query, validated by the declared schema */
  query: Q;
  /** the body, validated by the declared schema */
  body: B;
  /** the Idempotency-Key header, if any */
  key: string | undefined;
}

type Responses = RouteConfig['responses'];

export interface RouteSpec<Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** the full path with OpenAPI's `{param}`, as the access table spells it */
  path: string;
  summary: string;
  params?: z.ZodObject;
  query?: Q;
  body?: B;
  /** request headers documented by the route itself (the intakes'); every other change gets the common Idempotency-Key */
  headers?: z.ZodObject;
  responses: Responses;
  /** the answer: JSON with 200, or a `reply(...)` */
  handle(call: Call<z.infer<Q>, z.infer<B>>): Promise<unknown>;
}

export interface Route extends RouteSpec<z.ZodType, z.ZodType> {
  /** `METHOD /path`, the key of the access table */
  operation: string;
  access: Access;
}

/** Declares a route; its access entry must exist (api/access.ts), or the declaration throws when the module loads. */
export function route<Q extends z.ZodType = z.ZodType<Record<string, unknown>>, B extends z.ZodType = z.ZodType<unknown>>(
  spec: RouteSpec<Q, B>,
): Route {
  const operation = `${spec.method.toUpperCase()} ${spec.path}`;
  return { ...(spec as unknown as RouteSpec<z.ZodType, z.ZodType>), operation, access: accessOf(operation) };
}

/**
 * Serves the routes on a router mounted at `prefix`, behind the access table's guard (`apiAccessGuard` in api/app.ts
 * answers 403 before anything is read, so the routes do not ask the table again): the declared query and body (400
 * naming the field), the handler, the answer. Declaration order is kept, so a literal segment (`/mediations/stats`)
 * is declared before a parameter (`/mediations/{id}`).
 */
export function mountRoutes(router: Router, routes: readonly Route[], deps: RouteDeps, prefix = '/api/v1'): void {
  for (const r of routes) {
    if (!r.path.startsWith(`${prefix}/`)) throw new Error(`${r.operation} is not under ${prefix}`);
    const path = r.path.slice(prefix.length).replace(/\{(\w+)\}/g, ':$1');
    router[r.method](path, async (req: Request, res: Response) => {
      const actor = actorOf(req);
      const query = r.query ? parse(r.query, req.query, 'query') : req.query;
      const body = r.body ? parse(r.body, req.body) : req.body;
      const params = req.params as Record<string, string>;
      const out = await r.handle({ req, res, actor, deps, params, query, body, key: req.header('idempotency-key') });
      if (!(out instanceof Reply)) {
        res.json(out);
        return;
      }
      if (out.location) res.location(out.location);
      if (out.body === undefined) res.status(out.status).end();
      else res.status(out.status).json(out.body);
    });
  }
}

// ---- the OpenAPI side of the same declarations

export const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

/** The refusals every staff route answers. */
export const STAFF_ERRORS = {
  400: json(ErrorSchema, 'invalid input (the message names the field)'),
  401: json(ErrorSchema, 'missing or unknown token'),
  403: json(ErrorSchema, 'not allowed for this role (a record outside the member\'s area answers 404)'),
};

/** The intakes document their own Idempotency-Key (it names the record a retry finds). */
export const INTAKE_KEY = z.object({ 'Idempotency-Key': z.string().max(200).optional() });

// Every staff action takes an Idempotency-Key (api/idempotency.ts); the intake endpoints document their own.
const IDEMPOTENCY_KEY = z.object({
  'Idempotency-Key': z.string().min(1).max(200).optional().openapi({
    description: 'a retry with the same key and body gets the first answer and does nothing again (kept 24 hours); '
      + 'the same key with another request: 422 idempotency_key_reused; while the first is in flight: 409 idempotency_in_progress',
  }),
});

/** A JSON request body; one whose schema refuses `{}` is refused when missing too, so the document says it is required. */
export const jsonBody = (schema: z.ZodType) => ({
  content: { 'application/json': { schema } },
  ...(schema.safeParse({}).success ? {} : { required: true }),
});

/** The OpenAPI entry of a declared route. */
export function openApiEntry(r: Route, security: Record<string, string[]>[]): RouteConfig {
  const changes = r.method !== 'get';
  const request: NonNullable<RouteConfig['request']> = {};
  if (r.params) request.params = r.params;
  if (r.query) request.query = r.query as z.ZodObject;
  if (r.headers ?? changes) request.headers = r.headers ?? IDEMPOTENCY_KEY;
  if (r.body) request.body = jsonBody(r.body);
  const responses: Responses = changes
    ? {
        409: json(ErrorSchema, 'the state does not allow it, or the first request with this Idempotency-Key is still in flight'),
        422: json(ErrorSchema, 'the register refused the data, or this Idempotency-Key was used for another request'),
        ...r.responses,
      }
    : r.responses;
  return { method: r.method, path: r.path, summary: r.summary, security, ...(Object.keys(request).length ? { request } : {}), responses };
}
