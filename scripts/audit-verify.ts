/**
 * `npm run audit:verify`: recomputes every audit chain (db/migrations/0014_audit_chain.sql) and names the first broken
 * link of each broken chain; exits 1 when any is broken. The hashes are recomputed here, in TypeScript, from the
 * canonical form documented in the migration, so a trigger that was changed or switched off cannot vouch for itself.
 * Against DATABASE_URL, or the embedded database under DATA_DIR while `npm start` is not running.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Pool, PoolClient } from 'pg';

export interface AuditRow {
  chain: string;
  chain_pos: number;
  prev_hash: string | null;
  hash: string;
  id: string;
  case_id: string | null;
  subject: string;
  seq: number | null;
  at: string;
  recorded_at: string;
  actor_id: string;
  actor_name: string;
  actor_role: string;
  action: string;
  before: string | null;
  after: string | null;
  details: string | null;
}

export interface BrokenLink {
  chain: string;
  caseId: string | null;
  eventId: string;
  seq: number | null;
  chainPos: number;
  reason: string;
}

export interface VerifyResult {
  chains: number;
  events: number;
  broken: BrokenLink[];
}

/** `2026-11-27 10:40:01.5+00` (timestamptz text in UTC) → `2026-11-27T10:40:01.500000Z`. */
export function canonicalTime(pgText: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/.exec(pgText);
  if (!m) throw new Error(`unexpected timestamp text ${pgText}`);
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
}

const field = (name: string, value: string | null) => `${name}=${value === null ? '~' : `${Buffer.byteLength(value, 'utf8')}:${value}`}`;

/** The canonical form of version 1 (see the migration's header), fields in their fixed order. */
export function canonicalForm(e: AuditRow): string {
  const int = (n: number | null) => (n === null ? null : String(n));
  return [
    'pingan-audit/1',
    field('chain', e.chain),
    field('chain_pos', int(e.chain_pos)),
    field('prev_hash', e.prev_hash),
    field('id', e.id),
    field('case_id', e.case_id),
    field('subject', e.subject),
    field('seq', int(e.seq)),
    field('at', canonicalTime(e.at)),
    field('recorded_at', canonicalTime(e.recorded_at)),
    field('actor_id', e.actor_id),
    field('actor_name', e.actor_name),
    field('actor_role', e.actor_role),
    field('action', e.action),
    field('before', e.before),
    field('after', e.after),
    field('details', e.details),
  ].join('\n');
}

export const eventHash = (e: AuditRow) => createHash('sha256').update(canonicalForm(e), 'utf8').digest('hex');
export const chainKey = (caseId: string | null, subject: string) => (caseId !== null ? `case:${caseId}` : `subject:${subject}`);

/** Why this event breaks its chain, given the event before it (undefined for the first), or undefined when it holds. */
function whyBroken(e: AuditRow, before: AuditRow | undefined): string | undefined {
  const expectedPos = before ? before.chain_pos + 1 : 1;
  if (e.chain !== chainKey(e.case_id, e.subject)) return `belongs to chain ${chainKey(e.case_id, e.subject)}, not ${e.chain}`;
  if (e.chain_pos !== expectedPos) return `position ${e.chain_pos} where ${expectedPos} was expected: an event is missing before it`;
  if (e.prev_hash !== (before?.hash ?? null)) return `prev_hash ${e.prev_hash ?? 'NULL'} is not the hash of the event before it (${before?.hash ?? 'none'})`;
  const h = eventHash(e);
  if (h !== e.hash) return `its content does not match its hash (recomputed ${h}, stored ${e.hash}): the row was changed`;
  return undefined;
}

const PAGE = 5000;

export async function verifyAuditChains(db: Pool | PoolClient): Promise<VerifyResult> {
  const client = 'release' in db ? db : await (db as Pool).connect();
  try {
    // Timestamps as text in UTC (the canonical form has microseconds, more than a JS Date holds); jsonb as its text.
    await client.query(`SET TIME ZONE 'UTC'`);
    const result: VerifyResult = { chains: 0, events: 0, broken: [] };
    let last: AuditRow | undefined;
    let brokenChain: string | undefined;
    for (;;) {
      const r = await client.query<AuditRow>(
        `SELECT chain, chain_pos, prev_hash, hash, id, case_id, subject, seq, at::text AS at, recorded_at::text AS recorded_at,
                actor_id, actor_name, actor_role, action, before::text AS before, after::text AS after, details::text AS details
           FROM audit_events
          WHERE $1::text IS NULL OR (chain, chain_pos) > ($1::text, $2::integer)
          ORDER BY chain, chain_pos
          LIMIT ${PAGE}`,
        [last?.chain ?? null, last?.chain_pos ?? null],
      );
      for (const e of r.rows) {
        const before = last && last.chain === e.chain ? last : undefined;
        if (!before) result.chains += 1;
        result.events += 1;
        last = e;
        if (brokenChain === e.chain) continue; // the first broken link of a chain is the one to name
        const reason = whyBroken(e, before);
        if (reason) {
          brokenChain = e.chain;
          result.broken.push({ chain: e.chain, caseId: e.case_id, eventId: e.id, seq: e.seq, chainPos: e.chain_pos, reason });
        }
      }
      if (r.rows.length < PAGE) break;
    }
    return result;
  } finally {
    await client.query('RESET TIME ZONE').catch(() => undefined);
    if (client !== db) client.release();
  }
}

export function describeBroken(b: BrokenLink): string {
  return `BROKEN ${b.caseId ? `case ${b.caseId}` : b.chain}: event ${b.eventId} (seq ${b.seq ?? '-'}, position ${b.chainPos}): ${b.reason}`;
}

async function main(): Promise<number> {
  const { loadConfig } = await import('../platform/config');
  const { createPool } = await import('../platform/db');
  const { startEmbeddedDb } = await import('../platform/embedded-db');
  const { createLogger } = await import('../platform/logger');
  const config = loadConfig();
  const embedded = config.DATABASE_URL ? undefined : await startEmbeddedDb(path.join(config.dataDir, 'pglite'), createLogger('warn'));
  const db = createPool(config.DATABASE_URL ?? embedded!.url, 1);
  try {
    const r = await verifyAuditChains(db);
    for (const b of r.broken) console.log(describeBroken(b));
    console.log(`${r.events} audit events in ${r.chains} chains: ${r.broken.length === 0 ? 'every chain is intact' : `${r.broken.length} broken`}`);
    return r.broken.length === 0 ? 0 : 1;
  } finally {
    await db.end();
    await embedded?.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`audit:verify: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
