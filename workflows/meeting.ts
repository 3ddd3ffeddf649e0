import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineUpdate,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActorRef } from '../domain/actors';
import { periodEnd, type Duration, type WorkCalendar } from '../domain/calendar';
import type { Agenda, MeetingDirection, NotifyInput } from '../domain/ports';
import { SA } from '../domain/search-attributes';
import { toShanghaiIso } from '../domain/time';
import { mailOffUpdatePath, startMailroom } from './mailroom';
import { weeklyReview } from './messages';
import { acts } from './shared';

/**
 * The weekly dispatch meeting (信访稳定集中办公会议), started by a Temporal Schedule: it builds the agenda from the
 * register, mails it to the chair and the five-person group, waits for the minutes, sends each direction to its
 * petition as a weekly review signal, and flags to the group every agenda item left without a direction or overdue.
 */
export interface MeetingSettings {
  /** The county whose meeting this is: its agenda, minutes and directions cover that county only. Absent in meetings
   *  started before meetings were per county. */
  county?: string;
  chair: { name: string; email: string };
  leadingGroup: string[];
  /** How long after the meeting the minutes may come, counted as the law counts periods with `calendar`. */
  minutesWithin?: Duration;
  calendar?: WorkCalendar;
  /** The same as a fixed span, in meetings started before periods were counted by law. */
  minutesWithinMs?: number;
}

export interface MinutesInput {
  actor: ActorRef;
  chair: string;
  attendees: string[];
  directions: MeetingDirection[];
}

export interface MeetingRecord {
  meetingId: string;
  status: 'preparing' | 'agenda_sent' | 'minutes_recorded' | 'closed_without_minutes';
  agenda: Agenda | null;
  minutes: MinutesInput | null;
  flagged: { petitionId: string; reason: 'no_direction' | 'overdue' | 'petition_closed' }[];
}

export const meetingState = defineQuery<MeetingRecord>('meetingState');
export const recordMinutes = defineUpdate<MeetingRecord, [MinutesInput]>('recordMinutes');


/** Patch: the meeting's notices are delivered by the worker's outbox relay (worker/relay.ts), not by a delivery
 *  activity of the meeting (its mailroom stays idle). Asked at each notice, before the older mail patch. */
export const MEETING_OUTBOX_RELAY = 'meeting-outbox-relay';

export async function meetingWorkflow(settings: MeetingSettings): Promise<MeetingRecord> {
  const meetingId = workflowInfo().workflowId;
  const heldOn = Date.now();
  const record: MeetingRecord = { meetingId, status: 'preparing', agenda: null, minutes: null, flagged: [] };
  let finished = false;
  /** No more minutes are taken once the wait for them has ended. */
  let closed = false;
  const mail = startMailroom(meetingId);
  /** Into the outbox for the worker's relay; in meetings from before, on to the mailroom, or rendered and sent in line. */
  const send = async (notice: NotifyInput) => {
    if (patched(MEETING_OUTBOX_RELAY)) await acts.enqueueNotice({ ...notice, relay: true });
    else if (mailOffUpdatePath()) await mail.enqueue(notice);
    else await acts.notify(notice);
  };

  setHandler(meetingState, () => record);
  setHandler(
    recordMinutes,
    async (m) => {
      record.minutes = m;
      await condition(() => finished);
      return record;
    },
    {
      validator: (m) => {
        const refuse = (message: string) => {
          throw ApplicationFailure.create({ type: 'InvalidTransition', message, nonRetryable: true });
        };
        if (!record.agenda) refuse('议程尚未生成 (the agenda is not ready yet)');
        if (record.minutes) refuse('本次会议纪要已登记 (the minutes of this meeting are recorded)');
        if (closed) refuse('会议纪要登记期限已过 (the time for this meeting\'s minutes has passed)');
        const onAgenda = new Set(record.agenda!.items.map((i) => i.id));
        const seen = new Set<string>();
        for (const d of m.directions) {
          if (!onAgenda.has(d.petitionId)) refuse(`${d.petitionId} 不在本次会议议程中 (not on this meeting's agenda)`);
          if (seen.has(d.petitionId)) refuse(`${d.petitionId} 有重复的指示 (two directions for one petition)`);
          seen.add(d.petitionId);
        }
      },
    },
  );

  upsertSearchAttributes([{ key: SA.kind, value: 'meeting' }, { key: SA.status, value: 'preparing' }]);
  const agenda = await acts.buildAgenda({ meetingId, heldOn, chair: settings.chair.name, county: settings.county });
  record.agenda = agenda;
  await send({
    key: `${meetingId}:agenda`,
    template: 'meeting/agenda',
    recipients: { kind: 'emails', emails: [settings.chair.email, ...settings.leadingGroup] },
    data: { agenda, heldOn: toShanghaiIso(heldOn) },
  });
  record.status = 'agenda_sent';
  upsertSearchAttributes([{ key: SA.status, value: 'agenda_sent' }]);

  const minutesBy = settings.minutesWithin
    ? periodEnd(heldOn, settings.minutesWithin, settings.calendar!).at - Date.now()
    : settings.minutesWithinMs!;
  const got = await condition(() => record.minutes !== null, Math.max(minutesBy, 1));
  closed = true;
  const directed = new Set<string>();
  for (const d of record.minutes?.directions ?? []) {
    try {
      await getExternalWorkflowHandle(d.petitionId).signal(weeklyReview, {
        meetingId, direction: d.direction, note: d.note, actor: record.minutes!.actor,
      });
      directed.add(d.petitionId);
    } catch {
      record.flagged.push({ petitionId: d.petitionId, reason: 'petition_closed' });
    }
  }
  for (const item of agenda.items) {
    if (!directed.has(item.id) && !record.flagged.some((f) => f.petitionId === item.id)) {
      record.flagged.push({ petitionId: item.id, reason: 'no_direction' });
    } else if (item.overdue) {
      record.flagged.push({ petitionId: item.id, reason: 'overdue' });
    }
  }
  if (record.flagged.length > 0) {
    await send({
      key: `${meetingId}:flagged`,
      template: 'meeting/flagged',
      recipients: { kind: 'emails', emails: settings.leadingGroup },
      data: {
        agenda,
        flagged: record.flagged.map((f) => ({ ...f, item: agenda.items.find((i) => i.id === f.petitionId) })),
        minutesRecorded: got,
      },
    });
  }
  await acts.recordMinutes({
    meetingId,
    chair: record.minutes?.chair ?? settings.chair.name,
    attendees: record.minutes?.attendees ?? [],
    directions: record.minutes?.directions ?? [],
    flagged: record.flagged,
    recordedBy: record.minutes?.actor.id ?? 'system',
  });
  record.status = got ? 'minutes_recorded' : 'closed_without_minutes';
  upsertSearchAttributes([{ key: SA.status, value: record.status }]);
  finished = true;
  // The minutes' update answers, and every notice is delivered or given up, before the meeting completes.
  await condition(() => allHandlersFinished() && mail.idle());
  return record;
}
