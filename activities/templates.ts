import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { toShanghaiDisplay } from '../domain/time';

/**
 * Handlebars notices in Simplified Chinese. Each template file reads like a mail: a `Subject:` line, a blank line,
 * then the body. Templates are compiled once, when the worker starts.
 */
export interface Rendered {
  subject: string;
  text: string;
}

export type TemplateRenderer = (name: string, data: Record<string, unknown>) => Rendered;

export const TEMPLATES_DIR = path.resolve(__dirname, '..', 'templates');

export function loadTemplates(dir = TEMPLATES_DIR): TemplateRenderer {
  const hb = Handlebars.create();
  hb.registerHelper('datetime', (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? toShanghaiDisplay(new Date(v)) : ''));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('join', (v: unknown, sep: unknown) => (Array.isArray(v) ? v.join(typeof sep === 'string' ? sep : '、') : ''));
  const compiled = new Map<string, { subject: HandlebarsTemplateDelegate; body: HandlebarsTemplateDelegate }>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.hbs')) {
        const source = fs.readFileSync(full, 'utf8');
        const m = /^Subject: (.*)\r?\n\r?\n([\s\S]*)$/.exec(source);
        if (!m) throw new Error(`template ${full} must start with "Subject: ..." and a blank line`);
        const name = path.relative(dir, full).replace(/\\/g, '/').replace(/\.hbs$/, '');
        // Plain-text mail: no HTML escaping.
        compiled.set(name, { subject: hb.compile(m[1], { noEscape: true, strict: true }), body: hb.compile(m[2], { noEscape: true }) });
      }
    }
  };
  walk(dir);
  return (name, data) => {
    const t = compiled.get(name);
    if (!t) throw new Error(`no template named ${name}`);
    return { subject: oneHeaderLine(t.subject(data)), text: t.body(data) };
  };
}

/**
 * The subject is a mail header: text from a form (a petition's subject, a matter's title) may carry CR or LF, which
 * would end the header and start another (`\r\nBcc: …`). Every line break and control character becomes a space.
 */
export function oneHeaderLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ').trim();
}
