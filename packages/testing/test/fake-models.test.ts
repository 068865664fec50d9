import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeModelServer, startFakeModelServer } from '../src/index.js'

let server: FakeModelServer

beforeAll(async () => {
  server = await startFakeModelServer()
})
afterAll(async () => {
  await server.close()
})

interface Sse {
  event?: string
  data: string
}

/** A deliberately plain SSE reader: the point is that a generic client understands the stream. */
async function sse(response: Response): Promise<Sse[]> {
  const text = await response.text()
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const out: Sse = { data: '' }
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) out.event = line.slice(7)
        else if (line.startsWith('data: ')) out.data += line.slice(6)
      }
      return out
    })
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

describe('fake model server: Anthropic Messages', () => {
  it('streams a plain answer with the real event sequence and records the request', async () => {
    server.script({ text: 'Hi there', usage: { inputTokens: 7, outputTokens: 3, cacheReadTokens: 2 } })
    const res = await post(
      '/v1/messages',
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      },
      { 'x-api-key': 'test-key' },
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const events = await sse(res)
    expect(events.map((e) => e.event).filter((e) => e !== 'ping')).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ])
    const data = events.map((e) => JSON.parse(e.data))
    const text = data
      .filter((d) => d.type === 'content_block_delta')
      .map((d) => d.delta.text)
      .join('')
    expect(text).toBe('Hi there')
    expect(data[0].message.model).toBe('claude-sonnet-4-5')
    expect(data[0].message.usage).toMatchObject({ input_tokens: 7, cache_read_input_tokens: 2 })
    expect(data.find((d) => d.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: 3 },
    })
    const recorded = server.requests.at(-1)!
    expect(recorded).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      format: 'anthropic',
      completed: true,
    })
    expect(recorded.headers['x-api-key']).toBe('test-key')
    expect(recorded.body).toMatchObject({ model: 'claude-sonnet-4-5', stream: true })
  })

  it('streams thinking and a tool call whose input arrives as partial JSON', async () => {
    server.script({ thinking: 'Let me look', toolCall: { name: 'grep', input: { pattern: 'x', n: 2 } } })
    const data = (await sse(await post('/v1/messages', { model: 'm', stream: true }))).map((e) =>
      JSON.parse(e.data),
    )
    const starts = data.filter((d) => d.type === 'content_block_start').map((d) => d.content_block.type)
    expect(starts).toEqual(['thinking', 'tool_use'])
    const thinking = data
      .filter((d) => d.delta?.type === 'thinking_delta')
      .map((d) => d.delta.thinking)
      .join('')
    expect(thinking).toBe('Let me look')
    const json = data
      .filter((d) => d.delta?.type === 'input_json_delta')
      .map((d) => d.delta.partial_json)
      .join('')
    expect(JSON.parse(json)).toEqual({ pattern: 'x', n: 2 })
    expect(data.find((d) => d.type === 'message_delta').delta.stop_reason).toBe('tool_use')
  })

  it('answers an error status with an Anthropic error body', async () => {
    server.script({ status: 401 })
    const res = await post('/v1/messages', { model: 'm', stream: true })
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } })
  })

  it('answers HEAD / for reachability checks', async () => {
    const res = await fetch(`${server.url}/`, { method: 'HEAD' })
    expect(res.status).toBe(200)
  })
})

describe('fake model server: OpenAI Chat Completions', () => {
  it('streams content, then usage totals when asked, then [DONE]', async () => {
    server.script({
      text: 'Hello',
      usage: { inputTokens: 10, cacheReadTokens: 4, outputTokens: 5, reasoningTokens: 2 },
    })
    const events = await sse(
      await post('/v1/chat/completions', {
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
      }),
    )
    expect(events.at(-1)!.data).toBe('[DONE]')
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data))
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true)
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')
    expect(text).toBe('Hello')
    expect(chunks.at(-1).usage).toEqual({
      prompt_tokens: 14,
      completion_tokens: 7,
      total_tokens: 21,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 2 },
    })
  })

  it('leaves usage out without stream_options.include_usage and streams tool_calls deltas', async () => {
    server.script({ toolCall: { name: 'search', input: { q: 'weft' }, id: 'call_1' } })
    const events = await sse(await post('/v1/chat/completions', { model: 'm', stream: true }))
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data))
    expect(chunks.some((c) => c.usage)).toBe(false)
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? [])
    expect(calls[0]).toMatchObject({ index: 0, id: 'call_1', function: { name: 'search' } })
    expect(JSON.parse(calls.map((c) => c.function.arguments).join(''))).toEqual({ q: 'weft' })
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls')
  })

  it('lists models and answers 429 with an OpenAI error body', async () => {
    const models = await fetch(`${server.url}/v1/models`)
    expect(((await models.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0)
    server.script({ status: 429, headers: { 'retry-after': '1' } })
    const res = await post('/v1/chat/completions', { model: 'm', stream: true })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await res.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } })
  })
})

describe('fake model server: OpenAI Responses', () => {
  it('streams output items, text deltas and response.completed with usage', async () => {
    server.script({ text: 'Done it', usage: { inputTokens: 3, outputTokens: 4, reasoningTokens: 1 } })
    const events = await sse(await post('/v1/responses', { model: 'gpt-5', stream: true, input: 'go' }))
    const types = events.map((e) => e.event)
    expect(types[0]).toBe('response.created')
    expect(types).toContain('response.output_item.added')
    expect(types).toContain('response.output_item.done')
    expect(types.at(-1)).toBe('response.completed')
    const data = events.map((e) => JSON.parse(e.data))
    expect(data.map((d) => d.type)).toEqual(types)
    const text = data
      .filter((d) => d.type === 'response.output_text.delta')
      .map((d) => d.delta)
      .join('')
    expect(text).toBe('Done it')
    expect(data.at(-1).response.usage).toMatchObject({
      input_tokens: 3,
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 1 },
    })
  })
})

describe('fake model server: Gemini streamGenerateContent', () => {
  it('streams candidates with usageMetadata and records the model from the path', async () => {
    server.script({
      text: 'Bonjour',
      thinking: 'hmm',
      usage: { inputTokens: 9, outputTokens: 2, reasoningTokens: 3 },
    })
    const res = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    })
    const chunks = (await sse(res)).map((e) => JSON.parse(e.data))
    const parts = chunks.flatMap((c) => c.candidates[0].content.parts)
    expect(
      parts
        .filter((p) => !p.thought)
        .map((p) => p.text)
        .join(''),
    ).toBe('Bonjour')
    expect(
      parts
        .filter((p) => p.thought)
        .map((p) => p.text)
        .join(''),
    ).toBe('hmm')
    const last = chunks.at(-1)
    expect(last.candidates[0].finishReason).toBe('STOP')
    expect(last.usageMetadata).toMatchObject({
      promptTokenCount: 9,
      candidatesTokenCount: 2,
      thoughtsTokenCount: 3,
    })
    expect(last.modelVersion).toBe('gemini-2.5-flash')
    expect(server.requests.at(-1)).toMatchObject({ format: 'gemini', query: { alt: 'sse' } })
  })

  it('streams a functionCall part', async () => {
    server.script({ toolCall: { name: 'read_file', input: { path: 'a.ts' } } })
    const res = await post('/v1beta/models/g:streamGenerateContent?alt=sse', {})
    const parts = (await sse(res)).flatMap((e) => JSON.parse(e.data).candidates[0].content.parts)
    expect(parts).toContainEqual({ functionCall: { name: 'read_file', args: { path: 'a.ts' } } })
  })
})

describe('fake model server: failures and timing', () => {
  it('drops the connection after n chunks', async () => {
    server.script({ text: 'a long answer that will not arrive', dropAfterChunks: 2 })
    const res = await post('/v1/messages', { model: 'm', stream: true })
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
    const recorded = server.requests.at(-1)!
    expect(recorded.completed).toBe(false)
  })

  it('streams slowly and notices a client that aborts', async () => {
    server.script({ text: 'slow answer', slowMs: 100 })
    const controller = new AbortController()
    const started = Date.now()
    const res = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', stream: true }),
      signal: controller.signal,
    })
    const reader = res.body!.getReader()
    await reader.read()
    controller.abort()
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    await expect.poll(() => server.requests.at(-1)!.clientAborted).toBe(true)
  })

  it('uses scripted replies in order, then respond(), then the default', async () => {
    const own = await startFakeModelServer({
      respond: (r) => ((r.body as { model?: string })?.model === 'x' ? { status: 500 } : undefined),
      defaultReply: { text: 'default' },
    })
    try {
      own.script([{ text: 'first' }, { status: 503 }])
      const texts: (number | string)[] = []
      for (const model of ['a', 'a', 'x', 'a']) {
        const res = await fetch(`${own.url}/v1/chat/completions`, {
          method: 'POST',
          body: JSON.stringify({ model, stream: true }),
        })
        if (res.status !== 200) {
          texts.push(res.status)
          await res.text()
          continue
        }
        const body = await res.text()
        texts.push(
          body
            .split('\n\n')
            .filter((l) => l.startsWith('data: {'))
            .map((l) => JSON.parse(l.slice(6)).choices[0]?.delta?.content ?? '')
            .join(''),
        )
      }
      expect(texts).toEqual(['first', 503, 500, 'default'])
      expect(own.requests).toHaveLength(4)
    } finally {
      await own.close()
    }
  })

  it('answers 404 on unknown routes and closes with a stream still open', async () => {
    const own = await startFakeModelServer({ defaultReply: { text: 'never ending', slowMs: 10_000 } })
    const res404 = await fetch(`${own.url}/nope`, { method: 'POST' })
    expect(res404.status).toBe(404)
    const res = await fetch(`${own.url}/v1/messages`, { method: 'POST', body: '{}' })
    expect(res.status).toBe(200)
    const started = Date.now()
    await own.close()
    expect(Date.now() - started).toBeLessThan(2000)
    await expect(res.text()).rejects.toThrow()
  })
})
