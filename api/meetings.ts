import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { actorRef, type Actor, type Role } from '../domain/actors';
import { areaSegments } from '../domain/areas';
import type { Policy } from '../domain/policy';
import { z } from 'zod';
import { toShanghaiIso } from '../domain/time';
import type { Db } from '../platform/db';
import { meetingIdPrefix, meetingScheduleId, meetingSettings, ScheduleNotFoundError } from '../platform/schedules';
import { meetingState, meetingWorkflow, recordMinutes } from '../workflows/meeting';
import { allow, rolesOf } from './access';
import { mayActIn } from './auth';
import { badRequest, conflict, forbidden, fromTemporal, notFound } from './errors';
import { json, reply, route, STAFF_ERRORS, type Route } from './route';
import { ErrorSchema } from './schemas';
import { CallMeetingBody, MeetingQuery, MinutesBody } from './petition-schemas';

export interface MeetingDeps {
  client: Client;
  db: Db;
  policy: Policy;
  taskQueue: string;
}

export interface MeetingRow {
  id: string;
  county: string | null;
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
  id: m.id, county: m.county, heldOn: toShanghaiIso(m.held_on), chair: m.chair, attendees: m.attendees, status: m.status,
  agenda: m.agenda, directions: m.directions, flagged: m.flagged, recordedBy: m.recorded_by,
});


/**
 * A meeting is its county's: members whose area contains the county (county-level members, the administrator) read
 * and act on it. Meetings recorded before meetings were per county listed every county: the administrator's alone.
 */
function requireCounty(actor: Actor, county: string | null, what: string): void {
  if (county === null ? actor.area !== '*' : !mayActIn(actor, county)) {
    throw forbidden(`${what} of ${county ?? 'every county'} lies outside your area ${actor.area}`);
  }
}

/** The county asked for, or the member's own. */
function countyFor(actor: Actor, asked: string | undefined, what: string): string {
  const county = asked ?? (actor.area === '*' ? undefined : areaSegments(actor.area)[0]);
  if (!county) throw badRequest('county: name the county (the administrator has none of its own)');
  requireCounty(actor, county, what);
  return county;
}

/** From the access table (api/access.ts). */
export const MEETING_READERS: Role[] = rolesOf('GET /api/v1/meetings');
export const MINUTES_TAKERS: Role[] = rolesOf('POST /api/v1/meetings/{id}/minutes');

/** Another county's meeting answers 404 word for word as an unknown one does (api/register.ts findVisible). */
export async function findMeeting(db: Db, actor: Actor, id: string): Promise<MeetingRow> {
  allow(actor, 'GET /api/v1/meetings/{id}');
  const r = await db.query<MeetingRow>('SELECT * FROM meetings WHERE id = $1', [id]);
  const row = r.rows[0];
  const mayRead = row && (row.county === null ? actor.area === '*' : mayActIn(actor, row.county));
  if (!mayRead) throw notFound(`meeting ${id} does not exist (or its agenda is not built yet)`);
  return row;
}

/** The member's county's meetings (or the one asked for), newest first. */
export async function listMeetings(db: Db, actor: Actor, asked?: string): Promise<MeetingRow[]> {
  allow(actor, 'GET /api/v1/meetings');
  const county = actor.area === '*' && !asked ? null : countyFor(actor, asked, 'the meetings');
  const r = await db.query<MeetingRow>('SELECT * FROM meetings WHERE ($1::text IS NULL OR county = $1) ORDER BY held_on DESC LIMIT 100', [county]);
  return r.rows;
}

/** Minutes with one direction per petition, sent to the meeting's workflow (the API's and the console's one path). */
export async function recordMeetingMinutes(
  { client, db }: { client: Client; db: Db },
  actor: Actor,
  id: string,
  body: z.infer<typeof MinutesBody>,
): Promise<unknown> {
  allow(actor, 'POST /api/v1/meetings/{id}/minutes');
  const row = await findMeeting(db, actor, id);
  // A county's meeting directs that county's petitions only.
  const ids = body.directions.map((d) => d.petitionId);
  const areas = await db.query<{ id: string; area: string }>(`SELECT id, area FROM cases WHERE kind = 'petition' AND id = ANY($1::text[])`, [ids]);
  for (const p of areas.rows) {
    if (row.county !== null && areaSegments(p.area)[0] !== row.county) {
      throw forbidden(`${p.id} 不属于${row.county}，本次会议不能对其作出指示 (petition ${p.id} lies outside the meeting's county ${row.county})`);
    }
  }
  try {
    return await client.workflow.getHandle(id).executeUpdate(recordMinutes, { args: [{ ...body, actor: actorRef(actor) }] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw conflict(`meeting ${id} is closed; its minutes can no longer be recorded`);
    throw fromTemporal(err, id);
  }
}

/** Holds a county's meeting now (the API's POST /meetings and the console's button): the workflow builds and sends the agenda. */
export async function callMeeting(
  { client, policy, taskQueue }: Pick<MeetingDeps, 'client' | 'policy' | 'taskQueue'>,
  actor: Actor,
  asked?: string,
): Promise<{ id: string; county: string }> {
  allow(actor, 'POST /api/v1/meetings');
  const county = countyFor(actor, asked, 'calling a meeting');
  const id = `${meetingIdPrefix(taskQueue, county)}-${toShanghaiIso(Date.now()).replace(/[^0-9]/g, '').slice(0, 14)}`;
  try {
    await client.workflow.start(meetingWorkflow, { workflowId: id, taskQueue, args: [meetingSettings(policy, county)] });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw conflict(`${county} 的会议 ${id} 刚刚召开 (meeting ${id} was called this second)`);
    throw err;
  }
  return { id, county };
}

const meetingParams = z.object({ id: z.string() });

/** /api/v1/meetings, the weekly dispatch meeting, one per county: each route declared once, served and documented here. */
export const MEETING_ROUTES: Route[] = [
  route({
    method: 'get', path: '/api/v1/meetings', summary: "A county's meeting records (date, chair, attendees, agenda, directions); default: your county",
    query: MeetingQuery, responses: { 200: { description: 'meetings' }, ...STAFF_ERRORS },
    handle: async ({ deps: { db }, actor, query }) => ({ items: (await listMeetings(db, actor, query.county)).map(view) }),
  }),
  route({
    method: 'get', path: '/api/v1/meetings/schedule', summary: "A county's weekly schedule and its next runs; default: your county",
    query: MeetingQuery,
    responses: { 200: { description: 'schedule' }, 404: json(ErrorSchema, 'the county has no petitions yet, so no schedule'), ...STAFF_ERRORS },
    async handle({ deps: { client, taskQueue }, actor, query }) {
      const county = countyFor(actor, query.county, 'the meeting schedule');
      let d;
      try {
        d = await client.schedule.getHandle(meetingScheduleId(taskQueue, county)).describe();
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) throw notFound(`${county} has no meeting schedule yet: it is created with the county's first petition`);
        throw err;
      }
      return {
        scheduleId: d.scheduleId,
        county,
        calendars: d.spec.calendars,
        timezone: d.spec.timezone,
        nextMeetings: d.info.nextActionTimes.slice(0, 3).map((t) => toShanghaiIso(t)),
        recentMeetings: d.info.recentActions.map((a) => ({ at: toShanghaiIso(a.takenAt), meetingId: a.action.workflow.workflowId })),
      };
    },
  }),
  /** Holds a county's meeting now (outside the weekly schedule): builds and sends the agenda; returns the meeting id. */
  route({
    method: 'post', path: '/api/v1/meetings', summary: "Hold a county's meeting now (the weekly one runs by schedule); default: your county",
    body: CallMeetingBody,
    responses: { 202: { description: 'meeting started' }, 409: json(ErrorSchema, 'a meeting of the county was called this second'), ...STAFF_ERRORS },
    async handle({ deps, actor, body }) {
      const { id, county } = await callMeeting(deps, actor, body.county);
      return reply(202, { id, county }, `/api/v1/meetings/${encodeURIComponent(id)}`);
    },
  }),
  route({
    method: 'get', path: '/api/v1/meetings/{id}', summary: 'A meeting: agenda, minutes, flags', params: meetingParams,
    responses: { 200: { description: 'meeting' }, 404: json(ErrorSchema, 'no such meeting'), ...STAFF_ERRORS },
    async handle({ deps: { client, db }, actor, params }) {
      const row = await findMeeting(db, actor, params.id);
      let live: unknown = null;
      try {
        live = await client.workflow.getHandle(params.id).query(meetingState);
      } catch {
        // a finished meeting whose history is gone answers from the record alone
      }
      return { ...view(row), live };
    },
  }),
  route({
    method: 'post', path: '/api/v1/meetings/{id}/minutes', summary: 'Record the minutes: a direction per petition', params: meetingParams, body: MinutesBody,
    responses: { 200: { description: 'directions sent to the petitions; what got none is flagged' }, 409: json(ErrorSchema, 'not on the agenda, or already recorded'), ...STAFF_ERRORS },
    handle: ({ deps, actor, params, body }) => recordMeetingMinutes(deps, actor, params.id, body),
  }),
];
