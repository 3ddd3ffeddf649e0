import type { Actor } from '../../domain/actors';
import { sqlCaseInArea } from '../../platform/area-sql';
import type { Db } from '../../platform/db';

/** The console's case lists (mediations, village matters): the filters they share, pages of 20, newest first. */
export const PAGE_SIZE = 20;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface CommonFilters {
  area: string;
  overdue: boolean;
  text: string;
  from: string;
  to: string;
}

const one = (q: Record<string, unknown>, k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() : '');

/** The filters every list shares, from the query string: lengths bounded, malformed dates dropped. */
export function commonFilters(q: Record<string, unknown>): CommonFilters {
  return {
    area: one(q, 'area').slice(0, 120),
    overdue: one(q, 'overdue') === '1',
    text: one(q, 'text').slice(0, 100),
    from: DAY.test(one(q, 'from')) ? one(q, 'from') : '',
    to: DAY.test(one(q, 'to')) ? one(q, 'to') : '',
  };
}

export const pageNumber = (q: Record<string, unknown>): number =>
  Math.max(1, Math.min(1000, Number.parseInt(one(q, 'page') || '1', 10) || 1));

/** Adds a condition whose `?` stand for one parameter. */
export type AddCondition = (sql: string, value: unknown) => void;

/**
 * One page of a kind's cases in the register inside the member's area (containment only through sqlAreaWithin),
 * filtered by the shared filters, by `textColumns` for the text, and by what `more` adds; with the total.
 */
export async function pageOfCases<T>(
  db: Db,
  o: { kind: string; actor: Actor; f: CommonFilters; textColumns: string[]; pageNo: number; more?: (add: AddCondition) => void },
): Promise<{ items: T[]; total: number; pages: number }> {
  const where = [`kind = '${o.kind}'`];
  const args: unknown[] = [];
  const add: AddCondition = (sql, v) => {
    args.push(v);
    where.push(sql.replaceAll('?', `$${args.length}`));
  };
  const { f } = o;
  if (o.actor.area !== '*') add(sqlCaseInArea(o.actor.area, '?'), o.actor.area);
  if (f.area) add(sqlCaseInArea(f.area, '?'), f.area);
  o.more?.(add);
  if (f.overdue) where.push(`(overdue OR (status <> 'closed' AND next_deadline < now()))`);
  if (f.text) add(`(${o.textColumns.map((c) => `${c} ILIKE '%' || ? || '%'`).join(' OR ')})`, f.text.replace(/[\\%_]/g, (m) => `\\${m}`));
  if (f.from) add(`opened_at >= ?::timestamptz`, `${f.from}T00:00:00+08:00`);
  if (f.to) add(`opened_at < (?::timestamptz + interval '1 day')`, `${f.to}T00:00:00+08:00`);
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE ${where.join(' AND ')}`, args)).rows[0].n;
  const rows = await db.query<{ snapshot: T }>(
    `SELECT snapshot FROM cases WHERE ${where.join(' AND ')} ORDER BY opened_at DESC LIMIT ${PAGE_SIZE} OFFSET ${(o.pageNo - 1) * PAGE_SIZE}`,
    args,
  );
  return { items: rows.rows.map((r) => r.snapshot), total, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
}

/** The list's address for page `n`, keeping every other filter of the query. */
export function pageLink(base: string, q: Record<string, unknown>, n: number): string {
  const u = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[0] !== 'page' && typeof e[1] === 'string' && e[1] !== ''));
  u.set('page', String(n));
  return `${base}?${u.toString()}`;
}

/** The filter box above a console list: a `<details>` whose summary says how many filters are chosen, a short line naming
 *  them under it (seen while the box is closed), and the box open when the list shows nothing (changing the filters is then
 *  the next step). At desk width the stylesheet shows the form whatever the box's state. */
export interface FilterBox {
  action: string;
  n: number;
  line: string;
  open: boolean;
}

export function filterBox(action: string, chosen: (string | false | null | undefined)[], listShown: boolean): FilterBox {
  const named = chosen.filter((c): c is string => typeof c === 'string' && c !== '');
  return { action, n: named.length, line: named.join(' · '), open: !listShown };
}

/** "label：value" when the value is set. */
export const chosenAs = (label: string, value: string | undefined | null): string | undefined => (value ? `${label}：${value}` : undefined);

/** The period of the shared date filters in words, when either end is set. */
export const periodChosen = (from: string, to: string): string | undefined =>
  from && to ? `登记日期：${from} 至 ${to}` : from ? `登记日期：${from} 起` : to ? `登记日期：至 ${to}` : undefined;
