import type { MediationLevel } from './policy';

export const ROLES = [
  'grid_worker',
  'mediator',
  'supervisor',
  'petition_officer',
  'leader',
  'village_clerk',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/** Who did something: kept in every timeline and audit event. */
export interface ActorRef {
  id: string;
  name: string;
  role: Role | 'system';
}

/** An authenticated staff member, as the API knows it. */
export interface Actor extends ActorRef {
  role: Role;
  email: string;
  area: string;
  /** For mediators: the level they mediate at, and at county their committee. */
  level?: MediationLevel;
  committee?: string;
}

export const SYSTEM_ACTOR: ActorRef = { id: 'system', name: '系统', role: 'system' };

export function actorRef(a: ActorRef): ActorRef {
  return { id: a.id, name: a.name, role: a.role };
}
