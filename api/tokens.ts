import { z } from 'zod';
import type { Actor } from '../domain/actors';
import type { Db } from '../platform/db';
import { DEFAULT_TOKEN_TTL_DAYS, findMemberForTokens, grantRefusal, replaceToken } from '../platform/users';
import { deactivateMember } from './console/accounts';
import { json, parse, reply, route, type Route } from './route';
import { conflict, forbidden, notFound } from './errors';
import { ErrorSchema } from './schemas';

/** These actions take no body: a field sent with them (an expiry, `active`, another member's id) is refused, never read. */
const NoBody = z.object({}).strict();

/**
 * A member's bearer token: revocation (DELETE), rotation (POST, the new token shown once) and deactivation of the
 * member. A member may revoke or rotate its own token; an administrator acts on members inside its own area (the
 * rule of grantRefusal) and may deactivate them. A member outside that area answers 404 like an unknown id, so a
 * stranger learns nothing of which ids exist. The built-in administrator's token (PINGAN_ADMIN_TOKEN or the
 * admin-token file) is changed only where it is configured.
 *
 * `target`: the member `id` if `actor` may act on it (itself, or an administrator over its area); 404 otherwise.
 */
async function target(db: Db, actor: Actor, id: string, what: string, selfAllowed: boolean) {
  const self = id === actor.id;
  if (!(selfAllowed && self) && actor.role !== 'admin') throw forbidden(`${what} of another member requires role admin; you are ${actor.role}`);
  const m = await findMemberForTokens(db, id);
  if (!m || (!self && grantRefusal(actor, m))) throw notFound(`no member ${id} in your area`);
  if (m.id === 'admin') throw conflict('the built-in administrator\'s token is PINGAN_ADMIN_TOKEN or the admin-token file; change it there');
  if (!m.active) throw conflict('this member is deactivated');
  return m;
}

export const RotatedToken = z
  .object({
    token: z.string().openapi({ description: 'shown once; the previous token stops working at once' }),
    expiresAt: z.string().openapi({ description: 'when this token expires (TOKEN_TTL_DAYS from now), Asia/Shanghai ISO time' }),
  })
  .openapi('RotatedToken');

const params = z.object({ id: z.string().openapi({ example: 'u_3f9a0c21d4e7a1b2' }) });
const refusals = {
  401: json(ErrorSchema, 'missing, unknown, revoked or expired token (code token_expired when it expired)'),
  403: json(ErrorSchema, 'acting on another member without being an administrator'),
  404: json(ErrorSchema, 'no such member inside your area'),
  409: json(ErrorSchema, 'the member is deactivated, is yourself (deactivation) or is the built-in administrator'),
};

/** Token revocation, rotation and deactivation: each route declared once, served and documented here (api/route.ts). */
export const TOKEN_ROUTES: Route[] = [
  route({
    method: 'delete', path: '/api/v1/users/{id}/tokens', params,
    summary: 'Revoke a member\'s token (itself, or an administrator inside its area): it answers 401 at once',
    responses: { 204: { description: 'revoked' }, ...refusals },
    async handle({ deps: { db }, actor, params: p, body }) {
      parse(NoBody, body);
      const m = await target(db, actor, p.id, 'revoking the token', true);
      if (!(await replaceToken(db, m.id, actor, 'revoke'))) throw conflict('this member is deactivated');
      return reply(204);
    },
  }),
  route({
    method: 'post', path: '/api/v1/users/{id}/tokens', params,
    summary: 'Rotate a member\'s token (itself, or an administrator inside its area): a new token, shown once; the old one stops working',
    responses: { 201: json(RotatedToken, 'the new token'), ...refusals },
    async handle({ deps: { db, tokenTtlDays }, actor, params: p, body }) {
      parse(NoBody, body);
      const m = await target(db, actor, p.id, 'rotating the token', true);
      const r = await replaceToken(db, m.id, actor, 'rotate', tokenTtlDays ?? DEFAULT_TOKEN_TTL_DAYS);
      if (!r?.token) throw conflict('this member is deactivated');
      return reply(201, { token: r.token, expiresAt: r.expiresAt });
    },
  }),
  route({
    method: 'post', path: '/api/v1/users/{id}/deactivation', params,
    summary: 'Deactivate a member (administrator inside its area): its token, password and console sessions end',
    responses: {
      200: json(z.object({ id: z.string(), active: z.literal(false) }).openapi('Deactivated'), 'deactivated'),
      ...refusals,
    },
    async handle({ deps: { db }, actor, params: p, body }) {
      parse(NoBody, body);
      if (p.id === actor.id) throw conflict('you cannot deactivate yourself');
      const m = await target(db, actor, p.id, 'deactivating', false);
      if (!(await deactivateMember(db, m.id, actor))) throw conflict('this member is deactivated');
      return reply(200, { id: m.id, active: false });
    },
  }),
];
