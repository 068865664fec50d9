import type { BackendEvent, TaskContext, TaskRequest } from '@weft/core'

let sequence = 0

export interface HandMadeAttempt {
  request: TaskRequest
  ctx: TaskContext
  /** Every event the backend emitted, in order. */
  events: BackendEvent[]
  /** Abort it with a reason, as the runtime does: `{ kind: 'cancel' | 'timeout', message }`. */
  controller: AbortController
}

/**
 * One attempt of a task made by hand, for calling `backend.execute` directly in a test: the
 * request (task `ask`, prompt `Say hello`, unless `partial` says otherwise), a context whose events
 * are collected, and its abort controller. Each call gets its own run id.
 */
export function handMadeAttempt(
  partial: Partial<TaskRequest> = {},
  workDir = process.cwd(),
): HandMadeAttempt {
  sequence += 1
  const events: BackendEvent[] = []
  const controller = new AbortController()
  const request: TaskRequest = {
    runId: `run_test_${process.pid}_${sequence}`,
    taskId: 'ask',
    attempt: 1,
    prompt: 'Say hello',
    options: {},
    upstream: {},
    ...partial,
  }
  const log = () => () => undefined
  const ctx: TaskContext = {
    runId: request.runId,
    taskId: request.taskId,
    attempt: request.attempt,
    signal: controller.signal,
    emit: (event) => events.push(event),
    log: { debug: log(), info: log(), warn: log(), error: log() },
    workDir,
  }
  return { request, ctx, events, controller }
}
