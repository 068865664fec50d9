import {
  BackendError,
  type BackendEvent,
  createRuntime,
  type Runtime,
  type TaskContext,
  type WeftEvent,
  type WorkflowInput,
} from '@weft/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createMockBackend, plugin } from '../src/index.js'

let runtime: Runtime | undefined

afterEach(async () => {
  await runtime?.close()
  runtime = undefined
})

/** Runs a workflow on the mock backend and returns the finished run, its tasks and its events. */
async function run(
  tasks: WorkflowInput['tasks'],
  options: { workflow?: Partial<WorkflowInput>; inputs?: Record<string, string | number> } = {},
) {
  const { inputs, workflow: workflowExtra } = options
  runtime = createRuntime({
    backends: [createMockBackend()],
    reporter: { warn: () => {} },
    random: () => 0.5,
  })
  const started = await runtime.start({
    workflow: { weft: 1, name: 'mock-test', defaults: { backend: 'mock' }, ...workflowExtra, tasks },
    ...(inputs ? { inputs } : {}),
  })
  const summary = await runtime.wait(started.id)
  const taskList = await runtime.tasks(started.id)
  const events: WeftEvent[] = []
  for await (const e of runtime.events(started.id)) events.push(e)
  return { summary, tasks: Object.fromEntries(taskList.map((t) => [t.taskId, t])), events }
}

function directContext(attempt = 1, signal = new AbortController().signal) {
  const events: BackendEvent[] = []
  const noop = () => {}
  const ctx: TaskContext = {
    runId: 'run_x',
    taskId: 't',
    attempt,
    signal,
    emit: (e) => events.push(e),
    log: { debug: noop, info: noop, warn: noop, error: noop },
    workDir: process.cwd(),
  }
  return { ctx, events }
}

describe('metadata', () => {
  it('is honest about what it can do', () => {
    const b = createMockBackend()
    expect(b.id).toBe('mock')
    expect(b.specificationVersion).toBe('weft.backend.v1')
    expect(b.capabilities).toEqual({
      streaming: true,
      events: true,
      cancel: true,
      pause: false,
      resumeSession: false,
      usage: true,
      tools: true,
    })
    expect(b.pause).toBeUndefined()
  })

  it('is exported as a plugin', () => {
    expect(plugin.name).toBe('@weft/backend-mock')
    expect(plugin.specificationVersion).toBe('weft.plugin.v1')
    expect(plugin.backends?.map((b) => b.id)).toEqual(['mock'])
  })

  it('can be registered under another id', () => {
    expect(createMockBackend({ id: 'fake-llm' }).id).toBe('fake-llm')
  })
})

describe('output', () => {
  it('defaults to a deterministic text derived from the prompt', async () => {
    const prompt = 'Summarize the merged pull requests of acme/api for the release notes of this week, please'
    const a = await run({ one: { prompt }, two: { prompt } })
    expect(a.summary.status).toBe('succeeded')
    expect(a.tasks.one!.output).toBe(`mock: ${prompt.slice(0, 60)}`)
    expect(a.tasks.two!.output).toBe(a.tasks.one!.output)
  })

  it('returns any JSON given as output, with templates already rendered', async () => {
    const r = await run(
      {
        collect: { with: { output: { items: [1, 2, 3], repo: '${{ inputs.repo }}' } } },
        summarize: {
          needs: ['collect'],
          prompt: 'Summarize ${{ tasks.collect.output.repo }}',
          with: { output: 'got ${{ tasks.collect.output.items }}' },
        },
      },
      { workflow: { inputs: { repo: { type: 'string' } } }, inputs: { repo: 'acme/api' } },
    )
    expect(r.summary.status).toBe('succeeded')
    expect(r.tasks.collect!.output).toEqual({ items: [1, 2, 3], repo: 'acme/api' })
    expect(r.tasks.summarize!.output).toBe('got [1,2,3]')
  })

  it('uses `respond` for tasks without with.output', async () => {
    const backend = createMockBackend({ respond: (req) => ({ echoed: req.prompt ?? null }) })
    const { ctx } = directContext()
    const result = await backend.execute(
      { runId: 'r', taskId: 't', attempt: 1, prompt: 'hi', options: {}, upstream: {} },
      ctx,
    )
    expect(result.output).toEqual({ echoed: 'hi' })
    expect(result.text).toBe('{"echoed":"hi"}')
  })
})

describe('failures', () => {
  it('failTimes fails the first attempts with a retryable error, then succeeds', async () => {
    const r = await run({
      flaky: {
        with: { failTimes: 2, output: 'finally' },
        retry: { maxAttempts: 3, backoffMs: 1, jitter: 0 },
      },
    })
    expect(r.summary.status).toBe('succeeded')
    expect(r.tasks.flaky!.attempt).toBe(3)
    expect(r.tasks.flaky!.output).toBe('finally')
    const retries = r.events.filter((e) => e.type === 'task.retry_scheduled')
    expect(retries).toHaveLength(2)
    expect((retries[0]!.data as { error: { code: string; retryable: boolean } }).error).toMatchObject({
      code: 'server_error',
      retryable: true,
    })
  })

  it('failTimes beyond maxAttempts fails the task', async () => {
    const r = await run({
      flaky: { with: { failTimes: 5 }, retry: { maxAttempts: 2, backoffMs: 1, jitter: 0 } },
    })
    expect(r.summary.status).toBe('failed')
    expect(r.tasks.flaky!.attempt).toBe(2)
    expect(r.tasks.flaky!.error?.code).toBe('server_error')
  })

  it('error fails every attempt with a non-retryable error', async () => {
    const r = await run({
      broken: { with: { error: 'the model refused' }, retry: { maxAttempts: 3, backoffMs: 1 } },
      after: { needs: ['broken'] },
    })
    expect(r.summary.status).toBe('failed')
    expect(r.tasks.broken!.attempt).toBe(1)
    expect(r.tasks.broken!.error).toMatchObject({
      code: 'failed',
      message: 'the model refused',
      retryable: false,
    })
    expect(r.tasks.after!.status).toBe('skipped')
  })

  it('direct calls reject with BackendError instances', async () => {
    const b = createMockBackend()
    const { ctx } = directContext(1)
    const err = await b
      .execute({ runId: 'r', taskId: 't', attempt: 1, options: { failTimes: 1 }, upstream: {} }, ctx)
      .catch((e) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect(err).toMatchObject({ code: 'server_error', retryable: true })
    const ok = await b.execute(
      { runId: 'r', taskId: 't', attempt: 2, options: { failTimes: 1 }, upstream: {} },
      directContext(2).ctx,
    )
    expect(ok.output).toBe('mock: task t')
  })
})

describe('time', () => {
  it('delayMs waits, and accepts a rendered string', async () => {
    const startedAt = Date.now()
    const r = await run(
      { slow: { with: { delayMs: '${{ inputs.delay }}' } } },
      {
        workflow: { inputs: { delay: { type: 'string' } } },
        inputs: { delay: '120' },
      },
    )
    expect(r.summary.status, JSON.stringify(r.tasks.slow?.error)).toBe('succeeded')
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(110)
  })

  it('delayMs is cut short by cancel', async () => {
    const b = createMockBackend()
    const controller = new AbortController()
    const { ctx } = directContext(1, controller.signal)
    const startedAt = Date.now()
    const p = b.execute(
      { runId: 'r', taskId: 't', attempt: 1, options: { delayMs: 60_000 }, upstream: {} },
      ctx,
    )
    setTimeout(() => controller.abort({ kind: 'cancel', message: 'stop' }), 30)
    await expect(p).rejects.toMatchObject({ code: 'canceled', message: 'stop' })
    expect(Date.now() - startedAt).toBeLessThan(1000)
  })

  it('hang runs until the task times out', async () => {
    const r = await run({ stuck: { with: { hang: true }, timeoutMs: 100 } })
    expect(r.summary.status).toBe('failed')
    expect(r.tasks.stuck!.error?.code).toBe('timeout')
  })

  it('hang runs until the run is canceled', async () => {
    runtime = createRuntime({
      backends: [createMockBackend()],
      reporter: { warn: () => {} },
      cancelGraceMs: 60_000,
    })
    const started = await runtime.start({
      workflow: { weft: 1, name: 'hang', tasks: { stuck: { backend: 'mock', with: { hang: 'true' } } } },
    })
    for (let i = 0; i < 100 && (await runtime.tasks(started.id))[0]!.status !== 'running'; i++)
      await new Promise((r) => setTimeout(r, 10))
    await runtime.cancel(started.id)
    const done = await runtime.wait(started.id)
    expect(done.status).toBe('canceled')
    expect((await runtime.tasks(started.id))[0]!.status).toBe('canceled')
  })

  it('rejects at once with timeout when the signal says timeout', async () => {
    const controller = new AbortController()
    controller.abort({ kind: 'timeout', message: 'too slow' })
    const { ctx } = directContext(1, controller.signal)
    await expect(
      createMockBackend().execute({ runId: 'r', taskId: 't', attempt: 1, options: {}, upstream: {} }, ctx),
    ).rejects.toMatchObject({
      code: 'timeout',
    })
  })
})

describe('usage', () => {
  it('reports with.usage once, from the result', async () => {
    const r = await run({
      a: {
        model: 'claude-sonnet-4-5',
        with: { usage: { inputTokens: 100, outputTokens: '20', costUsd: 0.01 } },
      },
    })
    expect(r.tasks.a!.usage).toMatchObject({ inputTokens: 100, outputTokens: 20, costUsd: 0.01 })
    const recorded = r.events.filter((e) => e.type === 'usage.recorded')
    expect(recorded).toHaveLength(1)
    expect(recorded[0]!.data).toMatchObject({
      inputTokens: 100,
      outputTokens: 20,
      model: 'claude-sonnet-4-5',
    })
    expect(r.summary.usage.inputTokens).toBe(100)
  })

  it('gives the runtime an estimate only from a valid with.usage', () => {
    const mock = createMockBackend()
    const request = (options: Record<string, unknown>) =>
      ({ runId: 'r', taskId: 't', attempt: 1, options, upstream: {} }) as never
    expect(mock.estimate!(request({ output: 'ok' }))).toBeUndefined()
    expect(mock.estimate!(request({ usage: { inputTokens: 7, outputTokens: '3', model: 'm' } }))).toEqual({
      inputTokens: 7,
      outputTokens: 3,
    })
    expect(mock.estimate!(request({ usage: { inputTokens: -1 } }))).toBeUndefined()
    expect(mock.estimate!(request({ usage: null }))).toBeUndefined()
  })

  it('estimates usage when none is scripted', async () => {
    const r = await run({ a: { prompt: 'x'.repeat(40), with: { output: 'y'.repeat(8) } } })
    expect(r.tasks.a!.usage).toMatchObject({ inputTokens: 10, outputTokens: 2 })
  })
})

describe('events', () => {
  it('emits scripted messages, tool calls and logs as run events', async () => {
    const r = await run({
      agent: {
        prompt: 'find it',
        with: {
          events: [
            { message: 'Looking for it' },
            { tool: 'grep', input: { pattern: 'TODO' }, output: ['a.ts:3'] },
            { log: 'searched 3 files', level: 'debug' },
          ],
          output: 'found',
        },
      },
    })
    expect(r.summary.status).toBe('succeeded')
    const types = r.events.filter((e) => e.taskId === 'agent').map((e) => e.type)
    expect(types).toEqual(expect.arrayContaining(['agent.message', 'tool.started', 'tool.finished', 'log']))
    const started = r.events.find((e) => e.type === 'tool.started')!
    const finished = r.events.find((e) => e.type === 'tool.finished')!
    expect(started.data).toMatchObject({ name: 'grep', input: { pattern: 'TODO' } })
    expect(finished.data).toMatchObject({
      name: 'grep',
      output: ['a.ts:3'],
      toolId: (started.data as { toolId: string }).toolId,
    })
    expect(r.events.find((e) => e.type === 'log' && e.taskId === 'agent')).toMatchObject({
      severity: 'debug',
      data: { message: 'searched 3 files' },
    })
    expect(types.indexOf('agent.message')).toBeLessThan(types.indexOf('tool.started'))
  })

  it('stream emits the output as deltas, then the whole message', async () => {
    const b = createMockBackend()
    const { ctx, events } = directContext()
    const result = await b.execute(
      {
        runId: 'r',
        taskId: 't',
        attempt: 1,
        options: { output: 'The quick brown fox jumps', stream: true },
        upstream: {},
      },
      ctx,
    )
    const deltas = events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe('The quick brown fox jumps')
    expect(events.at(-1)).toEqual({ type: 'message', role: 'assistant', text: 'The quick brown fox jumps' })
    expect(result.output).toBe('The quick brown fox jumps')
  })

  it('paces events with delayMs and stops between them on cancel', async () => {
    const b = createMockBackend()
    const controller = new AbortController()
    const { ctx, events } = directContext(1, controller.signal)
    const p = b.execute(
      {
        runId: 'r',
        taskId: 't',
        attempt: 1,
        options: { events: [{ message: 'one' }, { message: 'two', delayMs: 5000 }] },
        upstream: {},
      },
      ctx,
    )
    await new Promise((r) => setTimeout(r, 20))
    controller.abort({ kind: 'cancel', message: 'stop' })
    await expect(p).rejects.toMatchObject({ code: 'canceled' })
    expect(events).toEqual([{ type: 'message', role: 'assistant', text: 'one' }])
  })
})

describe('options', () => {
  it('rejects a misspelt event at validation time, naming the path', async () => {
    runtime = createRuntime({ backends: [createMockBackend()], reporter: { warn: () => {} } })
    const result = runtime.validate({
      weft: 1,
      name: 'bad',
      tasks: { a: { backend: 'mock', with: { events: [{ mesage: 'hi' }], delayMs: -1 } } },
    })
    expect(result.ok).toBe(false)
    const messages = result.diagnostics.map((d) => d.message).join('\n')
    expect(messages).toContain('tasks.a.with.events')
    expect(messages).toContain('tasks.a.with.delayMs')
  })

  it("keeps other backends' options valid, for dry runs that override every backend to mock", async () => {
    runtime = createRuntime({ backends: [createMockBackend()], reporter: { warn: () => {} } })
    const started = await runtime.start({
      backend: 'mock',
      workflow: {
        weft: 1,
        name: 'dry',
        tasks: { publish: { backend: 'shell', with: { command: ['echo', 'hi'], env: { A: '1' } } } },
      },
    })
    const done = await runtime.wait(started.id)
    expect(done.status).toBe('succeeded')
  })

  it('rejects bad options in direct calls with bad_options', async () => {
    const { ctx } = directContext()
    await expect(
      createMockBackend().execute(
        { runId: 'r', taskId: 't', attempt: 1, options: { failTimes: 'often' }, upstream: {} },
        ctx,
      ),
    ).rejects.toMatchObject({
      code: 'bad_options',
      retryable: false,
    })
  })
})
