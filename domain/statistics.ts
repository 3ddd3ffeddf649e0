import { areaAt, areaSegments } from './areas';
import { DAY_MS, SHANGHAI_OFFSET_MS, toShanghaiIso } from './time';

/**
 * The statistics of an area and period (issue 9), as one pure function over the register's rows. The caller loads the
 * cases of the area opened in the period; this module counts. What each figure means, and why:
 *
 * - The period is the cases OPENED in [from, to), both calendar dates in Asia/Shanghai: a case belongs to the period
 *   it was reported in, so a figure never changes its period when the case later closes.
 * - An outcome is a mediation case's recorded end (agreement, failure at county, withdrawal, refusal, or a follow-up's
 *   referral to court). Only mediation cases have one here; petitions and village matters are counted, not rated.
 * - "Ended in the village" (小事不出村) / "in the township": the outcome was recorded while the case was held at that
 *   level, whatever the outcome; share of all mediation outcomes. The slogan measures WHERE disputes end; how well is
 *   the success rate.
 * - Success: the outcome is an agreement (调解协议); rate over all mediation outcomes (withdrawals and refusals count
 *   as not successful, since the dispute was not settled by mediation).
 * - Time to outcome: calendar time from the report (openedAt) to the outcome, in days; the law's periods are counted in
 *   days too, and the median and 90th percentile show the typical and the slow case without the average's skew.
 *   Median: the middle value, or the mean of the two middle values; 90th percentile: nearest rank, the
 *   ceil(0.9 n)-th smallest value (always an observed duration).
 * - On time: the outcome was recorded at or before the level deadline in force at that moment (the deadline is the
 *   end of the last day, so an outcome exactly at it is still inside the period). Outcomes whose deadline was not
 *   recorded are left out of the rate and counted as unknown, rather than guessed.
 * - Overdue: the register's overdue flag now (cases past their deadline at the top level, still open).
 * - Petitions, reply (答复): time to reply is calendar time from registration to the written reply, in days (median and
 *   90th percentile as above). A reply is on time when the handling deadline (handleBy, extension included) had not
 *   passed before it, i.e. no `deadline_passed` event for handleBy precedes the reply in the petition's timeline. The
 *   on-time rate is over the petitions whose reply fell due: those replied, and those whose handling deadline passed
 *   without a reply (late by definition, counted as `lateUnreplied`).
 * - Village matters: adopted when the villagers' body passed the resolution (a passing meeting at the `resolution`
 *   step); rejected when the village ended the matter after a vote that did not pass (outcome ended_after_rejection).
 *   Both shares are over the matters decided either way; a matter that returned to the proposal after a rejection is
 *   not yet decided. Meetings without quorum: meetings recorded as no_quorum, over all meetings recorded.
 */
export type StatKind = 'mediation' | 'petition' | 'village_decision';
export const STAT_KINDS: StatKind[] = ['mediation', 'petition', 'village_decision'];

export interface StatCase {
  id: string;
  kind: StatKind;
  status: string;
  level: string | null;
  category: string | null;
  /** county/township/village */
  area: string;
  openedAt: string;
  overdue: boolean;
  /** Mediation only: the recorded outcome and the level the case was held at when it was recorded. */
  outcome?: { kind: string; at: string; level: string; levelDeadline?: string } | null;
  /** Petitions only (petitionReplyFacts): the written reply and whether the handling deadline had passed before it. */
  reply?: { at: string; late: boolean } | null;
  /** Petitions only: the handling deadline passed and there is no reply yet. */
  lateUnreplied?: boolean;
  /** Village matters only (villageFacts). */
  village?: { adopted: boolean; rejected: boolean; meetings: number; noQuorum: number };
}

/** What a petition's snapshot says about its reply (see the definitions above). */
export function petitionReplyFacts(p: {
  reply?: { at: string } | null;
  timeline?: { seq: number; action: string; details?: Record<string, unknown> }[];
}): { reply: { at: string; late: boolean } | null; lateUnreplied: boolean } {
  const timeline = p.timeline ?? [];
  const replied = timeline.find((e) => e.action === 'replied');
  const passed = timeline.find((e) => e.action === 'deadline_passed' && e.details?.deadline === 'handleBy');
  if (!p.reply) return { reply: null, lateUnreplied: !!passed };
  return { reply: { at: p.reply.at, late: !!passed && (!replied || passed.seq < replied.seq) }, lateUnreplied: false };
}

/** What a village matter's snapshot says about its decision and its meetings. */
export function villageFacts(m: {
  outcome?: string | null;
  meetings?: { step: string; passed: boolean; outcome: string }[];
}): { adopted: boolean; rejected: boolean; meetings: number; noQuorum: number } {
  const meetings = m.meetings ?? [];
  return {
    adopted: meetings.some((x) => x.step === 'resolution' && x.passed),
    rejected: m.outcome === 'ended_after_rejection',
    meetings: meetings.length,
    noQuorum: meetings.filter((x) => x.outcome === 'no_quorum').length,
  };
}

export interface Share {
  count: number;
  of: number;
  /** count / of, or null when there is nothing to divide by. */
  rate: number | null;
}

export interface Statistics {
  from: string;
  to: string;
  total: number;
  byProcess: { kind: StatKind; count: number }[];
  byStatus: { kind: StatKind; status: string; count: number }[];
  byLevel: { kind: StatKind; level: string; count: number }[];
  byCategory: { kind: StatKind; category: string; count: number }[];
  byTownship: { township: string; mediation: number; petition: number; village_decision: number; total: number }[];
  overdue: { kind: StatKind; count: number }[];
  mediation: {
    outcomes: number;
    endedInVillage: Share;
    endedInTownship: Share;
    success: Share;
    /** Days, to one decimal; null without outcomes. */
    medianDays: number | null;
    p90Days: number | null;
    onTime: Share & { unknown: number };
  };
  petition: {
    replied: number;
    /** Replied on time, over the replies due (replied, or handling deadline passed without a reply). */
    onTime: Share;
    lateUnreplied: number;
    /** Days from registration to the reply, to one decimal; null without replies. */
    medianDays: number | null;
    p90Days: number | null;
    overdue: number;
  };
  village: {
    /** Matters decided: resolution adopted, or ended after a rejection. */
    decided: number;
    adopted: Share;
    rejected: Share;
    meetings: number;
    withoutQuorum: Share;
  };
  monthly: { month: string; opened: number; mediation: number; petition: number; village_decision: number }[];
}

/** Epoch ms of 00:00 Asia/Shanghai on a YYYY-MM-DD date. */
export function shanghaiDayStart(date: string): number {
  return Date.parse(`${date}T00:00:00.000Z`) - SHANGHAI_OFFSET_MS;
}

const share = (count: number, of: number): Share => ({ count, of, rate: of === 0 ? null : count / of });
const oneDecimal = (x: number) => Math.round(x * 10) / 10;

export function median(sorted: number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

/** The months (YYYY-MM) that the period [from, to) touches. */
export function monthsOf(from: string, to: string): string[] {
  const last = toShanghaiIso(shanghaiDayStart(to) - 1).slice(0, 7);
  const out: string[] = [];
  let [y, m] = from.slice(0, 7).split('-').map(Number);
  for (;;) {
    const key = `${y}-${String(m).padStart(2, '0')}`;
    if (key > last) break;
    out.push(key);
    m += 1;
    if (m === 13) [y, m] = [y + 1, 1];
  }
  return out;
}

function countBy<T>(items: T[], key: (t: T) => string | null): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of items) {
    const k = key(t);
    if (k !== null) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Every figure of the statistics page and GET /api/v1/stats, for the cases opened in [from, to) (YYYY-MM-DD). */
export function computeStatistics(all: StatCase[], from: string, to: string): Statistics {
  const start = shanghaiDayStart(from);
  const end = shanghaiDayStart(to);
  const cases = all.filter((c) => Date.parse(c.openedAt) >= start && Date.parse(c.openedAt) < end);
  const kindOrder = (k: StatKind) => STAT_KINDS.indexOf(k);
  const split = (k: string) => k.split('\u0000') as [StatKind, string];
  const table = <F extends string>(field: F, get: (c: StatCase) => string | null) =>
    [...countBy(cases, (c) => (get(c) === null ? null : `${c.kind}\u0000${get(c)}`))]
      .map(([k, count]) => ({ kind: split(k)[0], [field]: split(k)[1], count }) as { kind: StatKind; count: number } & Record<F, string>)
      .sort((a, b) => kindOrder(a.kind) - kindOrder(b.kind) || b.count - a.count || (a[field] < b[field] ? -1 : 1));

  const townships = new Map<string, Statistics['byTownship'][number]>();
  for (const c of cases) {
    const t = areaSegments(c.area).length >= 2 ? areaAt(c.area, 'township') : c.area;
    const row = townships.get(t) ?? { township: t, mediation: 0, petition: 0, village_decision: 0, total: 0 };
    row[c.kind] += 1;
    row.total += 1;
    townships.set(t, row);
  }

  const ended = cases.filter((c) => c.kind === 'mediation' && c.outcome);
  const days = ended.map((c) => (Date.parse(c.outcome!.at) - Date.parse(c.openedAt)) / DAY_MS).sort((a, b) => a - b);
  const withDeadline = ended.filter((c) => c.outcome!.levelDeadline);
  const onTime = withDeadline.filter((c) => Date.parse(c.outcome!.at) <= Date.parse(c.outcome!.levelDeadline!)).length;
  const med = median(days);
  const p90 = percentile(days, 0.9);

  const petitions = cases.filter((c) => c.kind === 'petition');
  const replies = petitions.filter((c) => c.reply);
  const replyDays = replies.map((c) => (Date.parse(c.reply!.at) - Date.parse(c.openedAt)) / DAY_MS).sort((a, b) => a - b);
  const lateUnreplied = petitions.filter((c) => !c.reply && c.lateUnreplied).length;
  const replyMedian = median(replyDays);
  const replyP90 = percentile(replyDays, 0.9);
  const matters = cases.filter((c) => c.kind === 'village_decision' && c.village).map((c) => c.village!);
  const adopted = matters.filter((v) => v.adopted).length;
  const rejected = matters.filter((v) => v.rejected && !v.adopted).length;
  const meetings = matters.reduce((n, v) => n + v.meetings, 0);

  const monthOf = (c: StatCase) => toShanghaiIso(Date.parse(c.openedAt)).slice(0, 7);
  const monthly = monthsOf(from, to).map((month) => {
    const here = cases.filter((c) => monthOf(c) === month);
    const n = (k: StatKind) => here.filter((c) => c.kind === k).length;
    return { month, opened: here.length, mediation: n('mediation'), petition: n('petition'), village_decision: n('village_decision') };
  });

  return {
    from,
    to,
    total: cases.length,
    byProcess: STAT_KINDS.map((kind) => ({ kind, count: cases.filter((c) => c.kind === kind).length })),
    byStatus: table('status', (c) => c.status),
    byLevel: table('level', (c) => c.level),
    byCategory: table('category', (c) => c.category),
    byTownship: [...townships.values()].sort((a, b) => b.total - a.total || (a.township < b.township ? -1 : 1)),
    overdue: STAT_KINDS.map((kind) => ({ kind, count: cases.filter((c) => c.kind === kind && c.overdue).length })),
    mediation: {
      outcomes: ended.length,
      endedInVillage: share(ended.filter((c) => c.outcome!.level === 'village').length, ended.length),
      endedInTownship: share(ended.filter((c) => c.outcome!.level === 'township').length, ended.length),
      success: share(ended.filter((c) => c.outcome!.kind === 'agreement').length, ended.length),
      medianDays: med === null ? null : oneDecimal(med),
      p90Days: p90 === null ? null : oneDecimal(p90),
      onTime: { ...share(onTime, withDeadline.length), unknown: ended.length - withDeadline.length },
    },
    petition: {
      replied: replies.length,
      onTime: share(replies.filter((c) => !c.reply!.late).length, replies.length + lateUnreplied),
      lateUnreplied,
      medianDays: replyMedian === null ? null : oneDecimal(replyMedian),
      p90Days: replyP90 === null ? null : oneDecimal(replyP90),
      overdue: petitions.filter((c) => c.overdue).length,
    },
    village: {
      decided: adopted + rejected,
      adopted: share(adopted, adopted + rejected),
      rejected: share(rejected, adopted + rejected),
      meetings,
      withoutQuorum: share(matters.reduce((n, v) => n + v.noQuorum, 0), meetings),
    },
    monthly,
  };
}

/**
 * What the register's SQL counts for one area and period (api/stats.ts), the same facts computeStatistics counts
 * from the cases one by one: the counts per kind and value, and the mediation, petition and village totals. The
 * definitions stay above; statisticsFromTotals only orders, divides and rounds, exactly as computeStatistics does.
 */
export interface StatTotals {
  /** Cases per kind and value of one field (status, level, category, township, month, overdue 'true'/'false'). */
  groups: { field: 'kind' | 'status' | 'level' | 'category' | 'township' | 'month' | 'overdue'; kind: StatKind; value: string; count: number }[];
  mediation: { outcomes: number; village: number; township: number; success: number; medianDays: number | null; p90Days: number | null; withDeadline: number; onTime: number };
  petition: { replied: number; repliedOnTime: number; lateUnreplied: number; medianDays: number | null; p90Days: number | null; overdue: number };
  village: { adopted: number; rejected: number; meetings: number; noQuorum: number };
}

export function statisticsFromTotals(t: StatTotals, from: string, to: string): Statistics {
  const kindOrder = (k: StatKind) => STAT_KINDS.indexOf(k);
  const of = (field: StatTotals['groups'][number]['field']) => t.groups.filter((g) => g.field === field);
  const count = (field: StatTotals['groups'][number]['field'], kind: StatKind, value: string) =>
    t.groups.find((g) => g.field === field && g.kind === kind && g.value === value)?.count ?? 0;
  const table = <F extends string>(field: F & StatTotals['groups'][number]['field']) =>
    of(field)
      .map((g) => ({ kind: g.kind, [field]: g.value, count: g.count }) as { kind: StatKind; count: number } & Record<F, string>)
      .sort((a, b) => kindOrder(a.kind) - kindOrder(b.kind) || b.count - a.count || (a[field] < b[field] ? -1 : 1));

  const townships = new Map<string, Statistics['byTownship'][number]>();
  for (const g of of('township')) {
    const row = townships.get(g.value) ?? { township: g.value, mediation: 0, petition: 0, village_decision: 0, total: 0 };
    if (g.kind in row) row[g.kind] += g.count;
    row.total += g.count;
    townships.set(g.value, row);
  }
  const m = t.mediation;
  const p = t.petition;
  const v = t.village;
  const monthly = monthsOf(from, to).map((month) => {
    const n = (k: StatKind) => count('month', k, month);
    const opened = of('month').filter((g) => g.value === month).reduce((s, g) => s + g.count, 0);
    return { month, opened, mediation: n('mediation'), petition: n('petition'), village_decision: n('village_decision') };
  });
  return {
    from,
    to,
    total: of('kind').reduce((s, g) => s + g.count, 0),
    byProcess: STAT_KINDS.map((kind) => ({ kind, count: count('kind', kind, kind) })),
    byStatus: table('status'),
    byLevel: table('level'),
    byCategory: table('category'),
    byTownship: [...townships.values()].sort((a, b) => b.total - a.total || (a.township < b.township ? -1 : 1)),
    overdue: STAT_KINDS.map((kind) => ({ kind, count: count('overdue', kind, 'true') })),
    mediation: {
      outcomes: m.outcomes,
      endedInVillage: share(m.village, m.outcomes),
      endedInTownship: share(m.township, m.outcomes),
      success: share(m.success, m.outcomes),
      medianDays: m.medianDays === null ? null : oneDecimal(m.medianDays),
      p90Days: m.p90Days === null ? null : oneDecimal(m.p90Days),
      onTime: { ...share(m.onTime, m.withDeadline), unknown: m.outcomes - m.withDeadline },
    },
    petition: {
      replied: p.replied,
      onTime: share(p.repliedOnTime, p.replied + p.lateUnreplied),
      lateUnreplied: p.lateUnreplied,
      medianDays: p.medianDays === null ? null : oneDecimal(p.medianDays),
      p90Days: p.p90Days === null ? null : oneDecimal(p.p90Days),
      overdue: p.overdue,
    },
    village: {
      decided: v.adopted + v.rejected,
      adopted: share(v.adopted, v.adopted + v.rejected),
      rejected: share(v.rejected, v.adopted + v.rejected),
      meetings: v.meetings,
      withoutQuorum: share(v.noQuorum, v.meetings),
    },
    monthly,
  };
}
