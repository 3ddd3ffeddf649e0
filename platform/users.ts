import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Actor, Role } from '../domain/actors';
import { grantRefusal } from '../domain/members';
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

/** The default life of a member's token in days (TOKEN_TTL_DAYS in platform/config.ts). */
export const DEFAULT_TOKEN_TTL_DAYS = 90;

/**
 * How long this process reuses a token's member once PostgreSQL has confirmed it (so that a client's requests in quick
 * succession cost one look-up, not one each). Every change of a member or a token made through Pingan (revocation,
 * rotation, deactivation, a new role or area: `forgetCachedTokens`) empties the cache of the process that made it at
 * once; ANOTHER API process goes on accepting a revoked token, or acting with the member's old role, for at most this
 * long. A token's expiry is checked on every request, cached or not. Unknown and refused tokens are never cached.
 */
export const TOKEN_CACHE_MS = 5_000;
const TOKEN_CACHE_MAX = 10_000;
const tokenCache = new Map<string, { user: UserView; until: number; expiresAt: number | null }>();
let tokenGeneration = 0;

/** Forgets every cached token (see TOKEN_CACHE_MS); a look-up in flight meanwhile is not cached either. */
export function forgetCachedTokens(): void {
  tokenCache.clear();
  tokenGeneration += 1;
}

/** A change of members or tokens, then (once committed, whatever its outcome) the cache forgotten. */
export async function forgettingTokens<T>(change: Promise<T>): Promise<T> {
  try {
    return await change;
  } finally {
    forgetCachedTokens();
  }
}

/**
 * The holder of a bearer token, or why it is refused: `expired` when its expiry has passed, `unknown` otherwise
 * (never issued, revoked, rotated away, or its member deactivated — a deactivated member is refused explicitly, even
 * if its hash were ever written back).
 */
export async function checkToken(db: Db, token: string): Promise<{ user: UserView } | { refused: 'expired' | 'unknown' }> {
  const hash = hashToken(token);
  const hit = tokenCache.get(hash);
  if (hit && hit.until > Date.now()) {
    return hit.expiresAt !== null && hit.expiresAt <= Date.now() ? { refused: 'expired' } : { user: hit.user };
  }
  const generation = tokenGeneration;
  const r = await db.query<UserRow & { deactivated_at: Date | null; token_expires_at: Date | null; expired: boolean }>({
    name: 'pingan_check_token',
    // Named columns, not *: a prepared statement whose result shape changed (a column added by a later migration while
    // this process runs) would fail until the process restarts.
    text: `SELECT id, name, email, role, area, level, committee, created_at, deactivated_at, token_expires_at,
                  token_expires_at IS NOT NULL AND token_expires_at <= now() AS expired
             FROM users WHERE token_hash = $1`,
    values: [hash],
  });
  const row = r.rows[0];
  if (!row || row.deactivated_at) return { refused: 'unknown' };
  if (row.expired) return { refused: 'expired' };
  const user = view(row);
  if (generation === tokenGeneration) {
    if (tokenCache.size >= TOKEN_CACHE_MAX) tokenCache.clear();
    tokenCache.set(hash, { user, until: Date.now() + TOKEN_CACHE_MS, expiresAt: row.token_expires_at?.getTime() ?? null });
  }
  return { user };
}

export async function findUserByToken(db: Db, token: string): Promise<UserView | undefined> {
  const c = await checkToken(db, token);
  return 'user' in c ? c.user : undefined;
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

// The grant rule is domain (domain/members.ts); kept importable from here for the token routes and their tests.
export { EVERY_AREA, grantRefusal } from '../domain/members';

/** One address, nothing around it: the form the API's schema (z.email) accepts, without quotes, spaces or line breaks. */
const PLAIN_MAIL_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/**
 * Why a member's name or address could not safely reach a mail header, if it could not: its address goes into `To:`
 * (nodemailer reads `a@b.cn\r\nBcc: c@d.cn` as two recipients), and no name needs a control character.
 */
export function mailHeaderRefusal(input: Pick<NewUser, 'name' | 'email'>): string | undefined {
  if (!PLAIN_MAIL_ADDRESS.test(input.email)) return 'email: must be a single plain mail address';
  if (/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(input.name)) return 'name: must not contain line breaks or control characters';
  return undefined;
}

/** Creates a member and records who created it in the audit trail; returns the token once. */
export async function createUser(db: Db, input: NewUser, by: Actor, ttlDays = DEFAULT_TOKEN_TTL_DAYS): Promise<{ user: UserView; token: string }> {
  const unsafe = mailHeaderRefusal(input);
  if (unsafe) throw new TypeError(unsafe); // the API refuses these with 400 before; this guards every other caller
  const refusal = grantRefusal(by, input);
  if (refusal) throw new NotPermitted(refusal);
  const token = newToken();
  const id = `u_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  return withTransaction(db, async (q) => {
    const r = await q.query<UserRow>(
      `INSERT INTO users (id, name, email, role, area, level, committee, token_hash, created_by, token_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(days => $10)) RETURNING *`,
      [id, input.name, input.email, input.role, input.area, input.level ?? null, input.committee ?? null, hashToken(token), by.id, ttlDays],
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

/**
 * The built-in administrator: its token is PINGAN_ADMIN_TOKEN or the one stored under the data directory. It does
 * not expire (token_expires_at NULL): it is changed by changing that variable or file and restarting.
 */
export async function ensureAdmin(db: Db, token: string): Promise<void> {
  await db.query(
    `INSERT INTO users (id, name, email, role, area, token_hash, created_by)
     VALUES ('admin', '系统管理员', 'admin@pingan.local', 'admin', '*', $1, 'system')
     ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash, token_expires_at = NULL`,
    [hashToken(token)],
  );
  forgetCachedTokens();
}

/** A member as token management sees it (with whether it is still active). */
export async function findMemberForTokens(db: Db, id: string): Promise<(UserView & { active: boolean }) | undefined> {
  const r = await db.query<UserRow & { deactivated_at: Date | null }>('SELECT * FROM users WHERE id = $1', [id]);
  return r.rows[0] && { ...view(r.rows[0]), active: !r.rows[0].deactivated_at };
}

/**
 * Revokes a member's token (the old one answers 401 at once) or, with `rotate`, replaces it by a new one returned
 * once with a fresh expiry. Audited: who, when, what.
 */
export async function replaceToken(
  db: Db, userId: string, by: Actor, mode: 'revoke' | 'rotate', ttlDays = DEFAULT_TOKEN_TTL_DAYS,
): Promise<{ token?: string; expiresAt?: string } | undefined> {
  const token = mode === 'rotate' ? newToken() : undefined;
  const hash = token ? hashToken(token) : `revoked:${userId}:${randomUUID()}`;
  return forgettingTokens(withTransaction(db, async (q) => {
    const r = await q.query<{ token_expires_at: Date | null }>(
      `UPDATE users SET token_hash = $2, token_expires_at = CASE WHEN $3::boolean THEN now() + make_interval(days => $4) ELSE token_expires_at END
        WHERE id = $1 AND id <> 'admin' AND deactivated_at IS NULL RETURNING token_expires_at`,
      [userId, hash, mode === 'rotate', ttlDays],
    );
    if (!r.rows[0]) return undefined;
    const expiresAt = mode === 'rotate' && r.rows[0].token_expires_at ? toShanghaiIso(r.rows[0].token_expires_at) : undefined;
    await q.query(
      `INSERT INTO audit_events (id, subject, at, actor_id, actor_name, actor_role, action, details)
       VALUES ($1, 'user', now(), $2, $3, $4, $5, $6)`,
      [`user:${userId}:token_${mode}d:${randomUUID()}`, by.id, by.name, by.role, mode === 'rotate' ? 'token_rotated' : 'token_revoked', JSON.stringify({ userId, expiresAt })],
    );
    return { token, expiresAt };
  }));
}

/** What PATCH /api/v1/users/:id and the console's member form may change: the role, the area, a mediator's unit. */
export interface MemberChange {
  role: Role;
  area: string;
  level: MediationLevel | null;
  committee: string | null;
}

/**
 * Changes a member's role or area (the caller has checked memberRefusal); audited with the member before and after.
 * Its console sessions and token keep working and act with the new role at once (both read the member each request;
 * another API process may use its token's cached member for up to TOKEN_CACHE_MS).
 */
export async function changeUser(db: Db, id: string, change: MemberChange, by: Actor): Promise<{ before: UserView; after: UserView } | undefined> {
  return forgettingTokens(withTransaction(db, async (q) => {
    const old = await q.query<UserRow>(`SELECT * FROM users WHERE id = $1 AND deactivated_at IS NULL FOR UPDATE`, [id]);
    if (!old.rows[0]) return undefined;
    const r = await q.query<UserRow>(
      'UPDATE users SET role = $2, area = $3, level = $4, committee = $5 WHERE id = $1 RETURNING *',
      [id, change.role, change.area, change.level, change.committee],
    );
    const before = view(old.rows[0]);
    const after = view(r.rows[0]);
    await q.query(
      `INSERT INTO audit_events (id, subject, at, actor_id, actor_name, actor_role, action, before, after, details)
       VALUES ($1, 'user', now(), $2, $3, $4, 'user_changed', $5, $6, $7)`,
      [`user:${id}:changed:${randomUUID()}`, by.id, by.name, by.role, JSON.stringify(before), JSON.stringify(after), JSON.stringify({ userId: id })],
    );
    return { before, after };
  }));
}
