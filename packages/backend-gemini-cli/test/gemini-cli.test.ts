import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BackendEvent } from '@weft/core'
import { type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createGeminiCliBackend } from '../src/index.js'
import {
  attempt,
  eventually,
  failure,
  GEMINI_BIN,
  geminiSandbox,
  MODEL,
  processesWithHome,
  processState,
} from './helpers.js'

// These run the real `gemini` (the pinned devDependency) against a fake Gemini API on 127.0.0.1.
let server: FakeModelServer
let box: ReturnType<typeof geminiSandbox>

beforeAll(async () => {
  server = await startFakeModelServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  box = geminiSandbox(server.url)
})
afterEach(() => {
  box.cleanup()
})

const backend = () => createGeminiCliBackend({ binary: GEMINI_BIN, model: MODEL, env: box.env })
const ofType = <T extends BackendEvent['type']>(events: BackendEvent[], type: T) =>
  events.filter((e): e is Extract<BackendEvent, { type: T }> => e.type === type)

describe('gemini-cli backend with the real CLI', () => {
  it('streams a plain answer: session, deltas, message, usage and the output', async () => {
    server.script({
      text: 'Hello from the fake Gemini.',
      usage: { inputTokens: 10, outputTokens: 4, cacheReadTokens: 3 },
    })
    const a = attempt({ prompt: 'Say hello' }, box.work)
    const result = await backend().execute(a.request, a.ctx)

    expect(result.output).toBe('Hello from the fake Gemini.')
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.usage).toEqual({ inputTokens: 10, outputTokens: 4, cacheReadTokens: 3, model: MODEL })
    expect(ofType(a.events, 'session')).toEqual([{ type: 'session', sessionId: result.sessionId }])
    const deltas = ofType(a.events, 'delta').map((e) => e.text)
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe('Hello from the fake Gemini.')
    expect(ofType(a.events, 'message')).toEqual([
      { type: 'message', role: 'assistant', text: 'Hello from the fake Gemini.' },
    ])
    expect(ofType(a.events, 'usage')).toEqual([
      { type: 'usage', inputTokens: 10, outputTokens: 4, cacheReadTokens: 3, model: MODEL },
    ])

    const sent = server.requests.at(-1)!
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:streamGenerateContent`)
    expect(sent.query.alt).toBe('sse')
    expect(sent.headers['x-goog-api-key']).toBe('test-key')
    expect(JSON.stringify(sent.body)).toContain('Say hello')
  })

  it('reports a tool round-trip (read_file in the working folder) as tool_start and tool_end', async () => {
    writeFileSync(join(box.work, 'notes.txt'), 'the secret word is weft-42\n')
    server.script([
      { text: 'Reading.', toolCall: { name: 'read_file', input: { file_path: 'notes.txt' } } },
      { text: 'The word is weft-42.' },
    ])
    const before = server.requests.length
    const a = attempt({ prompt: 'What is the secret word in notes.txt?' }, box.work)
    const result = await backend().execute(a.request, a.ctx)

    const starts = ofType(a.events, 'tool_start')
    const ends = ofType(a.events, 'tool_end')
    expect(starts).toHaveLength(1)
    expect(starts[0]).toMatchObject({ name: 'read_file', input: { file_path: 'notes.txt' } })
    expect(ends).toHaveLength(1)
    expect(ends[0]).toMatchObject({ toolId: starts[0]!.toolId, name: 'read_file' })
    expect(ends[0]!.error).toBeUndefined()
    // The CLI really read the file: its content went back to the model.
    expect(server.requests.length - before).toBe(2)
    expect(JSON.stringify(server.requests.at(-1)!.body)).toContain('weft-42')
    expect(ofType(a.events, 'message').map((m) => m.text)).toEqual(['Reading.', 'The word is weft-42.'])
    expect(result.output).toBe('The word is weft-42.')
    const order = a.events.map((e) => e.type).filter((t) => t !== 'delta' && t !== 'log')
    // `process` first: the CLI's process group, reported as soon as it is spawned.
    expect(order).toEqual(['process', 'session', 'message', 'tool_start', 'tool_end', 'message', 'usage'])
  })

  it("maps a 401 of the API to 'auth', not retryable", async () => {
    server.script({ status: 401 })
    const a = attempt({}, box.work)
    const error = await failure(backend().execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'auth', retryable: false, exitCode: 145 })
    expect(error.message).toContain('401')
  })

  it("maps a 500 of the API to 'server_error', retryable", async () => {
    server.script({ status: 500 })
    const a = attempt({}, box.work)
    const error = await failure(backend().execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'server_error', retryable: true, exitCode: 244 })
  })

  it('cancels mid-stream and leaves no process behind', async () => {
    server.script({ text: 'one two three four five six seven eight nine ten', slowMs: 1000 })
    const a = attempt({}, box.work)
    const running = backend().execute(a.request, a.ctx)
    await eventually(() => a.events.some((e) => e.type === 'delta'), 'the first delta', 20_000)
    expect(processesWithHome(box.home).length).toBeGreaterThan(0)
    const t0 = Date.now()
    a.controller.abort({ kind: 'cancel', message: 'canceled by the test' })
    const error = await failure(running)
    expect(error.code).toBe('canceled')
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(processesWithHome(box.home)).toEqual([])
  })

  it("says 'timeout' when the signal aborts for a timeout", async () => {
    server.script({ text: 'slow slow slow slow slow', slowMs: 1000 })
    const a = attempt({}, box.work)
    const running = backend().execute(a.request, a.ctx)
    await eventually(() => a.events.some((e) => e.type === 'delta'), 'the first delta', 20_000)
    a.controller.abort({ kind: 'timeout', message: 'task timed out' })
    const error = await failure(running)
    expect(error).toMatchObject({ code: 'timeout', retryable: true })
    expect(processesWithHome(box.home)).toEqual([])
  })

  it('pauses the CLI with SIGSTOP and continues it with SIGCONT', async () => {
    server.script({ text: 'a b c d e f', slowMs: 300 })
    const b = backend()
    const a = attempt({}, box.work)
    const running = b.execute(a.request, a.ctx)
    await eventually(() => a.events.some((e) => e.type === 'delta'), 'the first delta', 20_000)
    await b.pause!(a.ctx)
    const pids = processesWithHome(box.home)
    expect(pids.length).toBeGreaterThan(0)
    await eventually(() => pids.every((p) => processState(p) === 'T'), 'every process to stop')
    await b.resume!(a.ctx)
    const result = await running
    expect(result.output).toBe('a b c d e f')
  })

  it('resumes a session with --resume <id>: same session, earlier turns sent again', async () => {
    const b = backend()
    server.script({ text: 'First answer.' })
    const first = attempt({ prompt: 'Remember the word cobalt.' }, box.work)
    const one = await b.execute(first.request, first.ctx)
    expect(one.sessionId).toBeDefined()

    server.script({ text: 'It was cobalt.' })
    const second = attempt({ prompt: 'Which word?', sessionId: one.sessionId, attempt: 2 }, box.work)
    const two = await b.execute(second.request, second.ctx)
    expect(two.sessionId).toBe(one.sessionId)
    expect(two.output).toBe('It was cobalt.')
    const contents = (
      server.requests.at(-1)!.body as { contents: { role: string; parts: { text?: string }[] }[] }
    ).contents
    const texts = contents.map((c) => `${c.role}: ${c.parts.map((p) => p.text ?? '').join('')}`)
    expect(texts.some((t) => t.includes('Remember the word cobalt.'))).toBe(true)
    expect(texts).toContain('model: First answer.')
    expect(texts.at(-1)).toBe('user: Which word?')
  })

  it("fails an unknown session with 'bad_options' and a hint", async () => {
    const a = attempt({ sessionId: '11111111-2222-3333-4444-555555555555' }, box.work)
    const error = await failure(backend().execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'bad_options', retryable: false, exitCode: 42 })
    expect(error.hint).toContain('session')
  })

  it('answers healthcheck with the CLI version and whether the key is set', async () => {
    const health = await backend().healthcheck!()
    expect(health).toMatchObject({ ok: true, version: '0.61.0' })
    expect(health.details).toContain('GEMINI_API_KEY set')
  })
})

describe('gemini-cli backend without the CLI', () => {
  it("fails with 'not_installed' and the npm hint when the binary is missing", async () => {
    const b = createGeminiCliBackend({ binary: '/nonexistent/bin/gemini' })
    const a = attempt({}, box.work)
    const error = await failure(b.execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'not_installed', retryable: false })
    expect(error.hint).toContain('npm i -g @google/gemini-cli')
    const health = await b.healthcheck!()
    expect(health.ok).toBe(false)
  })

  it("finds nothing on an empty PATH and says 'not_installed'", async () => {
    // Neither the task's folder nor this process's has node_modules/.bin/gemini, and PATH is empty.
    const cwd = process.cwd()
    process.chdir(box.root)
    try {
      const b = createGeminiCliBackend({ env: { PATH: box.root } })
      const a = attempt({}, box.work)
      const error = await failure(b.execute(a.request, a.ctx))
      expect(error.code).toBe('not_installed')
      expect(error.message).toContain('gemini on PATH')
    } finally {
      process.chdir(cwd)
    }
  })

  it("rejects bad options with 'bad_options'", async () => {
    const a = attempt({ options: { approvalMode: 'sometimes' } }, box.work)
    expect((await failure(backend().execute(a.request, a.ctx))).code).toBe('bad_options')
  })

  it.each([
    ['with.stub', { binary: '/nonexistent/gemini' }, { stub: true }],
    ['WEFT_STUB=1', { binary: '/nonexistent/gemini', env: { WEFT_STUB: '1' } }, {}],
  ])(
    'replays the recorded transcript in stub mode (%s), without the CLI or a network',
    async (_, backendOptions, options) => {
      const requests = server.requests.length
      const b = createGeminiCliBackend(backendOptions)
      const a = attempt({ options }, box.work)
      const result = await b.execute(a.request, a.ctx)
      expect(result.output).toBe('This is a recorded answer from the Gemini CLI stub (no CLI was run).')
      expect(result.usage).toMatchObject({ inputTokens: 22, outputTokens: 12, cacheReadTokens: 3 })
      expect(a.events[0]).toMatchObject({
        type: 'log',
        level: 'info',
        message: expect.stringContaining('stub mode'),
      })
      expect(ofType(a.events, 'tool_start')[0]).toMatchObject({ name: 'list_directory' })
      expect(ofType(a.events, 'tool_end')).toHaveLength(1)
      expect(server.requests.length).toBe(requests)
    },
  )
})
