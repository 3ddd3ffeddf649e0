import { z } from 'zod';
import { ROLES, type Actor } from '../domain/actors';
import { grantRefusal, memberRefusal, type MemberShape } from '../domain/members';
import type { Policy } from '../domain/policy';
import type { Db } from '../platform/db';
import { changeUser, createUser, findMemberForTokens, findUsersByIds, type MemberChange, type UserView } from '../platform/users';
import { createInvitation, invitationLink } from './console';
import { allow } from './access';
import { badRequest, conflict, forbidden, notFound } from './errors';
import { json, reply, route, STAFF_ERRORS, type Route } from './route';
import { Area, CreatedUser, CreateUserBody, ErrorSchema, User } from './schemas';

/**
 * Members' roles and areas: the one check of a member's shape for the API (POST and PATCH /api/v1/users) and the
 * console (domain/members.ts memberRefusal), and the change of a member's role or area (PATCH /api/v1/users/:id).
 */

/** memberRefusal as the API's error: 403 for what the administrator may not hand out, 400 for an incomplete mediator. */
export function checkMemberShape(actor: Actor, m: MemberShape, policy: Policy): void {
  const refusal = memberRefusal(actor, m, policy.mediation.committees);
  if (refusal) throw refusal.status === 403 ? forbidden(refusal.message) : badRequest(refusal.message, [{ field: refusal.field, message: refusal.message }]);
}

export const ChangeUserBody = z
  .object({
    role: z.enum(ROLES).optional(),
    area: Area.optional(),
    level: z.enum(['village', 'township', 'county']).nullable().optional().openapi({ description: "a mediator's level; null or absent when the role is not mediator" }),
    committee: z.string().min(1).max(60).nullable().optional().openapi({ description: "a county mediator's committee code" }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name at least one of role, area, level, committee')
  .openapi('ChangeUser', { description: 'the fields to change; the others keep their value (a member who stops being a mediator loses its level and committee)' });

/** The member after the change: fields given replace the old ones; level and committee belong to mediators only. */
export function mergeChange(m: UserView, b: z.infer<typeof ChangeUserBody>): MemberChange {
  const role = b.role ?? m.role;
  const mediator = role === 'mediator';
  return {
    role,
    area: b.area ?? m.area,
    level: b.level !== undefined ? b.level : mediator ? m.level : null,
    committee: b.committee !== undefined ? b.committee : mediator ? m.committee : null,
  };
}

/**
 * The member an administrator may change, or why not: 403 for a non-administrator, 404 outside its area (as an
 * unknown id), 409 for itself, the built-in administrator or a deactivated member.
 */
export async function changeableMember(db: Db, actor: Actor, id: string): Promise<UserView> {
  allow(actor, 'PATCH /api/v1/users/{id}');
  const m = await findMemberForTokens(db, id);
  if (!m || grantRefusal(actor, m)) throw notFound(`no member ${id} in your area`);
  if (m.id === 'admin') throw conflict('the built-in administrator keeps its role and area');
  if (m.id === actor.id) throw conflict('you cannot change your own role or area; another administrator can');
  if (!m.active) throw conflict('this member is deactivated');
  return m;
}

/** The change, checked with the same rule as a creation; audited with before and after (platform/users.ts changeUser). */
export async function changeMember(deps: { db: Db; policy: Policy }, actor: Actor, m: UserView, change: MemberChange): Promise<UserView> {
  checkMemberShape(actor, change, deps.policy);
  const r = await changeUser(deps.db, m.id, change, actor);
  if (!r) throw conflict('this member is deactivated');
  return r.after;
}

const memberParams = z.object({ id: z.string().openapi({ example: 'u_3f9a0c21d4e7a1b2' }) });

/** /api/v1/users (the member itself, creation, a change of role or area): each route declared once, served and documented here. */
export const MEMBER_ROUTES: Route[] = [
  // The member as its schema (User) describes it: every field, `null` where a member has no level or committee.
  route({
    method: 'get', path: '/api/v1/users/me', summary: 'The authenticated staff member',
    responses: { 200: json(User, 'me'), 401: STAFF_ERRORS[401] },
    async handle({ deps: { db }, actor }) {
      const [me] = await findUsersByIds(db, [actor.id]);
      if (!me) throw notFound('this member no longer exists');
      return me;
    },
  }),
  route({
    method: 'post', path: '/api/v1/users', summary: 'Create a staff member (administrator only); returns its token once', body: CreateUserBody,
    responses: { 201: json(CreatedUser, 'created'), ...STAFF_ERRORS },
    async handle({ deps, actor, body, req }) {
      checkMemberShape(actor, body, deps.policy); // role, area and a mediator's unit: domain/members.ts
      const created = await createUser(deps.db, body, actor, deps.tokenTtlDays);
      // The console's one-time invitation link (shown once, expiring) beside the API token.
      const invitation = await createInvitation(deps.db, created.user.id, actor.id);
      return reply(201, { ...created, invitation: invitationLink(req, invitation) });
    },
  }),
  route({
    method: 'patch', path: '/api/v1/users/{id}', params: memberParams, body: ChangeUserBody,
    summary: "Change a member's role or area (administrator, inside its area, with the rules of creation); audited with before and after",
    responses: {
      200: json(User, 'the member after the change'),
      400: json(ErrorSchema, 'invalid input, or a mediator without its level, area of that level or committee (the message names the field)'),
      401: json(ErrorSchema, 'missing, unknown, revoked or expired token'),
      403: json(ErrorSchema, 'not an administrator, or a role or area it may not grant'),
      404: json(ErrorSchema, 'no such member inside your area'),
      409: json(ErrorSchema, 'yourself, the built-in administrator, or a deactivated member'),
    },
    async handle({ deps, actor, params, body }) {
      const m = await changeableMember(deps.db, actor, params.id);
      return changeMember(deps, actor, m, mergeChange(m, body));
    },
  }),
];
