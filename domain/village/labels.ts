import type { VillageBody } from '../village-policy';
import type { MeetingOutcome } from './quorum';
import type { NoticeKind } from './types';

/** The names of the procedure's steps, bodies, matter types, notices and meeting outcomes (四议两公开, DOMAIN.md §3). */

export type VillageStatus =
  | 'proposal'
  | 'discussion'
  | 'review'
  | 'resolution'
  | 'rejected'
  | 'resolution_notice'
  | 'implementation'
  | 'result_notice'
  | 'closed';

export const DELIBERATION_STEPS = ['proposal', 'discussion', 'review', 'resolution'] as const;
export type DeliberationStep = (typeof DELIBERATION_STEPS)[number];

export const STATUS_NAMES: Record<VillageStatus, string> = {
  proposal: '党支部会提议',
  discussion: '村"两委"会商议',
  review: '党员大会审议',
  resolution: '村民代表会议或村民会议决议',
  rejected: '表决未通过，待决定终止或重新提议',
  resolution_notice: '决议公开',
  implementation: '组织实施',
  result_notice: '实施结果公开',
  closed: '已办结',
};

/** The body (or bodies) that may hold the meeting of each deliberation step. */
export const BODY_NAMES: Record<VillageBody, string> = {
  party_branch: '党支部会议',
  two_committees: '村"两委"联席会议',
  party_members: '党员大会',
  representatives: '村民代表会议',
  villagers: '村民会议',
};

export const STEP_BODIES: Record<DeliberationStep, VillageBody[]> = {
  proposal: ['party_branch'],
  discussion: ['two_committees'],
  review: ['party_members'],
  resolution: ['representatives', 'villagers'],
};

/** Matters that go through the procedure (村民委员会组织法 Art. 24 and local lists). */
export const MATTER_TYPES = [
  { code: 'cadre_allowance', name: '村干部误工补贴', money: true },
  { code: 'collective_income', name: '集体经济所得收益的使用', money: true },
  { code: 'public_works', name: '公益事业筹资筹劳及工程承包方案', money: true },
  { code: 'land_contracting', name: '土地承包经营方案', money: false },
  { code: 'collective_project', name: '村集体经济项目立项及承包方案', money: true },
  { code: 'homestead', name: '宅基地使用方案', money: false },
  { code: 'land_compensation', name: '征地补偿费的使用、分配方案', money: true },
  { code: 'collective_property', name: '以借贷、租赁或者其他方式处分村集体财产', money: true },
  { code: 'village_rules', name: '村规民约', money: false },
] as const;
export type MatterType = (typeof MATTER_TYPES)[number]['code'];
export const MATTER_TYPE_CODES = MATTER_TYPES.map((t) => t.code) as [MatterType, ...MatterType[]];
export const findMatterType = (code: string) => MATTER_TYPES.find((t) => t.code === code);

export const NOTICE_NAMES: Record<NoticeKind, string> = { resolution: '决议公开', result: '实施结果公开' };

export const OUTCOME_NAMES: Record<MeetingOutcome, string> = {
  passed: '通过',
  rejected: '未通过',
  no_quorum: '到会人数不足，会议无效，须重新召开',
};

export const VILLAGE_BODIES_LIST = ['party_branch', 'two_committees', 'party_members', 'representatives', 'villagers'] as const;
