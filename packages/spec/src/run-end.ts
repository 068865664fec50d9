import type { EventType, WeftEvent } from './event.js'
import { RUN_TERMINAL_EVENT } from './event.js'
import { isTerminalRunStatus, type RunStatus } from './run.js'

/**
 * The single definition of "this run has ended", for everything that follows a run (the runtime's
 * event stream, the server's SSE, clients, the CLI): a run ends with exactly one of these events,
 * and its status is then one of `TERMINAL_RUN_STATUSES`. Nothing is appended to its log after it.
 * A run that compensates its tasks (`compensate:`) has not ended while they run: its end event
 * comes after the last `compensation.*` event.
 */
export type RunEndStatus = 'succeeded' | 'failed' | 'canceled'

export const RUN_END_EVENT_TYPES: readonly EventType[] = Object.values(RUN_TERMINAL_EVENT)

const STATUS_BY_END_EVENT: ReadonlyMap<string, RunEndStatus> = new Map(
  (Object.entries(RUN_TERMINAL_EVENT) as [RunEndStatus, EventType][]).map(([status, type]) => [type, status]),
)

/** True for `run.succeeded`, `run.failed` and `run.canceled`: the last event of a run. */
export function isRunEndEvent(event: Pick<WeftEvent, 'type'> | { type: string }): boolean {
  return STATUS_BY_END_EVENT.has(event.type)
}

/** The status a run has after this event type, when it is a run-end event; else undefined. */
export function runStatusOfEndEvent(type: string): RunEndStatus | undefined {
  return STATUS_BY_END_EVENT.get(type)
}

/** True when the run has ended: its status is one of `TERMINAL_RUN_STATUSES`. */
export function hasRunEnded<R extends { status: RunStatus }>(run: R): run is R & { status: RunEndStatus } {
  return isTerminalRunStatus(run.status)
}
