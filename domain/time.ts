/** Time helpers. Pure: no clock reads here; callers pass the instant. China has no daylight saving, so
 *  Asia/Shanghai is always UTC+08:00 and these functions need no time-zone database. */
export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
export const SHANGHAI_OFFSET_MS = 8 * HOUR_MS;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** ISO 8601 in Asia/Shanghai, e.g. 2026-11-27T11:27:32.000+08:00 */
export function toShanghaiIso(instant: number | Date): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+08:00`
  );
}

/** Human form used in notices: 2026-11-27 11:27 */
export function toShanghaiDisplay(instant: number | Date): string {
  return toShanghaiIso(instant).slice(0, 16).replace('T', ' ');
}

/**
 * A deadline as people read it: a period that ends with its last day ends at that day's 24:00 (民法典 Art. 203:
 * 期间的最后一日的截止时间为二十四时), so an instant at 00:00 Asia/Shanghai is shown as the day before, 24:00, not as the
 * next day 00:00 (which reads as a day later). Any other instant is shown as toShanghaiDisplay shows it.
 */
export function toShanghaiDeadlineDisplay(instant: number | Date): string {
  const t = typeof instant === 'number' ? instant : instant.getTime();
  const shown = toShanghaiDisplay(t);
  if (!shown.endsWith(' 00:00')) return shown;
  return `${toShanghaiDisplay(t - 1).slice(0, 10)} 24:00`;
}

/** The calendar date (YYYY-MM-DD) of an instant in Asia/Shanghai. */
export function shanghaiDate(instant: number): string {
  return toShanghaiIso(instant).slice(0, 10);
}

/** The instant at which a Shanghai calendar date (YYYY-MM-DD) begins. */
export function startOfShanghaiDate(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y, m - 1, d) - SHANGHAI_OFFSET_MS;
}

/** Day of week of a Shanghai calendar date: 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(startOfShanghaiDate(date) + SHANGHAI_OFFSET_MS).getUTCDay();
}

export function nextDate(date: string): string {
  return shanghaiDate(startOfShanghaiDate(date) + DAY_MS);
}
