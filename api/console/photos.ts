import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Request } from 'express';
import type { Actor } from '../../domain/actors';
import type { Db } from '../../platform/db';
import { ApiError } from '../errors';
import { assertStorableText } from '../input-guard';

/**
 * Photos with a report: at most PHOTO_LIMITS.count images of at most PHOTO_LIMITS.bytes each, JPEG, PNG or WebP
 * recognised by their first bytes (never by the name or the browser's claim), kept in PostgreSQL with the case.
 */
export const PHOTO_LIMITS = { count: 4, bytes: 5 * 1024 * 1024, requestBytes: 22 * 1024 * 1024 };

export function imageType(b: Buffer): string | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

export const isMultipart = (req: Request) => /^multipart\/form-data/i.test(req.header('content-type') ?? '');

/** Parses a multipart form (Node's own fetch Request); fields as strings, files as buffers. */
export async function parseMultipart(req: Request): Promise<{ fields: Record<string, string | string[]>; files: { name: string; data: Buffer }[] }> {
  const length = Number(req.header('content-length') ?? 'NaN');
  if (!Number.isFinite(length) || length > PHOTO_LIMITS.requestBytes) {
    throw new ApiError(413, 'too_large', `照片合计不能超过${PHOTO_LIMITS.requestBytes / 1024 / 1024}MB (request too large)`);
  }
  const web = new globalThis.Request('http://console.local/', {
    method: 'POST',
    headers: { 'content-type': req.header('content-type')! },
    body: Readable.toWeb(req) as unknown as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const form = await web.formData();
  const fields: Record<string, string | string[]> = {};
  const files: { name: string; data: Buffer }[] = [];
  for (const [k, v] of form.entries()) {
    if (typeof v === 'string') {
      const prev = fields[k];
      fields[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    } else if (v.size > 0) {
      files.push({ name: k, data: Buffer.from(await v.arrayBuffer()) });
    }
  }
  assertStorableText(fields, 'body');
  return { fields, files };
}

/** Checks the photos; returns an error message in Chinese, or null. */
export function checkPhotos(files: { data: Buffer }[], already: number): string | null {
  if (files.length + already > PHOTO_LIMITS.count) return `最多上传${PHOTO_LIMITS.count}张照片。`;
  for (const f of files) {
    if (f.data.length > PHOTO_LIMITS.bytes) return `每张照片不能超过${PHOTO_LIMITS.bytes / 1024 / 1024}MB。`;
    if (!imageType(f.data)) return '只能上传JPEG、PNG或WebP格式的照片。';
  }
  return null;
}

export async function savePhotos(db: Db, caseId: string, files: { data: Buffer }[], by: Actor): Promise<void> {
  for (const f of files) {
    const sha = createHash('sha256').update(f.data).digest('hex');
    const r = await db.query<{ id: string }>(
      `INSERT INTO case_photos (id, case_id, content_type, bytes, sha256, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (case_id, sha256) DO NOTHING RETURNING id`,
      [`PH-${randomBytes(8).toString('hex')}`, caseId, imageType(f.data), f.data, sha, by.id],
    );
    if (r.rows[0] && !caseId.startsWith('pending:')) await auditPhoto(db, caseId, r.rows[0].id, by);
  }
}

/** Every photo that lands on a case is in the audit trail (who, when, which photo). */
async function auditPhoto(db: Db, caseId: string, photoId: string, by: Actor): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (id, case_id, subject, at, actor_id, actor_name, actor_role, action, details)
     VALUES ($1, $2, 'mediation', now(), $3, $4, $5, 'photo_added', $6) ON CONFLICT (id) DO NOTHING`,
    [`${caseId}:photo:${photoId}`, caseId, by.id, by.name, by.role, JSON.stringify({ photoId })],
  );
}

export const pendingKey = (userId: string, key: string) => `pending:${userId}:${key}`;

export async function countPhotos(db: Db, caseId: string): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_photos WHERE case_id = $1', [caseId])).rows[0].n;
}

/** The photos waiting under a refused form move to the case (a second submit finds them moved already). */
export async function attachPending(db: Db, from: string, caseId: string, by: Actor): Promise<void> {
  const moved = await db.query<{ id: string }>(
    `UPDATE case_photos p SET case_id = $2 WHERE case_id = $1
       AND NOT EXISTS (SELECT 1 FROM case_photos q WHERE q.case_id = $2 AND q.sha256 = p.sha256) RETURNING id`,
    [from, caseId],
  );
  for (const row of moved.rows) await auditPhoto(db, caseId, row.id, by);
  await db.query('DELETE FROM case_photos WHERE case_id = $1', [from]);
}

export async function listPhotos(db: Db, caseId: string): Promise<{ id: string }[]> {
  return (await db.query<{ id: string }>('SELECT id FROM case_photos WHERE case_id = $1 ORDER BY created_at, id', [caseId])).rows;
}

export async function findPhoto(db: Db, caseId: string, id: string): Promise<{ content_type: string; bytes: Buffer } | undefined> {
  return (await db.query<{ content_type: string; bytes: Buffer }>('SELECT content_type, bytes FROM case_photos WHERE case_id = $1 AND id = $2', [caseId, id])).rows[0];
}
