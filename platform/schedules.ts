import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';
import { addDuration } from '../domain/calendar';
import type { Policy } from '../domain/policy';
import type { MeetingSettings } from '../workflows/meeting';
import type { Logger } from './logger';

const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;

export function meetingScheduleId(taskQueue: string): string {
  return taskQueue === 'pingan' ? 'pingan-weekly-dispatch-meeting' : `pingan-weekly-dispatch-meeting-${taskQueue}`;
}

/**
 * The weekly dispatch meeting as a Temporal Schedule (day and time from the county's policy, Asia/Shanghai).
 * Created at start-up; when it exists, its time and settings are brought up to date with the policy.
 */
export async function ensureMeetingSchedule(client: Client, taskQueue: string, policy: Policy, logger: Logger): Promise<string> {
  const cfg = policy.petition!;
  const m = cfg.meeting.value;
  const scheduleId = meetingScheduleId(taskQueue);
  const settings: MeetingSettings = {
    chair: m.chair,
    leadingGroup: cfg.leadingGroup.value.map((g) => g.email),
    minutesWithinMs: addDuration(0, m.minutesWithin, policy.calendar.value),
  };
  const options: ScheduleOptions = {
    scheduleId,
    spec: { calendars: [{ dayOfWeek: DAYS[m.dayOfWeek - 1], hour: m.hour, minute: m.minute }], timezone: 'Asia/Shanghai' },
    action: { type: 'startWorkflow', workflowType: 'meetingWorkflow', workflowId: `MTG-${taskQueue}`, taskQueue, args: [settings] },
    policies: { overlap: 'ALLOW_ALL', catchupWindow: '1 day' },
    memo: { description: '信访稳定集中办公会议 (weekly dispatch meeting)' },
  };
  try {
    await client.schedule.create(options);
    logger.info({ scheduleId, day: DAYS[m.dayOfWeek - 1], at: `${m.hour}:${String(m.minute).padStart(2, '0')}` }, 'meeting schedule created');
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec: options.spec, action: { ...prev.action, ...options.action } as typeof prev.action }));
  }
  return scheduleId;
}

export { ScheduleNotFoundError };
