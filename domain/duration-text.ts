import type { Duration, DurationUnit } from './calendar';

const UNIT_TEXT: Record<DurationUnit, string> = {
  seconds: '秒',
  minutes: '分钟',
  hours: '小时',
  calendarDays: '日',
  workingDays: '个工作日',
  months: '个月',
};

/** A policy period as messages and notices write it: "30日", "5个工作日", "10秒". Messages take their numbers from
 *  the policy through this, never from a literal. */
export function durationText(d: Duration): string {
  return `${d.value}${UNIT_TEXT[d.unit]}`;
}

/** The same period in English, for the bracketed half of a refusal: "30 calendar days", "5 working days". */
export function durationTextEn(d: Duration): string {
  const unit = d.unit === 'calendarDays' ? 'calendar day' : d.unit === 'workingDays' ? 'working day' : d.unit.replace(/s$/, '');
  return `${d.value} ${unit}${d.value === 1 ? '' : 's'}`;
}
