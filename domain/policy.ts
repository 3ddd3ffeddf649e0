import type { Duration, WorkCalendar } from './calendar';
import { DEFAULT_VILLAGE_POLICY, type VillagePolicy } from './village-policy';

/**
 * The policy: every statutory number and every per-county setting, each with its source. It lives once, here;
 * `POLICY_FILE` (JSON of the same shape, checked by domain/policy-schema.ts) replaces it for a county.
 * A workflow receives the policy in its input when it starts and keeps it, so a policy change affects new cases
 * only and running workflows stay deterministic.
 */
export interface Sourced<T> {
  value: T;
  source: string;
}

export type MediationLevel = 'village' | 'township' | 'county';
export const MEDIATION_LEVELS: readonly MediationLevel[] = ['village', 'township', 'county'];
export type Seriousness = 'simple' | 'ordinary' | 'major';

export interface MediationCategory {
  code: string;
  name: string;
  /** County committee (one of the 12 specialised people's mediation committees) that takes this category. */
  committee: string;
  /** Level at which triage (分级诊疗) opens a case of this category; village unless stated. */
  triageLevel?: MediationLevel;
  /** The level limit runs from acceptance rather than from the case's arrival at the level (medical disputes). */
  limitFromAcceptance?: boolean;
  /** Level limits that replace the defaults for this category (e.g. medical disputes: 30 working days). */
  levelLimits?: Partial<Record<MediationLevel, Sourced<Duration>>>;
}

export interface Policy {
  /** Identifies this policy in each case's record; change it whenever a number changes. */
  version: string;
  timeZone: 'Asia/Shanghai';
  calendar: Sourced<WorkCalendar>;
  /** Days before a year starts from which a missing calendar for it is reported (healthz, start banner). Optional only
   *  because policy snapshots of cases started before calendars were data lack it. */
  calendarLead?: Sourced<number>;
  mediation: {
    acceptanceLimit: Sourced<Duration>;
    levelLimits: Record<MediationLevel, Sourced<Duration>>;
    reminderShare: Sourced<number>;
    /** 分级诊疗: the lowest level at which a case of each seriousness opens (the category may require a higher one). */
    /** Optional only because policy snapshots of cases started before triage lack it; new policies must set it. */
    triageBySeriousness?: Sourced<Record<Seriousness, MediationLevel>>;
    judicialConfirmationWindow: Sourced<Duration>;
    followUpDelay: Sourced<Duration>;
    committees: Record<string, string>;
    categories: MediationCategory[];
    channels: string[];
  };
  /** Optional in the type only because policy snapshots of cases started before petitions existed lack it. */
  petition?: PetitionPolicy;
  /** 四议两公开 (domain/village-policy.ts). Optional in the type only because policy snapshots of cases started
   *  before village decisions existed lack it; the schema requires it. */
  village?: VillagePolicy;
}

export interface PetitionPolicy {
  assignLimit: Sourced<Duration>;
  acceptanceNoticeLimit: Sourced<Duration>;
  objectionLimit: Sourced<Duration>;
  handlingLimit: Sourced<Duration>;
  maxExtension: Sourced<Duration>;
  reviewWindow: Sourced<Duration>;
  reviewAnswerLimit: Sourced<Duration>;
  reReviewWindow: Sourced<Duration>;
  reReviewAnswerLimit: Sourced<Duration>;
  /** Warn at this share of the time up to an office deadline. */
  warnShare: Sourced<number>;
  /** 五人领导小组: the five members of the county's leading group, told of every petition and every passed deadline. */
  leadingGroup: Sourced<{ title: string; name: string; email: string }[]>;
  /** 信访稳定集中办公会议: weekly, at this day and time (Asia/Shanghai), chaired by the county party secretary. */
  meeting: Sourced<{ dayOfWeek: 1 | 2 | 3 | 4 | 5 | 6 | 7; hour: number; minute: number; chair: { name: string; email: string }; minutesWithin: Duration }>;
}

const REGULATION = '信访工作条例 (2022)';
const days = (value: number, unit: 'calendarDays' | 'workingDays' = 'calendarDays'): Duration => ({ value, unit });

/** The petition section of the default policy: statutory periods and the county's 5+N settings. */
export const DEFAULT_PETITION_POLICY: PetitionPolicy = {
  assignLimit: { value: days(15), source: `${REGULATION} Art. 22: forward or assign within 15 days of registration` },
  acceptanceNoticeLimit: { value: days(15), source: `${REGULATION} Art. 23: written notice of acceptance within 15 days` },
  objectionLimit: { value: days(5, 'workingDays'), source: `${REGULATION} Art. 23: a unit that is not competent objects within 5 working days` },
  handlingLimit: { value: days(60), source: `${REGULATION}: handled within 60 days of acceptance (DOMAIN.md §2)` },
  maxExtension: { value: days(30), source: `${REGULATION}: one extension of at most 30 days, approved by the unit head` },
  reviewWindow: { value: days(30), source: `${REGULATION}: review (复查) requested within 30 days of the written reply` },
  reviewAnswerLimit: { value: days(30), source: `${REGULATION}: review answered within 30 days` },
  reReviewWindow: { value: days(30), source: `${REGULATION}: re-review (复核) requested within 30 days of the review answer` },
  reReviewAnswerLimit: { value: days(30), source: `${REGULATION}: re-review answered within 30 days; hearing time does not count` },
  warnShare: { value: 0.75, source: 'per-county setting: warn at 75 % of the time to an office deadline' },
  leadingGroup: {
    source: 'DOMAIN.md: 五人领导小组 (per county; replace the addresses in POLICY_FILE)',
    value: [
      { title: '县委副书记', name: '县委副书记', email: 'deputy-secretary@county.example.cn' },
      { title: '县委政法委书记', name: '政法委书记', email: 'political-legal@county.example.cn' },
      { title: '县委办公室主任', name: '县委办主任', email: 'office-director@county.example.cn' },
      { title: '县委统战部部长', name: '统战部部长', email: 'united-front@county.example.cn' },
      { title: '县公安局局长', name: '公安局局长', email: 'police-chief@county.example.cn' },
    ],
  },
  meeting: {
    source: 'DOMAIN.md: weekly dispatch meeting chaired by the county party secretary; day and time per county setting',
    value: { dayOfWeek: 1, hour: 9, minute: 0, chair: { name: '县委书记', email: 'party-secretary@county.example.cn' }, minutesWithin: days(2) },
  },
};

const MEDIATION_LAW = '人民调解法 (2010)';
const LOCAL_PRACTICE = 'local practice, per-county setting (DOMAIN.md §1: suggested default)';

export const DEFAULT_POLICY: Policy = {
  version: '2026.1',
  timeZone: 'Asia/Shanghai',
  calendar: {
    source:
      'weekends by law (国务院关于职工工作时间的规定, Art. 7); the holidays and 调休 days of each year are data: calendars/YYYY.json ' +
      '(from the State Council notice of that year), merged in by platform/policy.ts, or calendar.value.years in POLICY_FILE',
    value: { weekendDays: [0, 6], years: [] },
  },
  calendarLead: {
    value: 60,
    source: 'Pingan setting: warn this many days before a year whose holidays are not yet in the calendar (the State Council publishes them in the autumn before)',
  },
  mediation: {
    acceptanceLimit: { value: { value: 1, unit: 'calendarDays' }, source: `${LOCAL_PRACTICE}: accept within 1 day` },
    levelLimits: {
      village: { value: { value: 7, unit: 'calendarDays' }, source: `${LOCAL_PRACTICE}: village 7 days` },
      township: { value: { value: 15, unit: 'calendarDays' }, source: `${LOCAL_PRACTICE}: township 15 days` },
      county: {
        value: { value: 30, unit: 'calendarDays' },
        source: 'Ministry of Justice, 人民调解工作若干规定 (2002) Art. 33: settled within one month; county 30 days',
      },
    },
    reminderShare: { value: 0.75, source: `${LOCAL_PRACTICE}: remind at 75 % of a level's limit` },
    triageBySeriousness: {
      value: { simple: 'village', ordinary: 'village', major: 'county' },
      source: 'DOMAIN.md §1: 三级治理、分级诊疗 (小事不出村、大事不出乡、难事不出县); per-county setting',
    },
    judicialConfirmationWindow: {
      value: { value: 30, unit: 'calendarDays' },
      source: `${MEDIATION_LAW} Art. 33: joint application for judicial confirmation within 30 days`,
    },
    followUpDelay: { value: { value: 30, unit: 'calendarDays' }, source: `${LOCAL_PRACTICE}: 回访 after 30 days (Art. 31)` },
    committees: {
      traffic: '道路交通事故纠纷人民调解委员会',
      family: '婚姻家庭纠纷人民调解委员会',
      medical: '医疗纠纷人民调解委员会',
      labour: '劳动争议人民调解委员会',
      land: '土地承包经营纠纷人民调解委员会',
      neighbourhood: '邻里纠纷人民调解委员会',
      property: '物业纠纷人民调解委员会',
      consumer: '消费纠纷人民调解委员会',
      construction: '建设工程纠纷人民调解委员会',
      environment: '环境污染纠纷人民调解委员会',
      enterprise: '企业经营纠纷人民调解委员会',
      general: '县人民调解委员会',
    },
    categories: [
      { code: 'neighbourhood', name: '邻里纠纷', committee: 'neighbourhood' },
      { code: 'family', name: '婚姻家庭纠纷', committee: 'family' },
      { code: 'land', name: '土地承包纠纷', committee: 'land' },
      { code: 'homestead', name: '宅基地纠纷', committee: 'land' },
      { code: 'debt', name: '债务纠纷', committee: 'general' },
      { code: 'labour', name: '劳动争议', committee: 'labour', triageLevel: 'township' },
      { code: 'traffic', name: '道路交通事故纠纷', committee: 'traffic', triageLevel: 'county' },
      {
        code: 'medical',
        name: '医疗纠纷',
        committee: 'medical',
        triageLevel: 'county',
        limitFromAcceptance: true,
        levelLimits: {
          county: {
            value: { value: 30, unit: 'workingDays' },
            source: 'DOMAIN.md §1 (local practice): medical disputes 30 working days from acceptance',
          },
        },
      },
      { code: 'property', name: '物业纠纷', committee: 'property' },
      { code: 'consumer', name: '消费纠纷', committee: 'consumer' },
      { code: 'construction', name: '建设工程纠纷', committee: 'construction', triageLevel: 'township' },
      { code: 'environment', name: '环境污染纠纷', committee: 'environment', triageLevel: 'county' },
      { code: 'other', name: '其他纠纷', committee: 'general' },
    ],
    channels: ['grid', 'walk_in', 'hotline', 'police', 'court', 'petition'],
  },
  petition: DEFAULT_PETITION_POLICY,
  village: DEFAULT_VILLAGE_POLICY,
};

/** The policy a case counts with: a case started before periods were counted as the law counts them (the workflow's
 *  patch `legal-periods` absent) keeps counting calendar days as 24-hour spans. */
export function withPeriodRule(policy: Policy, legal: boolean): Policy {
  if (legal) return policy;
  return { ...policy, calendar: { ...policy.calendar, value: { ...policy.calendar.value, exactDays: true } } };
}

export function findCategory(policy: Policy, code: string): MediationCategory | undefined {
  return policy.mediation.categories.find((c) => c.code === code);
}

/** The limit of a level for a category: the category's own limit where it has one, else the level default. */
export function levelIndex(level: MediationLevel): number {
  return MEDIATION_LEVELS.indexOf(level);
}

/** The level a new case opens at: the higher of its category's and its seriousness's. */
export function triageLevel(policy: Policy, category: string, seriousness: Seriousness): MediationLevel {
  const byCategory = findCategory(policy, category)?.triageLevel ?? 'village';
  // Cases started before triage existed carry a policy without it: they open at village, as they did then.
  const bySeriousness = policy.mediation.triageBySeriousness?.value[seriousness] ?? 'village';
  return levelIndex(byCategory) >= levelIndex(bySeriousness) ? byCategory : bySeriousness;
}

export function levelLimit(policy: Policy, category: string, level: MediationLevel): Duration {
  return findCategory(policy, category)?.levelLimits?.[level]?.value ?? policy.mediation.levelLimits[level].value;
}
