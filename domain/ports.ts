import type { MediationCase, TimelineEvent } from './mediation';
import type { Role } from './actors';
import type { MediationLevel } from './policy';
import type { VillageActivities } from './village';

/**
 * The side effects workflows may ask for. Types only: activities/ implements them, workflows call them through
 * proxyActivities. Every one is idempotent: a retry neither duplicates a row nor sends a mail twice.
 */
export type Recipients =
  /** The mediators responsible at a level for an area (village mediators of the village, and so on). */
  | { kind: 'mediators'; area: string; level: MediationLevel; committee?: string | null }
  | { kind: 'supervisors'; area: string }
  /** Staff members of a role whose area contains `area` (the petition officers of a county, say). */
  | { kind: 'staff'; role: Role; area: string }
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

export interface ProcessActivities extends PetitionActivities, VillageActivities {
  recordMediation(input: RecordTransitionInput): Promise<void>;
  notify(input: NotifyInput): Promise<{ sent: number; skipped: number }>;
}

/** Petitions and the weekly dispatch meeting (see domain/petition.ts, workflows/petition.ts, workflows/meeting.ts). */
export interface RecordPetitionInput {
  snapshot: import('./petition').Petition;
  event: import('./petition').PetitionEvent;
}

export interface ArchiveDocumentInput {
  /** Deterministic: archiving the same document twice keeps one row. */
  id: string;
  caseId: string;
  kind: string;
  template: string;
  data: Record<string, unknown>;
}

export interface AgendaItem {
  id: string;
  subject: string;
  petitioner: string;
  area: string;
  status: string;
  statusName: string;
  leader: string | null;
  nextDeadline: string | null;
  dueWithinWeek: boolean;
  overdue: boolean;
  noProgressSinceLastMeeting: boolean;
}

export interface Agenda {
  meetingId: string;
  /** The county whose open petitions it lists (absent on agendas built before meetings were per county). */
  county?: string | null;
  heldOn: string;
  previousMeeting: string | null;
  items: AgendaItem[];
}

export interface MeetingDirection {
  petitionId: string;
  direction: import('./petition').Direction;
  note: string;
}

export interface PetitionActivities {
  recordPetition(input: RecordPetitionInput): Promise<void>;
  archiveDocument(input: ArchiveDocumentInput): Promise<void>;
  /** Builds the agenda from the register and records the meeting (idempotent per meeting id). */
  buildAgenda(input: { meetingId: string; heldOn: number; chair: string; county?: string }): Promise<Agenda>;
  recordMinutes(input: {
    meetingId: string;
    chair: string;
    attendees: string[];
    directions: MeetingDirection[];
    flagged: { petitionId: string; reason: string }[];
    recordedBy: string;
  }): Promise<void>;
}
