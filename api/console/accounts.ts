import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Actor } from '../../domain/actors';
import type { Db } from '../../platform/db';
import { forgetCachedTokens, toActor, type UserView } from '../../platform/users';
import { sqlAreaWithin } from '../../platform/area-sql';

/**
 * Console accounts: passwords (argon2id), one-time invitations, sessions in PostgreSQL and the sign-in rate limit.
 * Invitation and session tokens are random 32-byte values; only their SHA-256 hashes are stored.
 */
export const CONSOLE_LIMITS = {
  /** A session unused this long ends (idle expiry). */
  idleMs: 2 * 60 * 60_000,
  /** A session ends this long after sign-in, however busy (absolute expiry). */
  absoluteMs: 12 * 60 * 60_000,
  /** An invitation link works once, within this time. */
  invitationMs: 7 * 24 * 60 * 60_000,
  /** Failed sign-ins allowed per email, and per client address, within the window. */
  failuresPerEmail: 5,
  failuresPerIp: 20,
  failureWindowMs: 15 * 60_000,
  minPasswordLength: 10,
};

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
export const randomToken = () => randomBytes(32).toString('base64url');
export const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

// algorithm 2 is Algorithm.Argon2id (a const enum, which isolatedModules cannot read); OWASP's minimum parameters.
const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
export const hashPassword = (password: string) => hash(password, ARGON2);

interface UserRow {
  id: string;
  name: string;
  email: string;
  role: UserView['role'];
  area: string;
  level: UserView['level'];
  committee: string | null;
  created_at: Date;
  password_hash: string | null;
  deactivated_at: Date | null;
}
const toView = (r: UserRow): UserView => ({
  id: r.id, name: r.name, email: r.email, role: r.role, area: r.area, level: r.level, committee: r.committee, createdAt: r.created_at.toISOString(),
});

// ---- invitations

/** A new one-time invitation for a member; earlier unused ones stop working. Returns the token (shown once). */
export async function createInvitation(db: Db, userId: string, by: string, now = Date.now()): Promise<{ token: string; expiresAt: Date }> {
  const token = randomToken();
  const expiresAt = new Date(now + CONSOLE_LIMITS.invitationMs);
  await db.query('UPDATE invitations SET used_at = now() WHERE user_id = $1 AND used_at IS NULL', [userId]);
  await db.query('INSERT INTO invitations (token_hash, user_id, expires_at, created_by) VALUES ($1, $2, $3, $4)', [sha256(token), userId, expiresAt, by]);
  return { token, expiresAt };
}

/** The member an unused, unexpired invitation is for. */
export async function findInvitation(db: Db, token: string): Promise<UserView | undefined> {
  const r = await db.query<UserRow>(
    `SELECT u.* FROM invitations i JOIN users u ON u.id = i.user_id
      WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > now() AND u.deactivated_at IS NULL`,
    [sha256(token)],
  );
  return r.rows[0] && toView(r.rows[0]);
}

/** Sets the password and uses the invitation up, atomically: a second use of the link finds nothing. */
export async function acceptInvitation(db: Db, token: string, password: string): Promise<UserView | undefined> {
  const passwordHash = await hashPassword(password);
  const r = await db.query<{ user_id: string }>(
    `UPDATE invitations SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id`,
    [sha256(token)],
  );
  const userId = r.rows[0]?.user_id;
  if (!userId) return undefined;
  const u = await db.query<UserRow>('UPDATE users SET password_hash = $2 WHERE id = $1 AND deactivated_at IS NULL RETURNING *', [userId, passwordHash]);
  if (!u.rows[0]) return undefined;
  await db.query(
    `INSERT INTO audit_events (id, subject, at, actor_id, actor_name, actor_role, action)
     VALUES ($1, 'user', now(), $2, $3, $4, 'password_set')`,
    [`user:${userId}:password:${sha256(token).slice(0, 16)}`, userId, u.rows[0].name, u.rows[0].role],
  );
  return toView(u.rows[0]);
}

/**
 * The built-in administrator signs in to the console for the first time with a one-time link printed by `npm start`.
 * Returns a fresh token while it has no password yet; undefined once it has one.
 */
export async function adminInvitation(db: Db): Promise<{ token: string; expiresAt: Date } | undefined> {
  const r = await db.query<{ password_hash: string | null }>(`SELECT password_hash FROM users WHERE id = 'admin'`);
  if (!r.rows[0] || r.rows[0].password_hash) return undefined;
  return createInvitation(db, 'admin', 'system');
}

// ---- sign-in

export type SignInResult = { ok: true; user: UserView } | { ok: false; reason: 'invalid' | 'rate_limited' };

/** Counts failures in PostgreSQL, so every API process shares the limit. */
export async function signIn(db: Db, email: string, password: string, ip: string): Promise<SignInResult> {
  const key = email.trim().toLowerCase();
  const since = new Date(Date.now() - CONSOLE_LIMITS.failureWindowMs);
  const c = await db.query<{ by_email: number; by_ip: number }>(
    `SELECT count(*) FILTER (WHERE email = $1)::int AS by_email, count(*) FILTER (WHERE ip = $2)::int AS by_ip
       FROM sign_in_failures WHERE at > $3 AND (email = $1 OR ip = $2)`,
    [key, ip, since],
  );
  if (c.rows[0].by_email >= CONSOLE_LIMITS.failuresPerEmail || c.rows[0].by_ip >= CONSOLE_LIMITS.failuresPerIp) {
    return { ok: false, reason: 'rate_limited' };
  }
  const r = await db.query<UserRow>(
    'SELECT * FROM users WHERE lower(email) = $1 AND password_hash IS NOT NULL AND deactivated_at IS NULL ORDER BY created_at',
    [key],
  );
  for (const row of r.rows) {
    if (await verify(row.password_hash!, password).catch(() => false)) {
      await db.query('DELETE FROM sign_in_failures WHERE email = $1', [key]);
      return { ok: true, user: toView(row) };
    }
  }
  // The same work when the email is unknown, so timing does not tell which emails exist.
  if (r.rows.length === 0) await hashPassword(password);
  await db.query('INSERT INTO sign_in_failures (email, ip) VALUES ($1, $2)', [key, ip]);
  return { ok: false, reason: 'invalid' };
}

// ---- sessions

export interface ConsoleSession {
  actor: Actor;
  csrf: string;
  idHash: string;
}

export async function createSession(db: Db, userId: string, now = Date.now()): Promise<{ token: string; csrf: string }> {
  const token = randomToken();
  const csrf = randomToken();
  await db.query('INSERT INTO console_sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)', [
    sha256(token), userId, csrf, new Date(now + CONSOLE_LIMITS.absoluteMs),
  ]);
  return { token, csrf };
}

/** The session for a cookie value, when neither idle nor absolute expiry has passed; touches it. */
export async function findSession(db: Db, token: string): Promise<ConsoleSession | undefined> {
  const idHash = sha256(token);
  const r = await db.query<UserRow & { csrf_token: string }>(
    `UPDATE console_sessions s SET last_seen_at = now() FROM users u
      WHERE s.id_hash = $1 AND u.id = s.user_id AND s.expires_at > now()
        AND s.last_seen_at > now() - make_interval(secs => $2) AND u.deactivated_at IS NULL
      RETURNING u.*, s.csrf_token`,
    [idHash, CONSOLE_LIMITS.idleMs / 1000],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return { actor: toActor(toView(row)), csrf: row.csrf_token, idHash };
}

export async function endSession(db: Db, idHash: string): Promise<void> {
  await db.query('DELETE FROM console_sessions WHERE id_hash = $1', [idHash]);
}

/** 退出所有设备: every session of the member ends. */
export async function endAllSessions(db: Db, userId: string): Promise<number> {
  const r = await db.query('DELETE FROM console_sessions WHERE user_id = $1', [userId]);
  return r.rowCount ?? 0;
}

// ---- members (administrator)

export type MemberRow = UserView & { active: boolean; hasPassword: boolean };

/** Members inside an area ('*': all), filtered by text (name, email, area) and role, a page at a time. */
export async function listMembers(
  db: Db,
  area: string,
  f: { text?: string; role?: string; limit?: number; offset?: number; id?: string } = {},
): Promise<{ items: MemberRow[]; total: number }> {
  const where = [`($1 = '*' OR ${sqlAreaWithin('area', '$1')})`];
  const args: unknown[] = [area];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replaceAll('?', `$${args.length}`));
  };
  if (f.id) add('id = ?', f.id);
  if (f.role) add('role = ?', f.role);
  if (f.text) add(`(name ILIKE '%' || ? || '%' OR email ILIKE '%' || ? || '%' OR area ILIKE '%' || ? || '%')`, f.text.replace(/[\\%_]/g, (m) => `\\${m}`));
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE ${where.join(' AND ')}`, args)).rows[0].n;
  const r = await db.query<UserRow>(
    `SELECT * FROM users WHERE ${where.join(' AND ')} ORDER BY created_at DESC LIMIT ${Math.min(f.limit ?? 50, 200)} OFFSET ${f.offset ?? 0}`,
    args,
  );
  return { items: r.rows.map((row) => ({ ...toView(row), active: !row.deactivated_at, hasPassword: !!row.password_hash })), total };
}

/** Deactivates a member: its sessions end and its bearer token and password stop working. */
export async function deactivateMember(db: Db, userId: string, by: Actor): Promise<boolean> {
  const r = await db.query<UserRow>(
    `UPDATE users SET deactivated_at = now(), password_hash = NULL, token_hash = 'deactivated:' || id
      WHERE id = $1 AND id <> 'admin' AND deactivated_at IS NULL RETURNING *`,
    [userId],
  );
  forgetCachedTokens(); // its token stops working in this process at once (platform/users.ts TOKEN_CACHE_MS)
  if (!r.rows[0]) return false;
  await endAllSessions(db, userId);
  await db.query('UPDATE invitations SET used_at = now() WHERE user_id = $1 AND used_at IS NULL', [userId]);
  await db.query(
    `INSERT INTO audit_events (id, subject, at, actor_id, actor_name, actor_role, action, details)
     VALUES ($1, 'user', now(), $2, $3, $4, 'user_deactivated', $5)`,
    [`user:${userId}:deactivated`, by.id, by.name, by.role, JSON.stringify({ userId })],
  );
  return true;
}
