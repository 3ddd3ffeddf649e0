import type { ActorRef } from '../actors';
import type { Recipients } from '../ports';
import type { Policy } from '../policy';
import type { VillageBody } from '../village-policy';
import type { DeliberationStep, MatterType, VillageStatus } from './labels';
import type { Attendance, MeetingOutcome, Votes } from './quorum';

// ---------------------------------------------------------------------------------------------------------------
// The matter

/** Who did something. Villagers filing objections on the public board act as `public`. */
export interface VillageActorRef {
  id: string;
  name: string;
  role: ActorRef['role'] | 'public';
}

/** The staff member acting, with the area the rules check. */
export interface VillageStaff extends ActorRef {
  area: string;
}

export interface MeetingInput extends Attendance, Votes {
  body: VillageBody;
  /** When the meeting was held (ISO 8601). */
  heldAt: string;
  /** When the meeting was announced (ISO 8601); required for the bodies the policy gives a notice rule. */
  noticeGivenAt?: string;
  minutes: string;
}

export interface MeetingRecord extends MeetingInput {
  seq: number;
  step: DeliberationStep;
  /** 1 for the first proposal; one more every time a rejected matter returns to the proposal step. */
  round: number;
  bodyName: string;
  rule: string;
  quorum: boolean;
  passed: boolean;
  outcome: MeetingOutcome;
  recordedAt: string;
  recordedBy: VillageActorRef;
}

export type NoticeKind = 'resolution' | 'result';

export interface PublicNotice {
  id: string;
  kind: NoticeKind;
  startsAt: string;
  endsAt: string;
  ended: boolean;
}

export interface Objection {
  id: string;
  noticeId: string;
  filedAt: string;
  /** As the villager gave them; contact details are for the village's answer, never shown on the board. */
  name: string | null;
  email: string | null;
  phone: string | null;
  text: string;
  answer: { text: string; at: string; by: VillageActorRef } | null;
}

export interface VillageEvent {
  seq: number;
  at: string;
  actor: VillageActorRef;
  action: string;
  from: { status: VillageStatus } | null;
  to: { status: VillageStatus };
  details?: Record<string, unknown>;
}

export interface VillageDeadlines {
  /** The current deliberation step must be held by then; past it the clerk is reminded. */
  stepDeadline?: string;
  /** The resolution must be reached by then; past it the township is alerted. */
  procedureDeadline?: string;
  /** The notice on the board ends then. */
  noticeEndsAt?: string;
}

export interface VillageMatter {
  /** Deadlines counted in a year whose holidays the calendar lacks (weekends only): provisional. */
  provisional?: string[];
  id: string;
  kind: 'village_decision';
  policyVersion: string;
  type: MatterType;
  typeName: string;
  title: string;
  description: string;
  /** Yuan, where money is involved. */
  amount: number | null;
  attachments: string[];
  /** The village: county/township/village. */
  area: string;
  status: VillageStatus;
  round: number;
  stepEnteredAt: string;
  openedAt: string;
  openedBy: VillageActorRef;
  meetings: MeetingRecord[];
  /** The step at which a valid meeting did not pass (status `rejected`). */
  rejectedAt: { step: DeliberationStep; meetingSeq: number } | null;
  notices: PublicNotice[];
  objections: Objection[];
  progress: { at: string; note: string; by: VillageActorRef }[];
  result: { summary: string; at: string; by: VillageActorRef } | null;
  outcome: 'completed' | 'ended_after_rejection' | null;
  deadlines: VillageDeadlines;
  /** The procedure limit has passed and the township was alerted. */
  overdue: boolean;
  remindersSent: string[];
  finished: boolean;
  timeline: VillageEvent[];
  version: number;
}

export interface OpenVillageInput {
  matterId: string;
  type: string;
  title: string;
  description: string;
  amount?: number | null;
  attachments?: string[];
  area: string;
  openedBy: VillageStaff;
  openedAt: number;
  policy: Policy;
}

export type VillageStaffAction =
  | { type: 'recordMeeting'; actor: VillageStaff; meeting: MeetingInput }
  | { type: 'decideAfterRejection'; actor: VillageStaff; choice: 'end' | 'return'; reason: string }
  | { type: 'answerObjection'; actor: VillageStaff; objectionId: string; answer: string }
  | { type: 'recordProgress'; actor: VillageStaff; note: string }
  | { type: 'completeImplementation'; actor: VillageStaff; result: string };

export type VillagePublicAction = {
  type: 'fileObjection';
  actor: VillageActorRef;
  objection: { id: string; noticeId: string; name?: string; email?: string; phone?: string; text: string };
};

export type VillageSystemAction =
  | { type: 'stepReminder'; actor: ActorRef }
  | { type: 'townshipAlert'; actor: ActorRef }
  | { type: 'endNotice'; actor: ActorRef };

export type VillageAction = VillageStaffAction | VillagePublicAction | VillageSystemAction;

export interface VillageNotice {
  template: string;
  recipients: Recipients;
}


/** The side effects the village workflow asks for (activities/village.ts implements them; idempotent). */
export interface RecordVillageInput {
  /** The matter after the transition; without its timeline when the transition is compact (the register appends `event`). */
  snapshot: VillageMatter | Omit<VillageMatter, 'timeline'>;
  event: VillageEvent;
}

export interface VillageActivities {
  /** The register row, the audit event, the public notices and the objections, in one transaction. */
  recordVillageMatter(input: RecordVillageInput): Promise<void>;
}
