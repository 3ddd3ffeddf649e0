import { Router } from 'express';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Policy } from '../domain/policy';
import { addDuration } from '../domain/calendar';
import { toShanghaiIso } from '../domain/time';
import type { Db } from '../platform/db';
import { meetingScheduleId } from '../platform/schedules';
import { meetingState, meetingWorkflow, recordMinutes, type MeetingSettings } from '../workflows/meeting';
import { actorOf, requireRole } from './auth';
import { conflict, fromTemporal, notFound } from './errors';
import { parse } from './mediations';
import { MinutesBody } from './petition-schemas';
import { actorRef } from '../domain/actors';

export interface MeetingDeps {
  client: Client;
  db: Db;
  policy: Policy;
  taskQueue: string;
}

interface MeetingRow {
  id: string;
  held_on: Date;
  chair: string;
  attendees: string[];
  agenda: unknown;
  directions: unknown;
  flagged: unknown;
  status: string;
  recorded_by: string | null;
}

const view = (m: MeetingRow) => ({
  id: m.id, heldOn: toShanghaiIso(m.held_on), chair: m.chair, attendees: m.attendees, status: m.status,
  agenda: m.agenda, directions: m.directions, flagged: m.flagged, recordedBy: m.recorded_by,
});

/** The weekly dispatch meeting: its schedule, agendas, minutes and records. */
export function meetingRoutes({ client, db, policy, taskQueue }: MeetingDeps): Router {
  const router = Router();
  const READERS = ['petition_officer', 'leader', 'supervisor', 'admin'] as const;

  router.get('/', async (req, res) => {
    requireRole(actorOf(req), [...READERS], 'meeting records');
    const r = await db.query<MeetingRow>('SELECT * FROM meetings ORDER BY held_on DESC LIMIT 100');
    res.json({ items: r.rows.map(view) });
  });

  router.get('/schedule', async (req, res) => {
    requireRole(actorOf(req), [...READERS], 'the meeting schedule');
    const d = await client.schedule.getHandle(meetingScheduleId(taskQueue)).describe();
    res.json({
      scheduleId: d.scheduleId,
      calendars: d.spec.calendars,
      timezone: d.spec.timezone,
      nextMeetings: d.info.nextActionTimes.slice(0, 3).map((t) => toShanghaiIso(t)),
      recentMeetings: d.info.recentActions.map((a) => ({ at: toShanghaiIso(a.takenAt), meetingId: a.action.workflow.workflowId })),
    });
  });

  /** Holds a meeting now (outside the weekly schedule): builds and sends the agenda; returns the meeting id. */
  router.post('/', async (req, res) => {
    requireRole(actorOf(req), ['petition_officer', 'leader', 'admin'], 'calling a meeting');
    const cfg = policy.petition!;
    const settings: MeetingSettings = {
      chair: cfg.meeting.value.chair,
      leadingGroup: cfg.leadingGroup.value.map((g) => g.email),
      minutesWithinMs: addDuration(0, cfg.meeting.value.minutesWithin, policy.calendar.value),
    };
    const id = `MTG-${taskQueue}-${toShanghaiIso(Date.now()).replace(/[^0-9]/g, '').slice(0, 14)}`;
    const handle = await client.workflow.start(meetingWorkflow, { workflowId: id, taskQueue, args: [settings] });
    res.status(202).location(`/api/v1/meetings/${id}`).json({ id: handle.workflowId });
  });

  router.get('/:id', async (req, res) => {
    requireRole(actorOf(req), [...READERS], 'meeting records');
    const r = await db.query<MeetingRow>('SELECT * FROM meetings WHERE id = $1', [req.params.id]);
    if (!r.rows[0]) throw notFound(`meeting ${req.params.id} does not exist (or its agenda is not built yet)`);
    let live: unknown = null;
    try {
      live = await client.workflow.getHandle(req.params.id).query(meetingState);
    } catch {
      // a finished meeting whose history is gone answers from the record alone
    }
    res.json({ ...view(r.rows[0]), live });
  });

  router.post('/:id/minutes', async (req, res) => {
    const actor = actorOf(req);
    requireRole(actor, ['petition_officer', 'leader'], 'recording minutes');
    const body = parse(MinutesBody, req.body);
    const exists = await db.query('SELECT 1 FROM meetings WHERE id = $1', [req.params.id]);
    if (!exists.rows[0]) throw notFound(`meeting ${req.params.id} does not exist`);
    try {
      res.json(await client.workflow.getHandle(req.params.id).executeUpdate(recordMinutes, { args: [{ ...body, actor: actorRef(actor) }] }));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw conflict(`meeting ${req.params.id} is closed; its minutes can no longer be recorded`);
      throw fromTemporal(err, req.params.id);
    }
  });

  return router;
}
