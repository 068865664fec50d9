import type { BackendEvent, BackendLogger, TaskContext, TaskRequest } from '@weft/core'

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
  const request: TaskRequest = {
    runId: `run_test_${process.pid}_${sequence}`,
    taskId: 'ask',
    attempt: 1,
    prompt: 'Say hello',
    options: {},
    upstream: {},
    ...partial,
  }
  return attemptOf(request, workDir, { logsAsEvents: false })
}

/**
 * The context and abort controller of `request`'s attempt; what the backend emits is collected in
 * `events`. With `logsAsEvents`, its log lines are collected there too, as `log` events, for a
 * suite that checks everything a backend reports; otherwise they are dropped.
 */
export function attemptOf(
  request: TaskRequest,
  workDir: string,
  { logsAsEvents }: { logsAsEvents: boolean },
): HandMadeAttempt {
  const events: BackendEvent[] = []
  const controller = new AbortController()
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string): void => {
      if (logsAsEvents) events.push({ type: 'log', level, message })
    }
  const logger: BackendLogger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  }
  const ctx: TaskContext = {
    runId: request.runId,
    taskId: request.taskId,
    attempt: request.attempt,
    signal: controller.signal,
    emit: (event) => events.push(event),
    log: logger,
    workDir,
  }
  return { request, ctx, events, controller }
}
