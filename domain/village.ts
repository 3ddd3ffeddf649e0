/**
 * Village decisions under 四议两公开 (DOMAIN.md §3) as pure rules, in the files of domain/village/: the names
 * (labels.ts), quorum, majority and notice before a meeting (quorum.ts), the matter and its actions (types.ts), the
 * procedure (rules.ts) and what the board and the mails show (views.ts). Every import goes through this file.
 */
export { InvalidTransition, NotPermitted } from './errors';
export type { VillageBody } from './village-policy';
export * from './village/labels';
export * from './village/quorum';
export * from './village/types';
export * from './village/rules';
export * from './village/views';
