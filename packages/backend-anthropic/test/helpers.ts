import type { BackendEvent, TaskContext, TaskRequest } from '@weft/core'

let n = 0

/** A hand-made attempt: the request, a context whose events are collected, and its abort controller. */
export function attempt(partial: Partial<TaskRequest> = {}) {
  n += 1
  const events: BackendEvent[] = []
  const controller = new AbortController()
  const request: TaskRequest = {
    runId: `run_test_${n}`,
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
    workDir: process.cwd(),
  }
  return { request, ctx, events, controller }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
