import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { backendFailure, type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCodexBackend, STUB_TRANSCRIPT } from '../src/index.js'
import { attempt, delay, processesMentioning, processState, sandbox } from './helpers.js'

let server: FakeModelServer
beforeAll(async () => {
  server = await startFakeModelServer()
})
afterAll(async () => {
  await server.close()
})

let box: ReturnType<typeof sandbox>
let backend: ReturnType<typeof createCodexBackend>
beforeEach(() => {
  // A fresh HOME (and, through baseUrl, a fresh CODEX_HOME) per test; only loopback is used.
  box = sandbox()
  backend = createCodexBackend({
    env: { PATH: process.env.PATH, HOME: box.home, WEFT_TEST_KEY: 'sk-test' },
    killGraceMs: 500,
    defaults: { baseUrl: `${server.url}/v1`, apiKeyEnv: 'WEFT_TEST_KEY', model: 'fake-model' },
  })
})
afterEach(async () => {
  await backend.dispose?.()
  box.cleanup()
})

const failure = backendFailure

const mainRequests = () => server.requests.filter((r) => r.path === '/v1/responses')
const lastUserText = (body: unknown): string => {
  const input = (body as { input?: { role?: string; content?: { text?: string }[] }[] }).input ?? []
  const users = input.filter((m) => m.role === 'user')
  return users.at(-1)?.content?.at(-1)?.text ?? ''
}

describe('codex backend with the real CLI against the fake Responses server', () => {
  it('runs a plain answer: session, message, usage (uncached, without reasoning) and output', async () => {
    server.script({
      thinking: 'Greet them.',
      text: 'Hello from Codex!',
      usage: { inputTokens: 10, cacheReadTokens: 5, outputTokens: 4, reasoningTokens: 3 },
    })
    const before = mainRequests().length
    const a = attempt({}, box.work)
    const result = await backend.execute(a.request, a.ctx)
    expect(result.output).toBe('Hello from Codex!')
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.usage).toEqual({
      inputTokens: 10,
      outputTokens: 4,
      cacheReadTokens: 5,
      cacheWriteTokens: 0,
      reasoningTokens: 3,
      model: 'fake-model',
    })
    expect(a.events).toContainEqual({ type: 'session', sessionId: result.sessionId })
    expect(a.events).toContainEqual({ type: 'message', role: 'assistant', text: 'Hello from Codex!' })
    expect(a.events).toContainEqual({ type: 'message', role: 'assistant', text: '[reasoning] Greet them.' })
    expect(a.events.filter((e) => e.type === 'usage')).toHaveLength(1)

    const sent = mainRequests().slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.headers.authorization).toBe('Bearer sk-test')
    expect(sent[0]!.body).toMatchObject({ model: 'fake-model', stream: true })
    expect(lastUserText(sent[0]!.body)).toBe('Say hello')
  })

  it('round-trips a shell tool call that the CLI runs in the task directory', async () => {
    server.script([
      { toolCall: { name: 'exec_command', input: { cmd: 'echo hi > proof.txt && echo hi' } } },
      { text: 'The command printed hi.' },
    ])
    const a = attempt({ options: { sandbox: 'danger-full-access' } }, box.work)
    const result = await backend.execute(a.request, a.ctx)
    expect(result.output).toBe('The command printed hi.')
    expect(existsSync(join(box.work, 'proof.txt'))).toBe(true)
    const tools = a.events.filter((e) => e.type === 'tool_start' || e.type === 'tool_end')
    expect(tools).toHaveLength(2)
    expect(tools[0]).toMatchObject({ type: 'tool_start', name: 'shell' })
    expect((tools[0] as unknown as { input: { command: string } }).input.command).toContain('echo hi')
    expect(tools[1]).toMatchObject({
      type: 'tool_end',
      name: 'shell',
      toolId: (tools[0] as { toolId: string }).toolId,
      output: { exitCode: 0, output: 'hi\n' },
    })
    // The second request carried the command's output back to the model.
    const input = (mainRequests().at(-1)!.body as { input: { type: string; output?: string }[] }).input
    expect(input.find((i) => i.type === 'function_call_output')?.output).toContain('hi')
  })

  it('maps a 401 to a non-retryable auth error', async () => {
    server.script({ status: 401 })
    const a = attempt({}, box.work)
    const error = await failure(backend.execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'auth', retryable: false })
    expect(error.message).toContain('401')
  })

  it('maps a 500 to a retryable server_error, without the CLI retrying', async () => {
    server.script({ status: 500 })
    const before = mainRequests().length
    const a = attempt({}, box.work)
    const error = await failure(backend.execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'server_error', retryable: true })
    expect(mainRequests().length - before).toBe(1)
  })

  it('maps a 429 to a retryable rate_limit', async () => {
    server.script({ status: 429 })
    const a = attempt({}, box.work)
    expect(await failure(backend.execute(a.request, a.ctx))).toMatchObject({
      code: 'rate_limit',
      retryable: true,
    })
  })

  it('cancels mid-stream: rejects canceled and leaves no codex process behind', async () => {
    const marker = `cancel-marker-${process.pid}-${Date.now()}`
    server.script({ text: 'a slow answer in a great many small pieces', slowMs: 400 })
    const before = mainRequests().length
    const a = attempt({ prompt: `Answer slowly ${marker}` }, box.work)
    const running = failure(backend.execute(a.request, a.ctx))
    await expect.poll(() => mainRequests().length > before, { timeout: 10_000 }).toBe(true)
    expect(mainRequests().at(-1)!.completed).toBe(false)
    expect(processesMentioning(marker).length).toBeGreaterThan(0)
    a.controller.abort({ kind: 'cancel', message: 'stop' })
    expect(await running).toMatchObject({ code: 'canceled', retryable: false })
    await expect.poll(() => processesMentioning(marker), { timeout: 5000 }).toEqual([])
    const count = a.events.length
    await delay(300)
    expect(a.events.length, 'no events after the abort').toBe(count)
  })

  it('reports timeout when the signal aborts for one', async () => {
    server.script({ text: 'slow', slowMs: 2000 })
    const before = mainRequests().length
    const a = attempt({}, box.work)
    const running = failure(backend.execute(a.request, a.ctx))
    // Abort once the model call is under way, so the scripted reply is used up by this test.
    await expect.poll(() => mainRequests().length > before, { timeout: 10_000 }).toBe(true)
    a.controller.abort({ kind: 'timeout', message: 'took too long' })
    expect(await running).toMatchObject({ code: 'timeout', retryable: true })
  })

  it('resumes a session with `codex exec resume <thread_id>` and reports this turn’s usage only', async () => {
    server.script({ text: 'First answer.', usage: { inputTokens: 10, outputTokens: 4 } })
    const first = attempt({ prompt: 'Remember the word kumquat' }, box.work)
    const one = await backend.execute(first.request, first.ctx)
    expect(one.usage).toMatchObject({ inputTokens: 10, outputTokens: 4 })

    server.script({ text: 'It was kumquat.', usage: { inputTokens: 30, outputTokens: 6 } })
    const second = attempt({ prompt: 'Which word?', sessionId: one.sessionId }, box.work)
    const two = await backend.execute(second.request, second.ctx)
    expect(two.output).toBe('It was kumquat.')
    expect(two.sessionId).toBe(one.sessionId)
    expect(
      second.events.some(
        (e) => e.type === 'log' && e.message.includes(`exec resume ${one.sessionId} --json`),
      ),
    ).toBe(true)
    // The resumed thread sent the earlier turn along: the CLI really continued the session.
    const body = JSON.stringify(mainRequests().at(-1)!.body)
    expect(body).toContain('Remember the word kumquat')
    expect(body).toContain('First answer.')
    expect(lastUserText(mainRequests().at(-1)!.body)).toBe('Which word?')
    // Codex reports the thread's cumulative usage (40 in, 10 out); weft reports this turn's.
    expect(two.usage).toMatchObject({ inputTokens: 30, outputTokens: 6 })
  })

  it('maps a bad flag (exit 2) to bad_options', async () => {
    const a = attempt({ options: { extraArgs: ['--no-such-flag'] } }, box.work)
    expect(await failure(backend.execute(a.request, a.ctx))).toMatchObject({
      code: 'bad_options',
      exitCode: 2,
      retryable: false,
    })
  })

  it('reports a missing binary as not_installed with the install hint', async () => {
    const a = attempt({ options: { binary: 'codex-does-not-exist-anywhere' } }, box.work)
    const error = await failure(backend.execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'not_installed', retryable: false })
    expect(error.hint).toContain('npm i -g @openai/codex')
  })

  it('fails with auth before running when the key variable is not set', async () => {
    const b = createCodexBackend({ env: { PATH: process.env.PATH, HOME: box.home } })
    const a = attempt({ options: { baseUrl: `${server.url}/v1` } }, box.work)
    const error = await failure(b.execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'auth', retryable: false })
    expect(error.hint).toContain('OPENAI_API_KEY')
    await b.dispose?.()
  })

  it('rejects bad options with bad_options', async () => {
    const a = attempt({ options: { sandbox: 'everything' } }, box.work)
    expect(await failure(backend.execute(a.request, a.ctx))).toMatchObject({ code: 'bad_options' })
  })

  it('pauses and resumes the CLI with SIGSTOP/SIGCONT', async () => {
    const marker = `pause-marker-${process.pid}-${Date.now()}`
    server.script({ text: 'paused then finished', slowMs: 100 })
    const before = mainRequests().length
    const a = attempt({ prompt: `Say hello ${marker}` }, box.work)
    const running = backend.execute(a.request, a.ctx)
    await expect.poll(() => mainRequests().length > before, { timeout: 10_000 }).toBe(true)
    await backend.pause!(a.ctx)
    const pids = processesMentioning(marker)
    expect(pids.length).toBeGreaterThan(0)
    await expect.poll(() => pids.map(processState).every((s) => s === 'T' || s === undefined)).toBe(true)
    await delay(300)
    await backend.resume!(a.ctx)
    expect((await running).output).toBe('paused then finished')
  })
})

describe('codex backend: stub mode and health', () => {
  it('replays the recorded transcript through the parser, with WEFT_STUB=1 or stub: true', async () => {
    const before = server.requests.length
    for (const b of [
      createCodexBackend({ env: { WEFT_STUB: '1' } }),
      createCodexBackend({ env: {}, stub: true }),
    ]) {
      const a = attempt()
      const result = await b.execute(a.request, a.ctx)
      expect(result.output).toContain('recorded answer')
      expect(result.usage).toMatchObject({ inputTokens: 24, outputTokens: 16 })
      expect(a.events.map((e) => e.type)).toEqual(
        expect.arrayContaining(['log', 'session', 'tool_start', 'tool_end', 'message', 'usage']),
      )
      expect(await b.healthcheck!()).toMatchObject({ ok: true })
    }
    const a = attempt({ options: { stub: true } })
    expect((await createCodexBackend({ env: {} }).execute(a.request, a.ctx)).output).toContain('recorded')
    expect(server.requests.length).toBe(before)
    expect(STUB_TRANSCRIPT).toContain('thread.started')
  })

  it('never falls back to the stub silently when the CLI is missing', async () => {
    const b = createCodexBackend({ env: { PATH: '/nonexistent' }, defaults: { binary: 'no-codex-here' } })
    const a = attempt()
    expect(await failure(b.execute(a.request, a.ctx))).toMatchObject({ code: 'not_installed' })
  })

  it('healthcheck: the CLI version and whether the key is set', async () => {
    const ok = await backend.healthcheck!()
    expect(ok).toMatchObject({ ok: true, version: '0.169.0' })
    expect(ok.details).toContain('WEFT_TEST_KEY')
    const noKey = await createCodexBackend({ env: { PATH: process.env.PATH, HOME: box.home } }).healthcheck!()
    expect(noKey.ok).toBe(false)
    expect(noKey.details).toContain('OPENAI_API_KEY')
    const missing = await createCodexBackend({ env: {}, defaults: { binary: 'no-codex-here' } })
      .healthcheck!()
    expect(missing.ok).toBe(false)
    expect(missing.details).toContain('npm i -g @openai/codex')
  })
})
