import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ROLES, type Actor, type Role } from '../domain/actors';
import { areaContains } from '../domain/areas';
import { NotPermitted } from '../domain/errors';
import type { MediationLevel } from '../domain/policy';
import { toShanghaiIso } from '../domain/time';
import type { Db } from './db';
import { withTransaction } from './db';

/** Staff members and their tokens. Only SHA-256 hashes of tokens are stored. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const newToken = () => `pgn_${randomBytes(24).toString('base64url')}`;

interface UserRow {
  id: string;
  name: string;
  email: string;
  role: Role;
  area: string;
  level: MediationLevel | null;
  committee: string | null;
  created_at: Date;
}

export interface UserView {
  id: string;
  name: string;
  email: string;
  role: Role;
  area: string;
  level: MediationLevel | null;
  committee: string | null;
  createdAt: string;
}

const view = (r: UserRow): UserView => ({
  id: r.id, name: r.name, email: r.email, role: r.role, area: r.area, level: r.level, committee: r.committee,
  createdAt: toShanghaiIso(r.created_at),
});

export function toActor(u: UserView): Actor {
  return { id: u.id, name: u.name, email: u.email, role: u.role, area: u.area, level: u.level ?? undefined, committee: u.committee ?? undefined };
}

export async function findUserByToken(db: Db, token: string): Promise<UserView | undefined> {
  const r = await db.query<UserRow>('SELECT * FROM users WHERE token_hash = $1', [hashToken(token)]);
  return r.rows[0] && view(r.rows[0]);
}

export async function findUsersByIds(db: Db, ids: string[]): Promise<UserView[]> {
  const r = await db.query<UserRow>('SELECT * FROM users WHERE id = ANY($1::text[])', [ids]);
  return r.rows.map(view);
}

export interface NewUser {
  name: string;
  email: string;
  role: Role;
  area: string;
  level?: MediationLevel;
  committee?: string;
}

/** The area of the built-in administrator: every area. No member created through the API may have it. */
export const EVERY_AREA = '*';

/** The roles each role may hand out: an administrator every role (its own included); nobody else creates members. */
const GRANTABLE: Record<Role, readonly Role[]> = {
  admin: ROLES, grid_worker: [], mediator: [], supervisor: [], petition_officer: [], leader: [], village_clerk: [],
};

/**
 * Why `by` may not create (or change) a member with this role and area, or undefined when it may: a member grants
 * only inside its own area, never a wider one, only roles it may hand out, and `*` belongs to the built-in
 * administrator alone (an administrator of 献县 cannot make a global administrator, nor staff in 肃宁县).
 */
export function grantRefusal(by: Pick<Actor, 'role' | 'area'>, input: Pick<NewUser, 'role' | 'area'>): string | undefined {
  if (input.area === EVERY_AREA) return `area: ${EVERY_AREA} belongs to the built-in administrator alone`;
  if (!GRANTABLE[by.role].includes(input.role)) return `role: a ${by.role} may not create a ${input.role}`;
  if (by.area !== EVERY_AREA && !areaContains(by.area, input.area)) {
    return `area: ${input.area} lies outside your area ${by.area}; a member may be created only inside it`;
  }
  return undefined;
}

/** Creates a member and records who created it in the audit trail; returns the token once. */
export async function createUser(db: Db, input: NewUser, by: Actor): Promise<{ user: UserView; token: string }> {
  const refusal = grantRefusal(by, input);
  if (refusal) throw new NotPermitted(refusal);
  const token = newToken();
  const id = `u_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  return withTransaction(db, async (q) => {
    const r = await q.query<UserRow>(
      `INSERT INTO users (id, name, email, role, area, level, committee, token_hash, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [id, input.name, input.email, input.role, input.area, input.level ?? null, input.committee ?? null, hashToken(token), by.id],
    );
    const user = view(r.rows[0]);
    await q.query(
      `INSERT INTO audit_events (id, subject, at, actor_id, actor_name, actor_role, action, after)
       VALUES ($1, 'user', now(), $2, $3, $4, 'user_created', $5)`,
      [`user:${id}:created`, by.id, by.name, by.role, JSON.stringify(user)],
    );
    return { user, token };
  });
}

/** The built-in administrator: its token is PINGAN_ADMIN_TOKEN or the one stored under the data directory. */
export async function ensureAdmin(db: Db, token: string): Promise<void> {
  await db.query(
    `INSERT INTO users (id, name, email, role, area, token_hash, created_by)
     VALUES ('admin', '系统管理员', 'admin@pingan.local', 'admin', '*', $1, 'system')
     ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash`,
    [hashToken(token)],
  );
}
