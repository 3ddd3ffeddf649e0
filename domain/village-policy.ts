import type { Duration } from './calendar';
import type { Sourced } from './policy';

/**
 * The village section of the policy (四议两公开, DOMAIN.md §3): publication and waiting periods, and the quorum and
 * majority rule of every body that deliberates. Every number here has its source; DEFAULT_POLICY carries
 * DEFAULT_VILLAGE_POLICY and a county's POLICY_FILE may replace any of it.
 */
export type VillageBody = 'party_branch' | 'two_committees' | 'party_members' | 'representatives' | 'villagers';
export const VILLAGE_BODIES: readonly VillageBody[] = ['party_branch', 'two_committees', 'party_members', 'representatives', 'villagers'];

/**
 * A share of a whole, as Chinese law states it. `strict: false` is "num/den 以上" (the number itself is enough:
 * count/whole >= num/den); `strict: true` is "过半数"-style (count/whole > num/den). Compared in integers, never floats.
 */
export interface Share {
  num: number;
  den: number;
  strict: boolean;
}

export interface QuorumRule {
  /** The body's name as it appears in notices. */
  name: string;
  /** Attendance needed, as a share of the members entitled to attend (for the villagers' assembly: villagers aged 18+). */
  attendance: Share;
  /** Villagers' assembly only: the alternative quorum, as a share of the village's households represented. */
  householdAttendance?: Share;
  /** Votes for needed, as a share of those present (`present`) or of those entitled to attend (`entitled`). */
  approval: Share;
  approvalBase: 'present' | 'entitled';
}

/** How far ahead a body's meeting must be announced, and how a refusal names the rule that requires it. */
export interface MeetingNoticeRule {
  period: Duration;
  /** The rule as a refusal names it, e.g. "村民委员会组织法第二十一条". */
  rule: string;
}

/** What the public may file against one notice (the board's objection form). */
export interface ObjectionLimits {
  /** Objections accepted per notice; past it the form answers 409 and points the villager to the village committee. */
  perNotice: number;
  /** Longest objection text, in characters (UTF-16 code units, as the form's schema counts them). */
  textLength: number;
}

export interface VillagePolicy {
  /** 决议公开 and 实施结果公开: how long each notice stays on the board, objections open. */
  noticePeriod: Sourced<Duration>;
  /** Longest wait for the next deliberation step; past it the village clerk is reminded. */
  stepLimit: Sourced<Duration>;
  /** The whole deliberation, from opening to the resolution; past it the township is alerted. */
  procedureLimit: Sourced<Duration>;
  bodies: Record<VillageBody, Sourced<QuorumRule>>;
  /** Notice before a meeting, for the bodies that need it (a body without an entry needs none). Optional in the type
   *  only because policy snapshots of matters opened before the notice rules lack it; the schema requires it. */
  meetingNotice?: Partial<Record<VillageBody, Sourced<MeetingNoticeRule>>>;
  /** Bounds on public objections. Optional in the type because policy snapshots of matters opened before it lack it:
   *  those matters get DEFAULT_OBJECTION_LIMITS (a bound checked by the update's validator only, so replay-safe). */
  objections?: Sourced<ObjectionLimits>;
}

const ORGANIC_LAW = '村民委员会组织法 (2018)';

/**
 * The objection form is public and unauthenticated (10 per 10 minutes per address), and every objection is kept in
 * the matter's durable history, which Temporal ends at 50 MB. Twenty objections of 2,000 characters per notice keep
 * a matter far inside it while leaving room for every household that has something to say; anything beyond goes to
 * the village committee in person (村务监督委员会), as the law's channel for objections always allowed.
 */
export const DEFAULT_OBJECTION_LIMITS: ObjectionLimits = { perNotice: 20, textLength: 2000 };
const LOCAL = 'local practice, per-county setting (DOMAIN.md §3 default)';
const MORE_THAN_HALF: Share = { num: 1, den: 2, strict: true };
const AT_LEAST_TWO_THIRDS: Share = { num: 2, den: 3, strict: false };

export const DEFAULT_VILLAGE_POLICY: VillagePolicy = {
  noticePeriod: {
    value: { value: 7, unit: 'calendarDays' },
    source: `${LOCAL}: resolution and result each published for 7 days, objections open; major items at once (${ORGANIC_LAW} Art. 30)`,
  },
  stepLimit: { value: { value: 7, unit: 'calendarDays' }, source: `${LOCAL}: 7 days between steps` },
  procedureLimit: { value: { value: 20, unit: 'calendarDays' }, source: `${LOCAL}: whole procedure within 20 days` },
  bodies: {
    party_branch: {
      value: { name: '党支部会议', attendance: MORE_THAN_HALF, approval: MORE_THAN_HALF, approvalBase: 'present' },
      source: 'per-county setting (DOMAIN.md §3: "the other meetings per county setting"); default: more than half present, more than half of those present approve',
    },
    two_committees: {
      value: { name: '村"两委"联席会议', attendance: MORE_THAN_HALF, approval: MORE_THAN_HALF, approvalBase: 'present' },
      source: 'per-county setting (DOMAIN.md §3: "the other meetings per county setting"); default: more than half present, more than half of those present approve',
    },
    party_members: {
      value: { name: '党员大会', attendance: AT_LEAST_TWO_THIRDS, approval: MORE_THAN_HALF, approvalBase: 'present' },
      source: 'local rules (DOMAIN.md §3): at least 2/3 of party members present, more than half approve',
    },
    representatives: {
      value: { name: '村民代表会议', attendance: AT_LEAST_TWO_THIRDS, approval: MORE_THAN_HALF, approvalBase: 'present' },
      source: `${ORGANIC_LAW} Art. 26: 三分之二以上的组成人员参加方可召开，所作决定应当经到会人员的过半数同意`,
    },
    villagers: {
      value: {
        name: '村民会议',
        attendance: MORE_THAN_HALF,
        householdAttendance: AT_LEAST_TWO_THIRDS,
        approval: MORE_THAN_HALF,
        approvalBase: 'present',
      },
      source: `${ORGANIC_LAW} Art. 22: 十八周岁以上村民的过半数，或者三分之二以上的户的代表参加；所作决定应当经到会人员的过半数通过 (Art. 21: 10 days' notice)`,
    },
  },
  objections: {
    value: DEFAULT_OBJECTION_LIMITS,
    source:
      'per-county setting (not a statutory number): bounds what the public form can add to one notice, so that a matter ' +
      'stays within its durable history; default 20 objections of at most 2,000 characters per notice',
  },
  meetingNotice: {
    villagers: {
      value: { period: { value: 10, unit: 'calendarDays' }, rule: '村民委员会组织法第二十一条' },
      source: `${ORGANIC_LAW} Art. 21: 召开村民会议，应当提前十天通知村民 (the day notice is given is not counted)`,
    },
    party_members: {
      value: { period: { value: 3, unit: 'calendarDays' }, rule: '党员大会审议方案提前送达党员的规定' },
      source: 'local rules (DOMAIN.md §3): the plan is sent to the party members 3 days before the assembly',
    },
  },
};

/** Why an objection of `text` cannot be added to a notice that already has `onNotice` objections; null when it can. */
export function objectionLimitProblem(
  village: VillagePolicy | undefined,
  onNotice: number,
  text: string,
): { kind: 'limit' | 'tooLong'; message: string } | null {
  const limits = village?.objections?.value ?? DEFAULT_OBJECTION_LIMITS;
  if (text.length > limits.textLength) {
    return { kind: 'tooLong', message: `异议内容不能超过 ${limits.textLength} 字 (an objection is at most ${limits.textLength} characters)` };
  }
  if (onNotice >= limits.perNotice) {
    return {
      kind: 'limit',
      message: `本公告已收到 ${limits.perNotice} 条异议，已达上限，请直接向村务监督委员会反映 (this notice has reached its limit of ${limits.perNotice} objections; please raise it with the village supervision committee)`,
    };
  }
  return null;
}
