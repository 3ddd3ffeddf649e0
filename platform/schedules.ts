import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Policy } from '../domain/policy';
import type { MeetingSettings } from '../workflows/meeting';
import type { Db } from './db';
import type { Logger } from './logger';

const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;

/**
 * The weekly dispatch meeting (信访稳定集中办公会议) is a county's meeting: one Temporal Schedule per county, each
 * starting a meeting whose agenda, minutes and directions cover that county only.
 *
 * Which counties: those with petitions. A county's schedule is created when the first petition of that county is
 * registered (the API ensures it, once per process), so a county never has an open petition without its meeting, and
 * counties without petitions have nothing to meet about. At start-up the existing county schedules are brought up to
 * date with the policy; the single county-blind schedule of earlier versions is removed, and the counties with open
 * petitions get theirs.
 */
/** The single county-blind schedule of earlier versions (removed at start-up). */
export function legacyMeetingScheduleId(taskQueue: string): string {
  return baseId(taskQueue);
}

function baseId(taskQueue: string): string {
  return taskQueue === 'pingan' ? 'pingan-weekly-dispatch-meeting' : `pingan-weekly-dispatch-meeting-${taskQueue}`;
}

/** `pingan-weekly-dispatch-meeting:肃宁县` (other task queues carry their name, as before). */
export function meetingScheduleId(taskQueue: string, county: string): string {
  return `${baseId(taskQueue)}:${county}`;
}

/** Meeting ids of a county start with this; the schedule appends the time it fires, `POST /meetings` its own. */
export function meetingIdPrefix(taskQueue: string, county: string): string {
  return `MTG-${taskQueue}-${county}`;
}

export function meetingSettings(policy: Policy, county: string): MeetingSettings {
  const cfg = policy.petition!;
  return {
    county,
    chair: cfg.meeting.value.chair,
    leadingGroup: cfg.leadingGroup.value.map((g) => g.email),
    minutesWithin: cfg.meeting.value.minutesWithin,
    calendar: policy.calendar.value,
  };
}

function scheduleOptions(taskQueue: string, policy: Policy, county: string): ScheduleOptions {
  const m = policy.petition!.meeting.value;
  return {
    scheduleId: meetingScheduleId(taskQueue, county),
    spec: { calendars: [{ dayOfWeek: DAYS[m.dayOfWeek - 1], hour: m.hour, minute: m.minute }], timezone: 'Asia/Shanghai' },
    action: {
      type: 'startWorkflow',
      workflowType: 'meetingWorkflow',
      workflowId: meetingIdPrefix(taskQueue, county),
      taskQueue,
      args: [meetingSettings(policy, county)],
    },
    policies: { overlap: 'ALLOW_ALL', catchupWindow: '1 day' },
    memo: { description: `${county} 信访稳定集中办公会议 (weekly dispatch meeting)`, county },
  };
}

/** Creates the county's schedule, or brings an existing one up to date with the policy. */
export async function ensureCountyMeetingSchedule(client: Client, taskQueue: string, policy: Policy, county: string, logger?: Logger): Promise<string> {
  const options = scheduleOptions(taskQueue, policy, county);
  try {
    await client.schedule.create(options);
    const m = policy.petition!.meeting.value;
    logger?.info({ scheduleId: options.scheduleId, county, day: DAYS[m.dayOfWeek - 1], at: `${m.hour}:${String(m.minute).padStart(2, '0')}` }, 'meeting schedule created');
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(options.scheduleId)
      .update((prev) => ({ ...prev, spec: options.spec, action: { ...prev.action, ...options.action } as typeof prev.action }));
  }
  return options.scheduleId;
}

/** For the API: ensures a county's schedule once per process (the first petition of a county creates it). */
export function countyScheduleEnsurer(client: Client, taskQueue: string, policy: Policy, logger?: Logger): (county: string) => Promise<void> {
  const done = new Set<string>();
  return async (county) => {
    if (done.has(county)) return;
    await ensureCountyMeetingSchedule(client, taskQueue, policy, county, logger);
    done.add(county);
  };
}

/**
 * At start-up: removes the county-blind schedule of earlier versions (creating the schedules of the counties with
 * open petitions in its place), and updates every county schedule of this task queue to the policy.
 */
export async function ensureMeetingSchedule(client: Client, taskQueue: string, policy: Policy, logger: Logger, db?: Db): Promise<string[]> {
  const counties = new Set<string>();
  try {
    await client.schedule.getHandle(baseId(taskQueue)).delete();
    logger.info({ scheduleId: baseId(taskQueue) }, 'county-blind meeting schedule removed; one schedule per county from now on');
    if (db) {
      const r = await db.query<{ county: string }>(
        `SELECT DISTINCT split_part(area, '/', 1) AS county FROM cases WHERE kind = 'petition' AND status <> 'closed'`,
      );
      for (const row of r.rows) counties.add(row.county);
    }
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  const prefix = `${baseId(taskQueue)}:`;
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith(prefix)) counties.add(s.scheduleId.slice(prefix.length));
  }
  const ids: string[] = [];
  for (const county of counties) ids.push(await ensureCountyMeetingSchedule(client, taskQueue, policy, county, logger));
  return ids;
}

export { ScheduleNotFoundError };
