import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JsonObject } from '@weft/core'
import { backendFailure, type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createClaudeCodeBackend, STUB_TRANSCRIPT } from '../src/index.js'
import {
  attempt,
  cleanupDirs,
  cliEnv,
  delay,
  groupAlive,
  isAlive,
  pidOf,
  processState,
  tempDir,
} from './helpers.js'

let server: FakeModelServer
beforeAll(async () => {
  server = await startFakeModelServer()
})
afterAll(async () => {
  await server.close()
})
afterEach(() => cleanupDirs())

/** A backend whose CLI gets a fresh HOME (unless one is given) and talks to the fake server. */
const backend = (home?: string) => createClaudeCodeBackend({ env: cliEnv(server.url, home) })

const failure = backendFailure

const posts = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages')

describe('claude-code backend, the real CLI against the fake Anthropic server', () => {
  it('runs a plain answer: session, message, usage with cost, output', async () => {
    server.script({
      text: 'Hello from the fake model.',
      usage: { inputTokens: 12, outputTokens: 7, cacheReadTokens: 3, cacheWriteTokens: 2 },
    })
    const before = posts().length
    const a = attempt({ model: 'claude-sonnet-4-5' })
    const result = await backend().execute(a.request, a.ctx)
    expect(result.output).toBe('Hello from the fake model.')
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.usage).toMatchObject({
      inputTokens: 12,
      outputTokens: 7,
      cacheReadTokens: 3,
      cacheWriteTokens: 2,
    })
    expect(result.usage?.costUsd).toBeGreaterThan(0)

    const types = a.events.filter((e) => e.type !== 'log').map((e) => e.type)
    // `process` first: the CLI's process group, reported as soon as it is spawned.
    expect(types).toEqual(['process', 'session', 'message', 'usage'])
    expect(a.events).toContainEqual({ type: 'session', sessionId: result.sessionId })
    expect(a.events).toContainEqual({
      type: 'message',
      role: 'assistant',
      text: 'Hello from the fake model.',
    })
    const usage = a.events.find((e) => e.type === 'usage')
    expect(usage).toMatchObject({ inputTokens: 12, outputTokens: 7, costUsd: result.usage?.costUsd })

    expect(posts().length - before).toBe(1)
    const sent = posts().at(-1)!
    expect(sent.headers['x-api-key']).toBe('test-key')
    expect((sent.body as { model?: string }).model).toBe('claude-sonnet-4-5')
    expect(JSON.stringify((sent.body as { messages: unknown }).messages)).toContain('Say hello')
  })

  it('runs a tool round-trip: the CLI runs Bash, and tool_start/tool_end carry input and output', async () => {
    server.script([
      {
        text: 'Let me check.',
        toolCall: { name: 'Bash', input: { command: 'echo hi', description: 'say hi' }, id: 'toolu_01' },
      },
      { text: 'It printed hi.' },
    ])
    const a = attempt({ options: { permissionMode: 'bypassPermissions', maxTurns: 4 } })
    const result = await backend().execute(a.request, a.ctx)
    expect(result.output).toBe('It printed hi.')
    const tools = a.events.filter((e) => e.type === 'tool_start' || e.type === 'tool_end')
    expect(tools).toEqual([
      {
        type: 'tool_start',
        toolId: 'toolu_01',
        name: 'Bash',
        input: { command: 'echo hi', description: 'say hi' },
      },
      { type: 'tool_end', toolId: 'toolu_01', name: 'Bash', output: 'hi' },
    ])
    const messages = a.events.filter((e) => e.type === 'message').map((e) => (e as { text: string }).text)
    expect(messages).toEqual(['Let me check.', 'It printed hi.'])
    // The second API call carries the tool's result back to the model.
    expect(JSON.stringify(posts().at(-1)!.body)).toContain('tool_result')
  })

  it('maps a 401 to a non-retryable auth error', async () => {
    server.script({ status: 401 })
    const a = attempt()
    const error = await failure(backend().execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'auth', retryable: false })
    expect(error.hint).toContain('ANTHROPIC_API_KEY')
  })

  it('maps a 500 to a retryable server_error', async () => {
    server.script({ status: 500 })
    const a = attempt()
    expect(await failure(backend().execute(a.request, a.ctx))).toMatchObject({
      code: 'server_error',
      retryable: true,
    })
  })

  it('maps error_max_turns to max_turns', async () => {
    // With one turn allowed, the tool's result never goes back to the model: one request only.
    server.script({ text: 'x', toolCall: { name: 'Bash', input: { command: 'echo hi' }, id: 'toolu_02' } })
    const a = attempt({ options: { permissionMode: 'bypassPermissions', maxTurns: 1 } })
    const error = await failure(backend().execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'max_turns', retryable: false })
    // Usage and cost were spent all the same, and are reported.
    expect(a.events.some((e) => e.type === 'usage')).toBe(true)
  })

  it('maps a bad flag (no result line, exit 1) to exit_code with the stderr tail', async () => {
    const a = attempt({ options: { extraArgs: ['--no-such-flag-for-weft'] } })
    const error = await failure(backend().execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'exit_code', retryable: false, exitCode: 1 })
    expect(error.message).toContain('no-such-flag-for-weft')
  })

  it('cancels mid-stream: rejects canceled and the process group is gone', async () => {
    server.script({ text: 'a slow answer in several pieces that never ends in time', slowMs: 1000 })
    const before = posts().length
    const a = attempt()
    const running = failure(backend().execute(a.request, a.ctx))
    await expect.poll(() => posts().length - before, { timeout: 10_000 }).toBe(1)
    const pid = pidOf(a.events)!
    expect(pid).toBeGreaterThan(0)
    expect(isAlive(pid)).toBe(true)
    const started = Date.now()
    a.controller.abort({ kind: 'cancel', message: 'stop' })
    expect(await running).toMatchObject({ code: 'canceled', retryable: false })
    expect(Date.now() - started).toBeLessThan(3000)
    await expect.poll(() => processState(pid) === undefined || processState(pid) === 'Z').toBe(true)
    await expect.poll(() => groupAlive(pid)).toBe(false)
    await expect.poll(() => posts().at(-1)!.clientAborted, { timeout: 5000 }).toBe(true)
  })

  it('cancels during a tool: the tool the CLI started ends too (no orphans)', async () => {
    const cwd = tempDir('cwd')
    const pidFile = join(cwd, 'tool.pid')
    server.script({
      text: 'Running a long command.',
      toolCall: {
        name: 'Bash',
        input: { command: `echo $$ > ${pidFile}; sleep 60`, description: 'wait' },
        id: 'toolu_03',
      },
    })
    const a = attempt({ options: { permissionMode: 'bypassPermissions' } }, cwd)
    const running = failure(backend().execute(a.request, a.ctx))
    const readPid = () => {
      try {
        return Number(readFileSync(pidFile, 'utf8').trim()) || 0
      } catch {
        return 0
      }
    }
    await expect.poll(readPid, { timeout: 15_000 }).toBeGreaterThan(0)
    const toolPid = readPid()
    expect(isAlive(toolPid)).toBe(true)
    a.controller.abort({ kind: 'cancel', message: 'stop' })
    expect(await running).toMatchObject({ code: 'canceled' })
    await expect.poll(() => isAlive(toolPid), { timeout: 5000 }).toBe(false)
    await expect.poll(() => groupAlive(pidOf(a.events)!)).toBe(false)
  })

  it('reports a timeout when the signal aborts for one', async () => {
    server.script({ text: 'slow and slower', slowMs: 1000 })
    const before = posts().length
    const a = attempt()
    const running = failure(backend().execute(a.request, a.ctx))
    await expect.poll(() => posts().length - before, { timeout: 10_000 }).toBe(1)
    a.controller.abort({ kind: 'timeout', message: 'took too long' })
    expect(await running).toMatchObject({ code: 'timeout', retryable: true })
  })

  it('pauses and resumes the CLI with SIGSTOP/SIGCONT', async () => {
    server.script({ text: 'one two three four five', slowMs: 150 })
    const before = posts().length
    const b = backend()
    const a = attempt()
    const running = b.execute(a.request, a.ctx)
    await expect.poll(() => posts().length - before, { timeout: 10_000 }).toBe(1)
    const pid = pidOf(a.events)!
    await b.pause!(a.ctx)
    await expect.poll(() => processState(pid)).toBe('T')
    await delay(300)
    expect(processState(pid)).toBe('T')
    await b.resume!(a.ctx)
    expect((await running).output).toBe('one two three four five')
  })

  it('resumes a session: the second attempt passes --resume and carries the first conversation', async () => {
    const home = tempDir('home')
    server.script({ text: 'First answer.' })
    const first = attempt({ prompt: 'Remember the word PAPAYA' })
    const r1 = await backend(home).execute(first.request, first.ctx)
    expect(r1.sessionId).toBeDefined()

    server.script({ text: 'You said PAPAYA.' })
    const second = attempt({ prompt: 'Which word?', attempt: 2, sessionId: r1.sessionId }, first.ctx.workDir)
    const r2 = await backend(home).execute(second.request, second.ctx)
    expect(r2.output).toBe('You said PAPAYA.')
    expect(r2.sessionId).toBe(r1.sessionId)
    const started = second.events.find((e) => e.type === 'log' && e.message.startsWith('started '))
    expect((started as { message: string }).message).toContain(`--resume ${r1.sessionId}`)
    const history = JSON.stringify((posts().at(-1)!.body as { messages: unknown }).messages)
    expect(history).toContain('PAPAYA')
    expect(history).toContain('First answer.')
    expect(history).toContain('Which word?')
  })

  it('reports text deltas with includePartialMessages, and raw lines with logRaw', async () => {
    server.script({ text: 'Streaming in pieces, word by word.' })
    const a = attempt({ options: { includePartialMessages: true, logRaw: true } })
    const result = await backend().execute(a.request, a.ctx)
    const deltas = a.events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe(result.output)
    const raw = a.events.filter((e) => e.type === 'log' && e.level === 'debug' && e.stream === 'stdout')
    expect(raw.some((e) => (e as { message: string }).message.includes('"type":"result"'))).toBe(true)
  })

  it('healthcheck: the CLI version and whether a key is set', async () => {
    const health = await backend().healthcheck!()
    expect(health).toMatchObject({ ok: true, version: '2.1.197' })
    expect(health.details).toContain('ANTHROPIC_API_KEY set')
  })
})

describe('claude-code backend without the CLI', () => {
  it('fails with not_installed and the npm command when the binary is missing', async () => {
    const a = attempt({ options: { binary: '/nonexistent/bin/claude' } })
    const error = await failure(backend().execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'not_installed', retryable: false })
    expect(error.hint).toContain('npm i -g @anthropic-ai/claude-code')
    const b = createClaudeCodeBackend({ binary: 'no-such-claude-for-weft', env: { PATH: tempDir('path') } })
    const c = attempt()
    expect(await failure(b.execute(c.request, c.ctx))).toMatchObject({ code: 'not_installed' })
    expect(await b.healthcheck!()).toMatchObject({ ok: false })
  })

  it('replays the recorded transcript in stub mode, only when asked', async () => {
    const before = server.requests.length
    for (const b of [
      createClaudeCodeBackend({ binary: '/nonexistent/claude', env: { WEFT_STUB: '1' } }),
      createClaudeCodeBackend({ binary: '/nonexistent/claude', env: {}, stub: true }),
    ]) {
      const a = attempt()
      const result = await b.execute(a.request, a.ctx)
      expect(result.output).toBe('It printed hi.')
      expect(result.usage).toMatchObject({ inputTokens: 24, outputTokens: 16 })
      const types = a.events.map((e) => e.type)
      for (const t of ['session', 'message', 'tool_start', 'tool_end', 'usage']) expect(types).toContain(t)
      expect(await b.healthcheck!()).toMatchObject({ ok: true })
    }
    const a = attempt({ options: { stub: true, binary: '/nonexistent/claude' } })
    expect((await createClaudeCodeBackend({ env: {} }).execute(a.request, a.ctx)).output).toBe(
      'It printed hi.',
    )
    // Never silently: without stub mode a missing CLI is an error.
    const c = attempt({ options: { binary: '/nonexistent/claude' } })
    expect(await failure(createClaudeCodeBackend({ env: {} }).execute(c.request, c.ctx))).toMatchObject({
      code: 'not_installed',
    })
    expect(server.requests.length).toBe(before)
    expect(STUB_TRANSCRIPT.every((line) => JSON.parse(line))).toBeTruthy()
  })

  it('rejects bad options with bad_options', async () => {
    const bad: JsonObject[] = [{ maxTurns: 0 }, { permissionMode: 'yolo' }, { maxTurn: 3 }]
    for (const options of bad) {
      const a = attempt({ options })
      expect(await failure(backend().execute(a.request, a.ctx))).toMatchObject({ code: 'bad_options' })
    }
  })

  it('maps a run that prints no result line to bad_output', async () => {
    const dir = tempDir('bin')
    const fake = join(dir, 'claude')
    writeFileSync(fake, '#!/bin/sh\necho \'{"type":"system","subtype":"init","session_id":"s-1"}\'\n', {
      mode: 0o755,
    })
    const a = attempt({ options: { binary: fake } })
    const error = await failure(backend().execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'bad_output' })
    expect(a.events).toContainEqual({ type: 'session', sessionId: 's-1' })
  })
})
