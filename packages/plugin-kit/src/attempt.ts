import type { BackendEvent, TaskContext } from '@weft/spec'

/** One key per attempt, for backends that keep state per running attempt (processes to pause). */
export function attemptKey(ctx: Pick<TaskContext, 'runId' | 'taskId' | 'attempt'>): string {
  return `${ctx.runId}\u0000${ctx.taskId}\u0000${ctx.attempt}`
}

/**
 * `ctx.emit` for the length of an attempt: nothing reaches the event log once the attempt's signal
 * has aborted (the attempt is over, whatever the backend still reads), and a listener that throws
 * cannot break the stream or pipe the backend is reading.
 */
export function attemptEmitter(ctx: Pick<TaskContext, 'signal' | 'emit'>): (event: BackendEvent) => void {
  return (event) => {
    if (ctx.signal.aborted) return
    try {
      ctx.emit(event)
    } catch {
      // The listener's problem, not the task's.
    }
  }
}
