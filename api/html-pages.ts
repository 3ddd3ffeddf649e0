import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { toShanghaiDeadlineDisplay, toShanghaiDisplay } from '../domain/time';

export type Render = (name: string, data: Record<string, unknown>) => string;

/**
 * HTML pages from a folder of `.handlebars` templates (escaping on; the `.hbs` mail loader of activities/templates.ts
 * never reads them). Files starting with `_` are partials. Dates are shown in Asia/Shanghai. The public board and the
 * console each load their own folder through this, with their own extra helpers.
 */
export function loadHtmlPages(dir: string, what: string, helpers: Record<string, Handlebars.HelperDelegate> = {}): Render {
  const hb = Handlebars.create();
  hb.registerHelper('datetime', (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? toShanghaiDisplay(new Date(v)) : ''));
  hb.registerHelper('deadline', (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? toShanghaiDeadlineDisplay(new Date(v)) : ''));
  hb.registerHelper('date', (v: unknown) => (typeof v === 'string' ? toShanghaiDisplay(new Date(v)).slice(0, 10) : ''));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('add', (a: unknown, b: unknown) => Number(a) + Number(b));
  for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, fn);
  const pages = new Map<string, HandlebarsTemplateDelegate>();
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.handlebars')) continue;
    const name = f.replace(/\.handlebars$/, '');
    const source = fs.readFileSync(path.join(dir, f), 'utf8');
    if (name.startsWith('_')) hb.registerPartial(name.slice(1), source);
    else pages.set(name, hb.compile(source));
  }
  return (name, data) => {
    const t = pages.get(name);
    if (!t) throw new Error(`no ${what} template named ${name}`);
    return t(data);
  };
}
