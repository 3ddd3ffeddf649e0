import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Events and bytes of a workflow's history so far, in total and by event type (what a case costs Temporal to store). */
export async function historyProfile(client: Client, workflowId: string) {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  const byType: Record<string, { events: number; bytes: number }> = {};
  let bytes = 0;
  for (const e of h.events ?? []) {
    const size = temporal.api.history.v1.HistoryEvent.encode(e as temporal.api.history.v1.IHistoryEvent).finish().length;
    const name = (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    byType[name] ??= { events: 0, bytes: 0 };
    byType[name].events += 1;
    byType[name].bytes += size;
    bytes += size;
  }
  return { events: h.events?.length ?? 0, bytes, byType };
}
