import {
  handMadeAttempt as attempt,
  delay,
  expectAbortMidStream,
  backendFailure as failure,
  startFakeModelServer,
  useFakeModelServer,
} from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { createAnthropicBackend } from '../src/index.js'

const server = useFakeModelServer()

const backend = () => createAnthropicBackend({ baseUrl: server.url, apiKey: 'sk-test', env: {} })

/** The error an attempt fails with when the fake server answers with `reply`. */
async function failureFor(reply: Parameters<typeof server.script>[0]) {
  server.script(reply)
  const a = attempt()
  return failure(backend().execute(a.request, a.ctx))
}

describe('anthropic backend against the fake Messages API', () => {
  it('streams a plain answer as deltas and a message, and returns the text with usage', async () => {
    server.script({
      text: 'Hello, weft!',
      usage: { inputTokens: 21, outputTokens: 5, cacheReadTokens: 100, cacheWriteTokens: 7 },
    })
    const a = attempt({ model: 'claude-haiku-4-5', options: { system: 'Be brief', maxTokens: 256 } })
    const result = await backend().execute(a.request, a.ctx)
    expect(result.output).toBe('Hello, weft!')
    expect(result.usage).toEqual({
      inputTokens: 21,
      outputTokens: 5,
      cacheReadTokens: 100,
      cacheWriteTokens: 7,
      model: 'claude-haiku-4-5',
    })
    const deltas = a.events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe('Hello, weft!')
    expect(a.events.at(-1)).toEqual({ type: 'message', role: 'assistant', text: 'Hello, weft!' })

    const sent = server.requests.at(-1)!
    expect(sent.path).toBe('/v1/messages')
    expect(sent.headers['x-api-key']).toBe('sk-test')
    expect(sent.headers['anthropic-version']).toBe('2023-06-01')
    expect(sent.body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      stream: true,
      system: 'Be brief',
      messages: [{ role: 'user', content: 'Say hello' }],
    })
  })

  it('reports a tool_use block as tool_start and tool_end with the assembled input', async () => {
    server.script({
      text: 'Let me search.',
      toolCall: { name: 'search', input: { q: 'weft', limit: 3 }, id: 'toolu_1' },
    })
    const a = attempt()
    const result = await backend().execute(a.request, a.ctx)
    expect(result.output).toBe('Let me search.')
    const tools = a.events.filter((e) => e.type === 'tool_start' || e.type === 'tool_end')
    expect(tools).toEqual([
      { type: 'tool_start', toolId: 'toolu_1', name: 'search', input: { q: 'weft', limit: 3 } },
      { type: 'tool_end', toolId: 'toolu_1', name: 'search' },
    ])
  })

  it('reports thinking as an assistant message before the answer', async () => {
    server.script({ thinking: 'The user wants a greeting.', text: 'Hi.' })
    const a = attempt({ options: { thinkingBudget: 2048, maxTokens: 4096 } })
    const result = await backend().execute(a.request, a.ctx)
    expect(result.output).toBe('Hi.')
    const messages = a.events.filter((e) => e.type === 'message').map((e) => (e as { text: string }).text)
    expect(messages).toEqual(['[thinking] The user wants a greeting.', 'Hi.'])
    expect(server.requests.at(-1)!.body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 } })
  })

  it('maps 401 to a non-retryable auth error with a hint', async () => {
    const error = await failureFor({ status: 401 })
    expect(error).toMatchObject({ code: 'auth', retryable: false })
    expect(error.message).toContain('authentication_error')
    expect(error.hint).toContain('apiKey option')
  })

  it('maps 429 to a retryable rate_limit error', async () => {
    const error = await failureFor({ status: 429, headers: { 'retry-after': '3' } })
    expect(error).toMatchObject({ code: 'rate_limit', retryable: true, details: { retryAfter: '3' } })
  })

  it('maps 500 and 529 (overloaded) to a retryable server_error', async () => {
    for (const status of [500, 529]) {
      expect(await failureFor({ status })).toMatchObject({
        code: 'server_error',
        retryable: true,
      })
    }
  })

  it('maps a connection dropped mid-stream to a retryable server_error', async () => {
    server.script({ text: 'this answer will be cut off halfway', dropAfterChunks: 4 })
    const a = attempt()
    const error = await failure(backend().execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'server_error', retryable: true })
    expect(a.events.some((e) => e.type === 'delta')).toBe(true)
  })

  it('maps an unreachable endpoint to a retryable server_error', async () => {
    const closed = await startFakeModelServer()
    await closed.close()
    const a = attempt()
    const error = await failure(
      createAnthropicBackend({ baseUrl: closed.url, apiKey: 'k', env: {} }).execute(a.request, a.ctx),
    )
    expect(error).toMatchObject({ code: 'server_error', retryable: true })
  })

  it('aborts the HTTP request mid-stream when the signal aborts', async () => {
    await expectAbortMidStream(backend(), server)
  })

  it('reports a timeout when the signal aborts for one', async () => {
    server.script({ text: 'slow', slowMs: 1000 })
    const a = attempt()
    const running = failure(backend().execute(a.request, a.ctx))
    await delay(100)
    a.controller.abort({ kind: 'timeout', message: 'took too long' })
    expect(await running).toMatchObject({ code: 'timeout' })
  })

  it('fails with auth before any request when no key is set', async () => {
    const before = server.requests.length
    const a = attempt()
    const error = await failure(
      createAnthropicBackend({ baseUrl: server.url, env: {} }).execute(a.request, a.ctx),
    )
    expect(error).toMatchObject({ code: 'auth', retryable: false })
    expect(error.hint).toContain('ANTHROPIC_API_KEY')
    expect(server.requests.length).toBe(before)
  })

  it('takes the key and base URL from the environment, and with.apiKeyEnv', async () => {
    const env = { ANTHROPIC_API_KEY: 'from-env', ANTHROPIC_BASE_URL: `${server.url}/`, OTHER_KEY: 'other' }
    const b = createAnthropicBackend({ env })
    const a = attempt()
    await b.execute(a.request, a.ctx)
    expect(server.requests.at(-1)!.headers['x-api-key']).toBe('from-env')
    const c = attempt({ options: { apiKeyEnv: 'OTHER_KEY' } })
    await b.execute(c.request, c.ctx)
    expect(server.requests.at(-1)!.headers['x-api-key']).toBe('other')
  })

  it('rejects bad options with bad_options', async () => {
    const a = attempt({ options: { maxTokens: -1 } })
    expect(await failure(backend().execute(a.request, a.ctx))).toMatchObject({ code: 'bad_options' })
  })

  it('replays the recorded transcript in stub mode without a key or a network', async () => {
    const before = server.requests.length
    for (const b of [
      createAnthropicBackend({ env: { WEFT_STUB: '1' } }),
      createAnthropicBackend({ env: {}, stub: true }),
    ]) {
      const a = attempt()
      const result = await b.execute(a.request, a.ctx)
      expect(result.output).toContain('recorded answer')
      expect(result.usage).toMatchObject({ inputTokens: 18, outputTokens: 17 })
      expect(a.events.some((e) => e.type === 'delta')).toBe(true)
      expect(await b.healthcheck!()).toMatchObject({ ok: true })
    }
    const a = attempt({ options: { stub: true } })
    expect((await createAnthropicBackend({ env: {} }).execute(a.request, a.ctx)).output).toContain('recorded')
    expect(server.requests.length).toBe(before)
  })

  it('healthcheck: key present and endpoint reachable', async () => {
    expect(await backend().healthcheck!()).toMatchObject({ ok: true })
    expect(server.requests.at(-1)).toMatchObject({ method: 'HEAD', path: '/' })
    const noKey = await createAnthropicBackend({ baseUrl: server.url, env: {} }).healthcheck!()
    expect(noKey.ok).toBe(false)
    expect(noKey.details).toContain('ANTHROPIC_API_KEY')
    const closed = await startFakeModelServer()
    await closed.close()
    const down = await createAnthropicBackend({ baseUrl: closed.url, apiKey: 'k', env: {} }).healthcheck!()
    expect(down.ok).toBe(false)
    expect(down.details).toContain('unreachable')
  })
})

describe('anthropic backend: stream contents', () => {
  /** A fetch that answers with a recorded SSE body, for stream shapes the fake server does not script. */
  const replying =
    (sse: string): typeof fetch =>
    async () =>
      new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } })

  it('maps an overloaded_error event inside the stream to a retryable server_error', async () => {
    const sse = [
      'event: message_start',
      'data: {"type":"message_start","message":{"model":"m","usage":{"input_tokens":3,"output_tokens":1}}}',
      '',
      'event: error',
      'data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      '',
      '',
    ].join('\n')
    const a = attempt()
    const b = createAnthropicBackend({ apiKey: 'k', env: {}, fetch: replying(sse) })
    const error = await failure(b.execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'server_error', retryable: true })
    expect(error.message).toContain('Overloaded')
  })

  it('maps a stream that ends before message_stop to a retryable server_error', async () => {
    const sse =
      'event: message_start\ndata: {"type":"message_start","message":{"model":"m","usage":{"input_tokens":3}}}\n\n'
    const a = attempt()
    const b = createAnthropicBackend({ apiKey: 'k', env: {}, fetch: replying(sse) })
    expect(await failure(b.execute(a.request, a.ctx))).toMatchObject({
      code: 'server_error',
      retryable: true,
    })
  })
})
