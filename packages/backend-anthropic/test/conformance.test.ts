import { describeBackend, type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, expect } from 'vitest'
import { createAnthropicBackend } from '../src/index.js'

let server: FakeModelServer | undefined

afterAll(async () => {
  await server?.close()
})

/** The suite's requests arrive in no fixed order, so the fake server answers by the prompt. */
function promptOf(body: unknown): string {
  return (body as { messages?: { content?: string }[] })?.messages?.[0]?.content ?? ''
}

describeBackend(
  'anthropic',
  async () => {
    server = await startFakeModelServer({
      respond: (request) => {
        const prompt = promptOf(request.body)
        if (prompt.includes('FAIL')) return { status: 401 }
        if (prompt.includes('HANG')) return { text: 'an answer that takes forever', slowMs: 30_000 }
        if (prompt.includes('TOOL'))
          return {
            thinking: 'I should look',
            text: 'Searching.',
            toolCall: { name: 'grep', input: { q: 'x' } },
          }
        return { text: 'Hello!', usage: { inputTokens: 9, outputTokens: 2 } }
      },
    })
    return createAnthropicBackend({ baseUrl: server.url, apiKey: 'sk-test', env: {} })
  },
  {
    succeed: {
      request: { prompt: 'Say hello' },
      expect: (result) => {
        expect(result.output).toBe('Hello!')
        expect(result.usage).toMatchObject({ inputTokens: 9, outputTokens: 2 })
      },
    },
    fail: { request: { prompt: 'FAIL please' }, code: 'auth' },
    hang: { request: { prompt: 'HANG please' } },
    emitsEvents: { request: { prompt: 'TOOL please' } },
    stopWithinMs: 2000,
  },
)
