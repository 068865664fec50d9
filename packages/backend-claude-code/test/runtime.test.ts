import { createRuntime, type Runtime, type WeftEvent } from '@weft/core'
import { type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClaudeCodeBackend } from '../src/index.js'
import { cleanupDirs, cliEnv, delay, groupAlive, pidOf, tempDir } from './helpers.js'

let server: FakeModelServer
let runtime: Runtime
beforeAll(async () => {
  server = await startFakeModelServer()
  runtime = createRuntime({
    backends: [createClaudeCodeBackend({ env: cliEnv(server.url, tempDir('home')) })],
    workDir: tempDir('cwd'),
    reporter: { warn: () => {} },
  })
})
afterAll(async () => {
  await runtime.close()
  await server.close()
  cleanupDirs()
})

async function eventsOf(runId: string): Promise<WeftEvent[]> {
  const events: WeftEvent[] = []
  for await (const e of runtime.events(runId)) events.push(e)
  return events
}

const posts = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages')

const workflow = (task: Record<string, unknown>, retry: Record<string, unknown> = { maxAttempts: 1 }) => ({
  weft: 1 as const,
  name: 'claude-code-test',
  defaults: { backend: 'claude-code', retry: retry as never },
  tasks: { ask: { prompt: 'Say hello', ...task } },
})

describe('claude-code backend through createRuntime', () => {
  it('runs a task end to end: session, messages, tool calls, usage and cost in the event log', async () => {
    server.script([
      { text: 'Let me check.', toolCall: { name: 'Bash', input: { command: 'echo hi' }, id: 'toolu_rt1' } },
      { text: 'It printed hi.', usage: { inputTokens: 30, outputTokens: 9 } },
    ])
    const run = await runtime.start({ workflow: workflow({ with: { permissionMode: 'bypassPermissions' } }) })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(done.outputs).toEqual({ ask: 'It printed hi.' })
    const events = await eventsOf(run.id)
    const types = events.map((e) => e.type)
    for (const t of ['agent.message', 'tool.started', 'tool.finished', 'usage.recorded'])
      expect(types).toContain(t)
    const usage = events.find((e) => e.type === 'usage.recorded')
    expect((usage?.data as { costUsd?: number } | undefined)?.costUsd).toBeGreaterThan(0)
  })

  it('does not retry a 401', async () => {
    server.script({ status: 401 })
    const before = posts().length
    const run = await runtime.start({ workflow: workflow({}, { maxAttempts: 3, backoffMs: 10 }) })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('failed')
    const [task] = await runtime.tasks(run.id)
    expect(task?.error?.code).toBe('auth')
    expect(posts().length - before).toBe(1)
  })

  it('retries a 500 under the policy, and the second attempt resumes the session with --resume', async () => {
    server.script([{ status: 500 }, { text: 'second time lucky' }])
    const before = posts().length
    const run = await runtime.start({ workflow: workflow({}, { maxAttempts: 2, backoffMs: 10 }) })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(done.outputs).toEqual({ ask: 'second time lucky' })
    expect(posts().length - before).toBe(2)
    const events = await eventsOf(run.id)
    const retry = events.find((e) => e.type === 'task.retry_scheduled')
    expect(retry?.data).toMatchObject({ error: { code: 'server_error' }, nextAttempt: 2 })
    const [task] = await runtime.tasks(run.id)
    expect(task?.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    // The retry continued the same conversation: the first prompt is in its history again.
    const history = JSON.stringify((posts().at(-1)!.body as { messages: unknown }).messages)
    expect(history.split('Say hello').length - 1).toBeGreaterThanOrEqual(2)
  })

  it('cancels mid-stream: the run is canceled and the CLI process group is gone', async () => {
    server.script({ text: 'a long and slow answer that never finishes', slowMs: 1000 })
    const before = posts().length
    const run = await runtime.start({ workflow: workflow({}) })
    await expect.poll(() => posts().length - before, { timeout: 10_000 }).toBe(1)
    await delay(300)
    await runtime.cancel(run.id, 'test cancel')
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('canceled')
    const logs = (await eventsOf(run.id)).filter((e) => JSON.stringify(e.data).includes('started '))
    const pid = pidOf(
      logs.map((e) => ({ type: 'log' as const, message: String((e.data as { message?: string }).message) })),
    )
    expect(pid).toBeGreaterThan(0)
    await expect.poll(() => groupAlive(pid!)).toBe(false)
  })
})
