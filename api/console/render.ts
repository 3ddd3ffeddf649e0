import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../../activities/templates';
import { toShanghaiDisplay } from '../../domain/time';

/**
 * Console pages: templates/console/*.handlebars (HTML, escaping on; `.handlebars` keeps the mail loader away).
 * Partials start with `_`; `_layout` wraps every page.
 */
export const CONSOLE_TEMPLATES = path.join(TEMPLATES_DIR, 'console');

export type Render = (name: string, data: Record<string, unknown>) => string;

export function loadConsoleTemplates(dir = CONSOLE_TEMPLATES): Render {
  const hb = Handlebars.create();
  hb.registerHelper('datetime', (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? toShanghaiDisplay(new Date(v)) : ''));
  hb.registerHelper('date', (v: unknown) => (typeof v === 'string' ? toShanghaiDisplay(new Date(v)).slice(0, 10) : ''));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hb.registerHelper('has', (list: unknown, v: unknown) => Array.isArray(list) && list.includes(v));
  hb.registerHelper('get', (obj: unknown, key: unknown) => (obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[String(key)] : undefined));
  hb.registerHelper('join', (v: unknown, sep: unknown) => (Array.isArray(v) ? v.join(typeof sep === 'string' ? sep : '、') : ''));
  hb.registerHelper('add', (a: unknown, b: unknown) => Number(a) + Number(b));
  hb.registerHelper('cndate', (v: unknown) => {
    if (typeof v !== 'string') return '';
    const [y, m, d] = toShanghaiDisplay(new Date(v)).slice(0, 10).split('-').map(Number);
    return `${y}年${m}月${d}日`;
  });
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
    if (!t) throw new Error(`no console template named ${name}`);
    return t(data);
  };
}
