import type { MediationCase, TimelineEvent } from './mediation';
import type { Role } from './actors';
import type { MediationLevel } from './policy';
import type { RecordVillageInput, VillageActivities } from './village';

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
  /** Delivered by the worker's outbox relay (worker/relay.ts), not by the workflow's mailroom. */
  relay?: boolean;
}

/**
 * A notice written to the mail outbox in the same transaction as the transition that causes it (register, audit and
 * outbox commit together); its text is rendered there from the recorded case and event.
 */
export interface OutboxNotice {
  key: string;
  template: string;
  recipients: Recipients;
  /** Delivered by the worker's outbox relay (worker/relay.ts; lean runs), not by its workflow's mailroom. */
  relay?: boolean;
}

/** A recording activity's input may carry the notices of its transition. */
export interface Outboxed {
  outbox?: OutboxNotice[];
}

export interface RecordTransitionInput extends Outboxed {
  /** The case after the transition; without its timeline when the transition is compact (the register appends `event`). */
  snapshot: MediationCase | Omit<MediationCase, 'timeline'>;
  event: TimelineEvent;
}

/** What one delivery attempt of a notice did, per recipient row of the outbox. */
export interface DeliverResult {
  sent: number;
  /** Refused for good by the mail server (5xx) or an invalid address: marked `failed` with the reason, not retried. */
  failed: number;
  /** Already sent or failed before (a retried activity). */
  skipped: number;
}

/**
 * The outbox, off the staff's path: a notice is written (pending) while the transition is recorded, and delivered
 * afterwards by its own activity with bounded retries (workflows/mailroom.ts).
 */
export interface MailActivities {
  /** Writes a notice's rows (pending) to the outbox without sending; idempotent per (key, recipient). */
  enqueueNotice(input: NotifyInput): Promise<{ recipients: number }>;
  /** Sends the pending rows of a notice; a transient failure throws (retried), a permanent one marks the row failed. */
  deliverNotice(input: { key: string }): Promise<DeliverResult>;
  /** Marks the rows of a notice still pending as failed with the reason (its retry schedule ran out). */
  giveUpNotice(input: { key: string; reason: string }): Promise<{ failed: number }>;
}

export interface ProcessActivities extends PetitionActivities, Omit<VillageActivities, 'recordVillageMatter'>, MailActivities {
  recordMediation(input: RecordTransitionInput): Promise<void>;
  recordVillageMatter(input: RecordVillageInput & Outboxed): Promise<void>;
  /** Renders, writes and sends a notice in one activity: the path of notices sent before the mail left updates. */
  notify(input: NotifyInput): Promise<{ sent: number; skipped: number }>;
}

/** Petitions and the weekly dispatch meeting (see domain/petition.ts, workflows/petition.ts, workflows/meeting.ts). */
export interface RecordPetitionInput extends Outboxed {
  /** The petition after the transition; without its timeline when the transition is compact (the register appends `event`). */
  snapshot: import('./petition').Petition | Omit<import('./petition').Petition, 'timeline'>;
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
