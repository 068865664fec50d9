import { type Backend, createRuntime, type Runtime, type WeftEvent } from '@weft/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeModelServer, startFakeModelServer } from './fake-models/index.js'
import { delay } from './processes.js'

export interface ModelBackendRuntimeOptions {
  /** The backend's id, as workflows name it in `backend:`. */
  backendId: string
  /** The model the workflow asks for. */
  model: string
  /** The backend under test, pointed at the fake server's URL. */
  create: (serverUrl: string) => Backend
}

/**
 * A model API backend through `createRuntime` against the fake model server: events, usage,
 * retries of a 429, no retry of a 401, and cancel that aborts the HTTP request.
 */
export function describeModelBackendRuntime(options: ModelBackendRuntimeOptions): void {
  const { backendId, model } = options
  let server: FakeModelServer
  let runtime: Runtime
  beforeAll(async () => {
    server = await startFakeModelServer()
    runtime = createRuntime({ backends: [options.create(server.url)], reporter: { warn: () => {} } })
  })
  afterAll(async () => {
    await runtime.close()
    await server.close()
  })

  async function eventsOf(runId: string): Promise<WeftEvent[]> {
    const events: WeftEvent[] = []
    for await (const e of runtime.events(runId)) events.push(e)
    return events
  }

  const workflow = (retry: Record<string, unknown> = { maxAttempts: 1 }) => ({
    weft: 1 as const,
    name: `${backendId}-test`,
    defaults: { backend: backendId, retry },
    tasks: { ask: { prompt: 'Say hello', model } },
  })

  describe(`${backendId} backend through createRuntime`, () => {
    it('runs a task end to end: messages, tool calls and usage in the event log', async () => {
      server.script({
        text: 'Looking it up.',
        toolCall: { name: 'search', input: { q: 'weft' } },
        usage: { inputTokens: 40, outputTokens: 12, cacheReadTokens: 5 },
      })
      const run = await runtime.start({ workflow: workflow() })
      const done = await runtime.wait(run.id)
      expect(done.status).toBe('succeeded')
      expect(done.outputs).toEqual({ ask: 'Looking it up.' })
      const events = await eventsOf(run.id)
      const types = events.map((e) => e.type)
      expect(types).toContain('agent.message')
      expect(types).toContain('tool.started')
      expect(types).toContain('tool.finished')
      const usage = events.find((e) => e.type === 'usage.recorded')
      expect(usage?.data).toMatchObject({ inputTokens: 40, outputTokens: 12, cacheReadTokens: 5 })
    })

    it('retries a 429 under the retry policy and succeeds on the second attempt', async () => {
      server.script([{ status: 429 }, { text: 'second time lucky' }])
      const before = server.requests.length
      const run = await runtime.start({ workflow: workflow({ maxAttempts: 2, backoffMs: 10 }) as never })
      const done = await runtime.wait(run.id)
      expect(done.status).toBe('succeeded')
      expect(done.outputs).toEqual({ ask: 'second time lucky' })
      expect(server.requests.length - before).toBe(2)
      const retry = (await eventsOf(run.id)).find((e) => e.type === 'task.retry_scheduled')
      expect(retry?.data).toMatchObject({ error: { code: 'rate_limit' }, nextAttempt: 2 })
    })

    it('does not retry a 401', async () => {
      server.script({ status: 401 })
      const before = server.requests.length
      const run = await runtime.start({ workflow: workflow({ maxAttempts: 3, backoffMs: 10 }) as never })
      const done = await runtime.wait(run.id)
      expect(done.status).toBe('failed')
      const [task] = await runtime.tasks(run.id)
      expect(task?.error?.code).toBe('auth')
      expect(server.requests.length - before).toBe(1)
    })

    it('cancels mid-stream: the HTTP request is aborted and the task is canceled', async () => {
      server.script({ text: 'a long and slow answer that never finishes', slowMs: 300 })
      const before = server.requests.length
      const run = await runtime.start({ workflow: workflow() })
      await expect.poll(() => server.requests.length - before, { timeout: 5000 }).toBe(1)
      await delay(400) // at least one chunk is out
      await runtime.cancel(run.id, 'test cancel')
      const done = await runtime.wait(run.id)
      expect(done.status).toBe('canceled')
      const [task] = await runtime.tasks(run.id)
      expect(task?.status).toBe('canceled')
      await expect.poll(() => server.requests.at(-1)!.clientAborted).toBe(true)
    })
  })
}
