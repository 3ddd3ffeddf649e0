import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes of every Pingan workflow. The same names filter in the Temporal Web UI and in
 * `temporal workflow list --query "PinganStatus = 'in_mediation' AND PinganArea = '肃宁县/梁家村镇'"`.
 * PinganArea holds the case's area and each enclosing area, so one equality finds everything inside an area.
 */
export const SA = {
  kind: defineSearchAttributeKey('PinganKind', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('PinganStatus', SearchAttributeType.KEYWORD),
  level: defineSearchAttributeKey('PinganLevel', SearchAttributeType.KEYWORD),
  area: defineSearchAttributeKey('PinganArea', SearchAttributeType.KEYWORD_LIST),
  category: defineSearchAttributeKey('PinganCategory', SearchAttributeType.KEYWORD),
  nextDeadline: defineSearchAttributeKey('PinganNextDeadline', SearchAttributeType.DATETIME),
  overdue: defineSearchAttributeKey('PinganOverdue', SearchAttributeType.BOOL),
} as const;

/**
 * How a case publishes its search attributes (SEARCH_ATTRIBUTES, given to each case in its input):
 * - `full` (the default): every attribute at the opening and again at every transition, so that status, level, next
 *   deadline and overdue filter in the Temporal UI and CLI as in the register;
 * - `opening`: only the attributes a case never changes (`OPENING_ATTRIBUTES`: kind, area, category), once, when it
 *   opens. A transition then costs the Temporal server no visibility write (bench/server-profile.ts: 2.2 ms of its CPU
 *   per staff action on the dev server); status, deadlines and overdue are read from the register, the console and
 *   /metrics.
 */
export const SEARCH_ATTRIBUTE_MODES = ['full', 'opening'] as const;
export type SearchAttributeMode = (typeof SEARCH_ATTRIBUTE_MODES)[number];
export const OPENING_ATTRIBUTES: readonly string[] = [SA.kind.name, SA.area.name, SA.category.name];

/** Name → type as the CLI's `--search-attribute Name=Type` and the operator service expect them. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: Record<string, 'Keyword' | 'KeywordList' | 'Datetime' | 'Bool'> = {
  PinganKind: 'Keyword',
  PinganStatus: 'Keyword',
  PinganLevel: 'Keyword',
  PinganArea: 'KeywordList',
  PinganCategory: 'Keyword',
  PinganNextDeadline: 'Datetime',
  PinganOverdue: 'Bool',
};

/** "a/b/c" → ["a", "a/b", "a/b/c"] */
export function areaPrefixes(area: string): string[] {
  const parts = area.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}
