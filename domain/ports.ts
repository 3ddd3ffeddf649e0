import type { MediationCase, TimelineEvent } from './mediation';
import type { MediationLevel } from './policy';

/**
 * The side effects workflows may ask for. Types only: activities/ implements them, workflows call them through
 * proxyActivities. Every one is idempotent: a retry neither duplicates a row nor sends a mail twice.
 */
export type Recipients =
  /** The mediators responsible at a level for an area (village mediators of the village, and so on). */
  | { kind: 'mediators'; area: string; level: MediationLevel; committee?: string | null }
  | { kind: 'supervisors'; area: string }
  /** Staff members by id (the mediators assigned to a case). */
  | { kind: 'users'; ids: string[] }
  | { kind: 'emails'; emails: string[] };

export interface NotifyInput {
  /** Unique per notice: the same key is sent once, whatever the retries. */
  key: string;
  template: string;
  recipients: Recipients;
  data: Record<string, unknown>;
}

export interface RecordTransitionInput {
  snapshot: MediationCase;
  event: TimelineEvent;
}

export interface ProcessActivities {
  recordMediation(input: RecordTransitionInput): Promise<void>;
  notify(input: NotifyInput): Promise<{ sent: number; skipped: number }>;
}
