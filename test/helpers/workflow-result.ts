// Waits for a workflow's result within a test's own budget; on timeout the error shows the last
// history events of the workflow and of every child it started, so a hang explains itself.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

function typeName(e: Event): string {
  // Each event carries one "<kind>EventAttributes" field: its name is the event type, readably.
  const attr = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]);
  return attr ? attr.replace(/EventAttributes$/, '') : `event type ${String(e.eventType)}`;
}

function describeEvent(e: Event): string {
  const t = e.eventTime?.seconds
    ? new Date(Number(e.eventTime.seconds) * 1000 + Math.round((e.eventTime.nanos ?? 0) / 1e6)).toISOString().slice(11, 23)
    : '';
  const failure = e.workflowTaskFailedEventAttributes?.failure?.message ?? e.activityTaskFailedEventAttributes?.failure?.message;
  const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
  const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
  const extra = [activity, signal, failure].filter(Boolean).join(' ');
  return `  ${String(e.eventId).padStart(5)} ${t} ${typeName(e)}${extra ? ` (${extra})` : ''}`;
}

/** The last `n` events of a workflow and of each child it started, as text. */
export async function lastEvents(client: Client, workflowId: string, n = 12): Promise<string> {
  const out: string[] = [];
  const history = await client.workflow
    .getHandle(workflowId)
    .fetchHistory()
    .catch((e: Error) => e);
  if (history instanceof Error) return `${workflowId}: history unavailable (${history.message})`;
  const events = history.events ?? [];
  out.push(`${workflowId} (${events.length} events, last ${Math.min(n, events.length)}):`, ...events.slice(-n).map(describeEvent));
  const children = events
    .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
    .filter((id): id is string => Boolean(id));
  for (const child of children) out.push(await lastEvents(client, child, n));
  return out.join('\n');
}

/** handle.result(), failing after `timeoutMs` with the workflow's last events. */
export async function resultWithin<T>(client: Client, handle: WorkflowHandle, timeoutMs = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void lastEvents(client, handle.workflowId).then(
        (events) => reject(new Error(`workflow ${handle.workflowId} did not finish within ${timeoutMs} ms\n${events}`)),
        (err: Error) => reject(new Error(`workflow ${handle.workflowId} did not finish within ${timeoutMs} ms (${err.message})`)),
      );
    }, timeoutMs);
  });
  try {
    return (await Promise.race([handle.result(), timeout])) as T;
  } finally {
    clearTimeout(timer);
  }
}

/** The user-metadata summaries on a workflow's scheduled activities and started timers (what the Web UI shows). */
export async function summariesOf(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.userMetadata?.summary?.data)
    .filter((d): d is Uint8Array => Boolean(d))
    .map((d) => JSON.parse(Buffer.from(d).toString('utf8')) as string);
}
