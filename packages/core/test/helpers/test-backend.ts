/**
 * A minimal backend for core's own tests (core cannot depend on @weft/backend-mock, which
 * depends on core). Behaviour comes from the task's `with`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { stubBackend } from '@weft/testing/doubles'
import {
  type Backend,
  BackendError,
  createRuntime,
  type Json,
  type RuntimeOptions,
  type WeftEvent,
} from '../../src/index.js'

/** A store handle that "dies" on `kill()` (shared with the store conformance suite). */
export { killableStore } from '@weft/testing/doubles'

export interface TestBackendOptions {
  output?: Json
  delayMs?: number
  failTimes?: number
  error?: string
  hang?: boolean
  ignoreAbort?: boolean
  /** Fail (not retryable) the first N calls of this task id over the backend's life, across runs. */
  failFirstCalls?: number
  usage?: { inputTokens?: number; outputTokens?: number; costUsd?: number; model?: string }
  memory?: { run?: Record<string, Json>; agent?: Record<string, Json> }
}

type Call = { taskId: string; attempt: number; prompt?: string; options: unknown; upstream: unknown }

export function testBackend(id = 'test'): Backend & { calls: Call[]; maxActive: number } {
  const calls: Call[] = []
  let active = 0
  const backend = stubBackend({
    id,
    label: 'test backend',
    capabilities: { events: true, cancel: true, usage: true },
    calls,
    maxActive: 0,
    estimate(req) {
      const o = req.options as TestBackendOptions
      const { model: _model, ...counts } = o.usage ?? { inputTokens: 10, outputTokens: 5 }
      return counts
    },
    async execute(req, ctx) {
      calls.push({
        taskId: req.taskId,
        attempt: req.attempt,
        prompt: req.prompt,
        options: req.options,
        upstream: req.upstream,
      })
      active++
      backend.maxActive = Math.max(backend.maxActive, active)
      try {
        return await run(req, ctx)
      } finally {
        active--
      }
    },
  })
  async function run(req: Parameters<Backend['execute']>[0], ctx: Parameters<Backend['execute']>[1]) {
    const o = req.options as TestBackendOptions
    const wait = async (ms: number) => {
      try {
        await sleep(ms, undefined, o.ignoreAbort ? {} : { signal: ctx.signal })
      } catch {
        throw new BackendError('canceled', 'aborted')
      }
    }
    if (o.hang) {
      if (o.ignoreAbort) await new Promise(() => {})
      await wait(1e9)
    }
    if (o.delayMs) await wait(o.delayMs)
    if (o.failTimes && req.attempt <= o.failTimes)
      throw new BackendError('server_error', `flaky failure ${req.attempt}`)
    if (o.error) throw new BackendError('failed', o.error)
    const callsSoFar = calls.filter((c) => c.taskId === req.taskId).length
    if (o.failFirstCalls && callsSoFar <= o.failFirstCalls)
      throw new BackendError('failed', `failing call ${callsSoFar}`)
    ctx.emit({ type: 'message', text: `hello from ${req.taskId}` })
    return {
      output: o.output ?? `out:${req.taskId}`,
      usage: o.usage ?? { inputTokens: 10, outputTokens: 5 },
      ...(o.memory ? { memory: o.memory } : {}),
    }
  }
  return backend
}

export function makeRuntime(extra: Partial<RuntimeOptions> = {}) {
  const backend = testBackend()
  const runtime = createRuntime({ backends: [backend], random: () => 0.5, cancelGraceMs: 500, ...extra })
  return { runtime, backend }
}

export async function allEvents(
  runtime: ReturnType<typeof createRuntime>,
  runId: string,
): Promise<WeftEvent[]> {
  const out: WeftEvent[] = []
  for await (const e of runtime.events(runId)) out.push(e)
  return out
}

/** Resolves at the first live event of the runtime that matches. */
export function nextEvent(
  runtime: ReturnType<typeof createRuntime>,
  match: (e: WeftEvent) => boolean,
): Promise<WeftEvent> {
  return new Promise<WeftEvent>((resolve) => {
    const off = runtime.subscribe((e) => {
      if (match(e)) {
        off()
        resolve(e)
      }
    })
  })
}

/** The most tasks that were running at the same time, computed from the event log. */
export function maxConcurrent(events: WeftEvent[]): number {
  let now = 0
  let max = 0
  for (const e of events) {
    if (e.type === 'task.started') max = Math.max(max, ++now)
    if (
      e.type === 'task.succeeded' ||
      e.type === 'task.failed' ||
      e.type === 'task.retry_scheduled' ||
      (e.type === 'task.canceled' && e.attempt)
    )
      now--
  }
  return max
}
