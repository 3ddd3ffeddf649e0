import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { percentiles } from './lib';

/**
 * Where the time of one update goes, step by step, read from the workflow's own history (the server's event times)
 * and the driver's clock around each request. The driver, the server and the workers run on one machine here, so the
 * two clocks are one. For each step the median over the sampled requests; medians of steps need not add up to the
 * median of the whole.
 *
 * Steps, in order:
 * - `request → task queued`: from the client's send until the update's workflow task is scheduled (Pingan: HTTP,
 *   token, access rule, the register read, the gRPC call; bare: the gRPC call);
 * - `workflow task N: waits` (scheduled → started: the server hands it to a worker's poll) and `workflow task N: runs`
 *   (started → completed: the worker's activation, and the server taking its commands);
 * - `activity: waits` and `activity: runs` (the same for the activity the update waits for: the register write, or
 *   bare's one row);
 * - `update done → answer`: from the update's completion until the client has the answer (Pingan: the register read
 *   and the HTTP answer).
 */
export type Timed = Map<string, [number, number]>;

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with the server's event times). */
const wallNow = () => performance.timeOrigin + performance.now();

/** Runs `fn` for the workflow `id` (or the one whose id `fn` answers), noting when it was sent and answered. */
export async function timed<T>(times: Timed, id: string | ((out: T) => string), fn: () => Promise<T>): Promise<T> {
  const sent = wallNow();
  const out = await fn();
  times.set(typeof id === 'string' ? id : id(out), [sent, wallNow()]);
  return out;
}

const T = temporal.api.enums.v1.EventType;
const KEPT = new Set([
  T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, T.EVENT_TYPE_WORKFLOW_TASK_STARTED, T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, T.EVENT_TYPE_ACTIVITY_TASK_STARTED, T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
  T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
]);

/** The steps of the last update in one workflow's history, in ms; undefined when the history has no completed update. */
async function stepsOf(client: Client, id: string, [sent, answered]: [number, number]): Promise<[string, number][] | undefined> {
  const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
  const at = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const accepted = events.map((e) => e.eventType).lastIndexOf(T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
  if (accepted < 0) return undefined;
  let first = accepted;
  while (first > 0 && events[first].eventType !== T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) first--;
  const kept = events.slice(first).filter((e) => KEPT.has(e.eventType ?? 0));
  const done = kept.findIndex((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
  if (done < 0) return undefined;
  const steps: [string, number][] = [['request → task queued', at(kept[0]) - sent]];
  let task = 0;
  for (let i = 1; i <= done; i++) {
    const [a, b] = [kept[i - 1].eventType, kept[i].eventType];
    const ms = at(kept[i]) - at(kept[i - 1]);
    if (a === T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED && b === T.EVENT_TYPE_WORKFLOW_TASK_STARTED) steps.push([`workflow task ${++task}: waits`, ms]);
    else if (a === T.EVENT_TYPE_WORKFLOW_TASK_STARTED && b === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) steps.push([`workflow task ${task}: runs`, ms]);
    else if (a === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && b === T.EVENT_TYPE_ACTIVITY_TASK_STARTED) steps.push(['activity: waits', ms]);
    else if (a === T.EVENT_TYPE_ACTIVITY_TASK_STARTED && b === T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) steps.push(['activity: runs', ms]);
  }
  steps.push(['update done → answer', answered - at(kept[done])]);
  return steps;
}

/** The median of each step on each side, over at most `sample` requests of each. */
export async function anatomy(client: Client, sides: { pingan: Timed; bare: Timed }, sample = 100) {
  const per = async (times: Timed) => {
    const by = new Map<string, number[]>();
    for (const [id, wall] of [...times].slice(0, sample)) {
      for (const [step, ms] of (await stepsOf(client, id, wall)) ?? []) (by.get(step) ?? by.set(step, []).get(step)!).push(ms);
    }
    return { sampled: Math.min(times.size, sample), steps: Object.fromEntries([...by].map(([k, v]) => [k, percentiles(v).p50])) };
  };
  const [pingan, bare] = [await per(sides.pingan), await per(sides.bare)];
  const names = [...new Set([...Object.keys(bare.steps), ...Object.keys(pingan.steps)])];
  const steps = Object.fromEntries(names.map((n) => [n, { pingan: pingan.steps[n] ?? null, bare: bare.steps[n] ?? null }]));
  return { sampled: { pingan: pingan.sampled, bare: bare.sampled }, p50ms: steps };
}

/** Table rows of an anatomy: each step's p50 on each side and the difference. */
export function anatomyRows(a: Awaited<ReturnType<typeof anatomy>>, width: number): (string | number)[][] {
  const pad = (row: (string | number)[]) => [...row, ...Array(Math.max(0, width - row.length)).fill('')];
  return Object.entries(a.p50ms).map(([step, { pingan, bare }]) =>
    pad([`  p50 ms of step: ${step}`, '', pingan ?? '–', bare ?? '–', pingan !== null && bare !== null ? `${pingan - bare > 0 ? '+' : ''}${Math.round((pingan - bare) * 10) / 10}` : '']),
  );
}
