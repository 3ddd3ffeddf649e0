import path from 'node:path';
import { TEMPLATES_DIR } from '../../activities/templates';
import { toShanghaiDisplay } from '../../domain/time';
import { loadHtmlPages, type Render } from '../html-pages';

/**
 * Console pages: templates/console/*.handlebars (HTML, escaping on; `.handlebars` keeps the mail loader away).
 * Partials start with `_`; `_layout` wraps every page.
 */
export const CONSOLE_TEMPLATES = path.join(TEMPLATES_DIR, 'console');

export type { Render };

export function loadConsoleTemplates(dir = CONSOLE_TEMPLATES): Render {
  return loadHtmlPages(dir, 'console', {
    or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
    has: (list: unknown, v: unknown) => Array.isArray(list) && list.includes(v),
    get: (obj: unknown, key: unknown) => (obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[String(key)] : undefined),
    join: (v: unknown, sep: unknown) => (Array.isArray(v) ? v.join(typeof sep === 'string' ? sep : '、') : ''),
    cndate: (v: unknown) => {
      if (typeof v !== 'string') return '';
      const [y, m, d] = toShanghaiDisplay(new Date(v)).slice(0, 10).split('-').map(Number);
      return `${y}年${m}月${d}日`;
    },
  });
}
