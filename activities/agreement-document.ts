import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { ActorRef } from '../domain/actors';
import { areaSegments } from '../domain/areas';
import { CHANNEL_NAMES, PARTY_ROLE_NAMES, type MediationCase } from '../domain/mediation';
import { toShanghaiDisplay } from '../domain/time';
import { TEMPLATES_DIR } from './templates';

/**
 * The 人民调解协议书 (人民调解法 Art. 29), filed with the case when the agreement is recorded (the register activity
 * recordMediation), idempotently: its id is the case and the agreement event's sequence number, so a retried activity
 * or a later view finds the same document, byte for byte. Rendered from templates/console/agreement-document.handlebars
 * (HTML, escaping on) from the case's snapshot alone, so the same case always renders the same bytes.
 */
export const agreementDocumentId = (caseId: string, seq: number) => `${caseId}-agreement-${seq}`;

let compiled: HandlebarsTemplateDelegate | undefined;
function template(): HandlebarsTemplateDelegate {
  if (compiled) return compiled;
  const hb = Handlebars.create();
  hb.registerHelper('add', (a: unknown, b: unknown) => Number(a) + Number(b));
  hb.registerHelper('cndate', (v: unknown) => {
    if (typeof v !== 'string') return '';
    const [y, m, d] = toShanghaiDisplay(new Date(v)).slice(0, 10).split('-').map(Number);
    return `${y}年${m}月${d}日`;
  });
  compiled = hb.compile(fs.readFileSync(path.join(TEMPLATES_DIR, 'console', 'agreement-document.handlebars'), 'utf8'));
  return compiled;
}

/** The document of a case closed with an agreement; `judicialWindow` is the period its policy gave ("30日"). */
export function renderAgreementDocument(c: MediationCase, judicialWindow: string): string {
  const o = c.outcome;
  if (o?.kind !== 'agreement') throw new Error(`case ${c.id} has no agreement`);
  const committee = c.level === 'county' ? c.committeeName ?? '县人民调解委员会' : `${areaSegments(c.responsibleArea).join('')}人民调解委员会`;
  return template()({
    c: { ...c, channelName: CHANNEL_NAMES[c.channel], parties: c.parties.map((p) => ({ ...p, roleName: PARTY_ROLE_NAMES[p.role] })) },
    a: o.agreement,
    at: o.at,
    mediators: c.assignees.length > 0 ? c.assignees : [o.by],
    committee,
    judicialWindow,
    formName: o.agreement.form === 'written' ? '书面协议' : '口头协议（记录在案）',
    number: `${areaSegments(c.area)[0]}调字〔${o.at.slice(0, 4)}〕${c.id.slice(4)}号`,
  });
}

type Query = { query: (sql: string, args?: unknown[]) => Promise<{ rowCount: number | null }> };

/**
 * Files the document once (ON CONFLICT DO NOTHING: a retry or a second filer changes nothing) and audits that filing
 * with the stored document's SHA-256. Returns the document's id.
 */
export async function fileAgreementDocument(q: Query, c: MediationCase, seq: number, judicialWindow: string, by: ActorRef, at: string): Promise<string> {
  const id = agreementDocumentId(c.id, seq);
  const body = renderAgreementDocument(c, judicialWindow);
  const filed = await q.query(
    `INSERT INTO documents (id, case_id, kind, title, body) VALUES ($1, $2, 'mediation_agreement', '人民调解协议书', $3) ON CONFLICT (id) DO NOTHING`,
    [id, c.id, body],
  );
  if (filed.rowCount !== 1) return id; // filed before: the stored document stands, as does its audit event
  await q.query(
    `INSERT INTO audit_events (id, subject, at, actor_id, actor_name, actor_role, action, details)
     VALUES ($1, 'document', $2, $3, $4, $5, 'document_filed', $6) ON CONFLICT (id) DO NOTHING`,
    [`${c.id}:document:${id}`, at, by.id, by.name, by.role,
      JSON.stringify({ caseId: c.id, documentId: id, kind: 'mediation_agreement', title: '人民调解协议书', sha256: createHash('sha256').update(body).digest('hex') })],
  );
  return id;
}
