import { LEVEL_NAMES } from '../../domain/mediation';
import { STATUS_NAMES as PETITION_STATUS } from '../../domain/petition';
import type { MediationLevel, Policy } from '../../domain/policy';
import type { Share, Statistics, StatKind } from '../../domain/statistics';
import { STATUS_NAMES as VILLAGE_STATUS } from '../../domain/village';
import { STATUS_NAMES as MEDIATION_STATUS } from './format';

/** The statistics as the tables the console shows and downloads: one definition, so the page and its CSV agree. */
export interface StatTable {
  key: string;
  caption: string;
  head: string[];
  rows: (string | number)[][];
}

export const KIND_NAMES: Record<StatKind, string> = { mediation: '矛盾纠纷调解', petition: '信访事项', village_decision: '村务决策（四议两公开）' };
const STATUS: Record<StatKind, Record<string, string>> = { mediation: MEDIATION_STATUS, petition: PETITION_STATUS, village_decision: VILLAGE_STATUS };

const percent = (s: Share) => (s.rate === null ? '—' : `${(s.rate * 100).toFixed(1)}%`);
const days = (d: number | null) => (d === null ? '—' : d);

export function statTables(s: Statistics, policy: Policy): StatTable[] {
  const category = (code: string) => policy.mediation.categories.find((c) => c.code === code)?.name ?? code;
  const m = s.mediation;
  const p = s.petition;
  const v = s.village;
  return [
    { key: 'process', caption: '按业务统计', head: ['业务', '件数'], rows: s.byProcess.map((r) => [KIND_NAMES[r.kind], r.count]) },
    {
      key: 'status', caption: '按状态统计', head: ['业务', '状态', '件数'],
      rows: s.byStatus.map((r) => [KIND_NAMES[r.kind], STATUS[r.kind][r.status] ?? r.status, r.count]),
    },
    {
      key: 'level', caption: '按层级统计（调解）', head: ['业务', '层级', '件数'],
      rows: s.byLevel.map((r) => [KIND_NAMES[r.kind], LEVEL_NAMES[r.level as MediationLevel] ?? r.level, r.count]),
    },
    {
      key: 'category', caption: '按纠纷类别统计', head: ['业务', '类别', '件数'],
      rows: s.byCategory.map((r) => [KIND_NAMES[r.kind], r.kind === 'mediation' ? category(r.category) : r.category, r.count]),
    },
    {
      key: 'township', caption: '按乡镇统计', head: ['乡镇', '调解', '信访', '村务', '合计'],
      rows: s.byTownship.map((r) => [r.township, r.mediation, r.petition, r.village_decision, r.total]),
    },
    {
      key: 'outcomes', caption: '调解成效（已有结果的调解案件）', head: ['指标', '数值', '件数', '基数'],
      rows: [
        ['已有结果（件）', m.outcomes, '', ''],
        ['村内化解（小事不出村）', percent(m.endedInVillage), m.endedInVillage.count, m.endedInVillage.of],
        ['乡镇化解', percent(m.endedInTownship), m.endedInTownship.count, m.endedInTownship.of],
        ['调解成功率（达成协议）', percent(m.success), m.success.count, m.success.of],
        ['按期办结率', percent(m.onTime), m.onTime.count, m.onTime.of],
        ['期限未记录（件，不计入按期率）', m.onTime.unknown, '', ''],
        ['办结用时中位数（天）', days(m.medianDays), '', m.outcomes],
        ['办结用时第90百分位（天）', days(m.p90Days), '', m.outcomes],
      ],
    },
    {
      key: 'petition', caption: '信访答复（已到答复期限的信访事项）', head: ['指标', '数值', '件数', '基数'],
      rows: [
        ['已答复（件）', p.replied, '', ''],
        ['按期答复率', percent(p.onTime), p.onTime.count, p.onTime.of],
        ['办理期限已过仍未答复（件）', p.lateUnreplied, '', ''],
        ['答复用时中位数（天）', days(p.medianDays), '', p.replied],
        ['答复用时第90百分位（天）', days(p.p90Days), '', p.replied],
        ['当前超期（件）', p.overdue, '', ''],
      ],
    },
    {
      key: 'village', caption: '村务决策结果与会议', head: ['指标', '数值', '件数', '基数'],
      rows: [
        ['已有决定的事项（件）', v.decided, '', ''],
        ['决议通过', percent(v.adopted), v.adopted.count, v.adopted.of],
        ['否决后终止', percent(v.rejected), v.rejected.count, v.rejected.of],
        ['登记的会议（次）', v.meetings, '', ''],
        ['到会人数不足、会议无效', percent(v.withoutQuorum), v.withoutQuorum.count, v.withoutQuorum.of],
      ],
    },
    { key: 'overdue', caption: '超期件数（当前）', head: ['业务', '超期件数'], rows: s.overdue.map((r) => [KIND_NAMES[r.kind], r.count]) },
    {
      key: 'monthly', caption: '月度趋势（按登记月份）', head: ['月份', '登记总数', '调解', '信访', '村务'],
      rows: s.monthly.map((r) => [r.month, r.opened, r.mediation, r.petition, r.village_decision]),
    },
  ];
}

/**
 * A table as CSV that Excel opens in Chinese: UTF-8 with a byte-order mark, CRLF, every field quoted. A text cell
 * starting with = + - @ is prefixed with ' so that a spreadsheet does not run it as a formula.
 */
export function toCsv(t: StatTable): string {
  const cell = (v: string | number) => {
    const text = typeof v === 'number' ? String(v) : /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return `"${text.replaceAll('"', '""')}"`;
  };
  return `\uFEFF${[t.head, ...t.rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

/**
 * The monthly trend as horizontal bars, one row per month, in numbers the template draws as SVG (no script). Rows
 * rather than columns so that the chart keeps readable labels when a phone scales it down.
 */
export function trendChart(s: Statistics): { width: number; height: number; axis: number; bars: { y: number; w: number; ty: number; vx: number; label: string; value: number }[] } {
  const row = 22;
  const axis = 64;
  const longest = 250;
  const max = Math.max(1, ...s.monthly.map((m) => m.opened));
  const bars = s.monthly.map((m, i) => {
    const w = Math.round((longest * m.opened) / max);
    return { y: 4 + i * row, w, ty: 4 + i * row + 15, vx: axis + w + 6, label: m.month, value: m.opened };
  });
  return { width: 360, height: 8 + s.monthly.length * row, axis, bars };
}
