import {
  handMadeAttempt as attempt,
  expectAbortMidStream,
  backendFailure as failure,
  startFakeModelServer,
  useFakeModelServer,
} from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { createOpenAIBackend } from '../src/index.js'

const server = useFakeModelServer()

const base = () => `${server.url}/v1`
const backend = () => createOpenAIBackend({ baseUrl: base(), apiKey: 'sk-test', env: {} })

/** The error an attempt fails with when the fake server answers with `reply`. */
async function failureFor(reply: Parameters<typeof server.script>[0]) {
  server.script(reply)
  const a = attempt()
  return failure(backend().execute(a.request, a.ctx))
}

describe('openai backend against the fake Chat Completions API', () => {
  it('streams a plain answer as deltas and a message, and returns the text', async () => {
    server.script({ text: 'Hello, weft!' })
    const a = attempt({
      model: 'llama3.2',
      options: { system: 'Be brief', maxTokens: 256, temperature: 0.2 },
    })
    const result = await backend().execute(a.request, a.ctx)
    expect(result.output).toBe('Hello, weft!')
    const deltas = a.events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe('Hello, weft!')
    expect(a.events.filter((e) => e.type === 'message')).toEqual([
      { type: 'message', role: 'assistant', text: 'Hello, weft!' },
    ])
    const sent = server.requests.at(-1)!
    expect(sent.path).toBe('/v1/chat/completions')
    expect(sent.headers.authorization).toBe('Bearer sk-test')
    expect(sent.body).toEqual({
      model: 'llama3.2',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 256,
      temperature: 0.2,
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Say hello' },
      ],
    })
  })

  it('maps usage totals to weft counts: cached and reasoning tokens subtracted', async () => {
    server.script({
      text: 'ok',
      usage: { inputTokens: 30, cacheReadTokens: 70, outputTokens: 12, reasoningTokens: 40 },
    })
    const a = attempt({ model: 'o4-mini' })
    const result = await backend().execute(a.request, a.ctx)
    // The wire said prompt_tokens 100 (70 cached) and completion_tokens 52 (40 reasoning).
    expect(result.usage).toEqual({
      inputTokens: 30,
      cacheReadTokens: 70,
      outputTokens: 12,
      reasoningTokens: 40,
      model: 'o4-mini',
    })
  })

  it('assembles tool_calls deltas into tool_start and tool_end', async () => {
    server.script({ toolCall: { name: 'search', input: { q: 'weft', limit: 3 }, id: 'call_1' } })
    const a = attempt()
    const result = await backend().execute(a.request, a.ctx)
    expect(result.output).toBe('')
    expect(a.events.filter((e) => e.type === 'tool_start' || e.type === 'tool_end')).toEqual([
      { type: 'tool_start', toolId: 'call_1', name: 'search', input: { q: 'weft', limit: 3 } },
      { type: 'tool_end', toolId: 'call_1', name: 'search' },
    ])
  })

  it('reports reasoning_content as a thinking message before the answer', async () => {
    server.script({ thinking: 'They want a greeting.', text: 'Hi.' })
    const a = attempt()
    expect((await backend().execute(a.request, a.ctx)).output).toBe('Hi.')
    const messages = a.events.filter((e) => e.type === 'message').map((e) => (e as { text: string }).text)
    expect(messages).toEqual(['[thinking] They want a greeting.', 'Hi.'])
  })

  it('maps 401 to a non-retryable auth error', async () => {
    expect(await failureFor({ status: 401 })).toMatchObject({
      code: 'auth',
      retryable: false,
    })
  })

  it('maps 429 to a retryable rate_limit, but an exhausted quota to a non-retryable one', async () => {
    expect(await failureFor({ status: 429 })).toMatchObject({
      code: 'rate_limit',
      retryable: true,
    })
    const quota = {
      message: 'You exceeded your current quota',
      type: 'insufficient_quota',
      code: 'insufficient_quota',
    }
    expect(await failureFor({ status: 429, body: { error: quota } })).toMatchObject({
      code: 'rate_limit',
      retryable: false,
    })
  })

  it('maps 500 to a retryable server_error, and an Ollama-style 404 body to failed', async () => {
    expect(await failureFor({ status: 500 })).toMatchObject({
      code: 'server_error',
      retryable: true,
    })
    const error = await failureFor({ status: 404, body: { error: "model 'nope' not found" } })
    expect(error).toMatchObject({ code: 'failed', retryable: false })
    expect(error.message).toContain("model 'nope' not found")
  })

  it('maps a connection dropped mid-stream to a retryable server_error', async () => {
    expect(
      await failureFor({ text: 'this answer will be cut off halfway', dropAfterChunks: 2 }),
    ).toMatchObject({
      code: 'server_error',
      retryable: true,
    })
  })

  it('aborts the HTTP request mid-stream when the signal aborts', async () => {
    await expectAbortMidStream(backend(), server)
  })

  it('needs no key for a local server, but does for api.openai.com', async () => {
    const a = attempt()
    await createOpenAIBackend({ env: { OPENAI_BASE_URL: base() } }).execute(a.request, a.ctx)
    expect(server.requests.at(-1)!.headers.authorization).toBeUndefined()
    const b = attempt()
    const error = await failure(createOpenAIBackend({ env: {} }).execute(b.request, b.ctx))
    expect(error).toMatchObject({ code: 'auth', retryable: false })
    expect(error.hint).toContain('OPENAI_API_KEY')
  })

  it('takes the key from OPENAI_API_KEY or with.apiKeyEnv', async () => {
    const b = createOpenAIBackend({ env: { OPENAI_BASE_URL: base(), OPENAI_API_KEY: 'env-key', GROQ: 'g' } })
    const a = attempt()
    await b.execute(a.request, a.ctx)
    expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer env-key')
    const c = attempt({ options: { apiKeyEnv: 'GROQ' } })
    await b.execute(c.request, c.ctx)
    expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer g')
  })

  it('replays the recorded transcript in stub mode without a network', async () => {
    const before = server.requests.length
    for (const b of [
      createOpenAIBackend({ env: { WEFT_STUB: '1' } }),
      createOpenAIBackend({ env: {}, stub: true }),
    ]) {
      const a = attempt()
      const result = await b.execute(a.request, a.ctx)
      expect(result.output).toContain('recorded answer')
      expect(result.usage).toMatchObject({ inputTokens: 20, outputTokens: 16, model: 'gpt-4o-mini' })
      expect(await b.healthcheck!()).toMatchObject({ ok: true })
    }
    expect(server.requests.length).toBe(before)
  })

  it('healthcheck: GET /models answers', async () => {
    expect(await backend().healthcheck!()).toMatchObject({ ok: true })
    expect(server.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' })
    const closed = await startFakeModelServer()
    await closed.close()
    const down = await createOpenAIBackend({ baseUrl: `${closed.url}/v1`, env: {} }).healthcheck!()
    expect(down.ok).toBe(false)
    expect(down.details).toContain('unreachable')
  })

  it('rejects bad options with bad_options', async () => {
    const a = attempt({ options: { temperature: 5 } })
    expect(await failure(backend().execute(a.request, a.ctx))).toMatchObject({ code: 'bad_options' })
  })
})

describe('openai backend: stream contents', () => {
  /** A fetch that answers with a recorded SSE body, for stream shapes the fake server does not script. */
  const replying =
    (sse: string): typeof fetch =>
    async () =>
      new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } })
  const local = (sse: string) =>
    createOpenAIBackend({ baseUrl: 'http://127.0.0.1:9/v1', env: {}, fetch: replying(sse) })

  it('maps an error object inside the stream to a retryable server_error', async () => {
    const sse =
      'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: {"error":{"message":"upstream died"}}\n\n'
    const a = attempt()
    const error = await failure(local(sse).execute(a.request, a.ctx))
    expect(error).toMatchObject({ code: 'server_error', retryable: true })
    expect(error.message).toContain('upstream died')
  })

  it('maps a stream that ends before the answer did to a retryable server_error', async () => {
    const a = attempt()
    const error = await failure(
      local('data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n').execute(a.request, a.ctx),
    )
    expect(error).toMatchObject({ code: 'server_error', retryable: true })
  })

  it('reads Ollama-style reasoning and usage in the last choice chunk without [DONE]', async () => {
    const sse = [
      'data: {"model":"qwen3","choices":[{"index":0,"delta":{"reasoning":"hmm"}}]}',
      'data: {"model":"qwen3","choices":[{"index":0,"delta":{"content":"42"}}]}',
      'data: {"model":"qwen3","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3}}',
      '',
      '',
    ].join('\n\n')
    const a = attempt()
    const result = await local(sse).execute(a.request, a.ctx)
    expect(result).toEqual({
      output: '42',
      usage: { inputTokens: 5, outputTokens: 3, cacheReadTokens: 0, reasoningTokens: 0, model: 'qwen3' },
    })
    expect(a.events.filter((e) => e.type === 'message').map((e) => (e as { text: string }).text)).toEqual([
      '[thinking] hmm',
      '42',
    ])
  })
})
