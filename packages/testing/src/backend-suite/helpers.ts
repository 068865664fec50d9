/**
 * How the backend conformance suite drives a backend and a runtime: waiting with a deadline,
 * expecting a rejection, turning a scenario request into a workflow task, and watching a run
 * until its task runs or the runtime gives up on the backend. No checks of the contract here;
 * those are in `checks.ts`.
 */
import type { Runtime, WeftEvent } from '@weft/core'
import type { ScenarioRequest } from '../backend-suite.js'

/** Resolves with what the promise rejected with; fails the test if it resolved. */
export async function captureRejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    const value = await promise
    throw new ResolvedInstead(value)
  } catch (err) {
    if (err instanceof ResolvedInstead)
      throw new Error(`expected execute() to reject, but it resolved with ${JSON.stringify(err.value)}`)
    return err
  }
}

class ResolvedInstead {
  constructor(readonly value: unknown) {}
}

export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function taskSpecOf(request: ScenarioRequest): Record<string, unknown> {
  return {
    ...(request.prompt !== undefined ? { prompt: request.prompt } : {}),
    ...(request.input !== undefined ? { input: request.input } : {}),
    ...(request.model !== undefined ? { model: request.model } : {}),
    ...(request.options !== undefined ? { with: request.options } : {}),
  }
}

export async function untilRunning(runtime: Runtime, runId: string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const [task] = await runtime.tasks(runId)
    if (task?.status === 'running') return
    if (task && ['succeeded', 'failed', 'canceled', 'skipped'].includes(task.status)) {
      throw new Error(
        `the hang task finished (${task.status}) instead of running: ${JSON.stringify(task.error ?? task.output)}`,
      )
    }
    if (Date.now() > deadline) throw new Error('the hang task did not start within 10 s')
    await delay(20)
  }
}

/** Whether the runtime gave up waiting for the backend to stop (see `cancelGraceMs`). */
export async function abandoned(runtime: Runtime, runId: string): Promise<boolean> {
  const events: WeftEvent[] = []
  for await (const e of runtime.events(runId)) events.push(e)
  return events.some((e) => e.type === 'log' && e.data.fields?.code === 'backend_abandoned')
}
