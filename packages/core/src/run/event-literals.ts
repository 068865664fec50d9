/**
 * The events a run records, made from drafts: stamped for the run, with seq 0 (the store numbers
 * them), a timestamp and a severity. One shape for every event (absent fields are undefined),
 * which keeps the paths that read them monomorphic.
 *
 * Two functions with the same literal, on purpose. V8 decides per object literal whether its
 * objects are made young or old at birth, from how many of them outlived a minor GC. A new run
 * records a `task.added` per task in bulk, and all of them live until its first commit; when they
 * came from the literal every later event comes from, V8 made every event of the process old at
 * birth, and a run's short-lived events piled up in the old generation until a full GC: about 350
 * bytes per task of peak memory at 100,000 tasks.
 */
import type { EventDraft, Severity, WeftEvent } from '@weft/spec'

export const SEVERITY: Partial<Record<EventDraft['type'], Severity>> = {
  'task.failed': 'error',
  'run.failed': 'error',
  'task.retry_scheduled': 'warn',
  'run.canceling': 'warn',
  'run.canceled': 'warn',
  'agent.delta': 'debug',
}

/** An event of a running run. */
export function eventOf(runId: string, ts: string, draft: EventDraft): WeftEvent {
  return {
    runId,
    seq: 0,
    ts,
    type: draft.type,
    taskId: draft.taskId,
    attempt: draft.attempt,
    severity: draft.severity ?? SEVERITY[draft.type] ?? 'info',
    data: draft.data,
  } as WeftEvent
}

/** An event a new run records in bulk before it starts (see above). */
export function creationEventOf(runId: string, ts: string, draft: EventDraft): WeftEvent {
  return {
    runId,
    seq: 0,
    ts,
    type: draft.type,
    taskId: draft.taskId,
    attempt: draft.attempt,
    severity: draft.severity ?? SEVERITY[draft.type] ?? 'info',
    data: draft.data,
  } as WeftEvent
}
