import { describeBackend, type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, expect } from 'vitest'
import { createGeminiCliBackend } from '../src/index.js'
import { GEMINI_BIN, geminiSandbox, MODEL } from './helpers.js'

let server: FakeModelServer | undefined
let box: ReturnType<typeof geminiSandbox> | undefined

afterAll(async () => {
  await server?.close()
  box?.cleanup()
})

/** The user turn of a request: the suite's requests arrive in no fixed order, so replies go by it. */
function userText(body: unknown): string {
  const contents = (body as { contents?: { role?: string; parts?: { text?: string }[] }[] })?.contents ?? []
  return contents
    .filter((c) => c.role === 'user')
    .flatMap((c) => c.parts ?? [])
    .map((p) => p.text ?? '')
    .join('\n')
}

describeBackend(
  'gemini-cli',
  async () => {
    server ??= await startFakeModelServer({
      respond: (request) => {
        const prompt = userText(request.body)
        if (prompt.includes('WEFT_FAIL')) return { status: 401 }
        if (prompt.includes('WEFT_HANG')) return { text: 'an answer that takes forever', slowMs: 30_000 }
        return { text: 'Hello!', usage: { inputTokens: 9, outputTokens: 2 } }
      },
    })
    box ??= geminiSandbox(server.url)
    return createGeminiCliBackend({ binary: GEMINI_BIN, model: MODEL, env: box.env })
  },
  {
    succeed: {
      request: { prompt: 'Say hello' },
      expect: (result) => {
        expect(result.output).toBe('Hello!')
        expect(result.usage).toMatchObject({ inputTokens: 9, outputTokens: 2 })
      },
    },
    fail: { request: { prompt: 'WEFT_FAIL please' }, code: 'auth' },
    hang: { request: { prompt: 'WEFT_HANG please' } },
    emitsEvents: { request: { prompt: 'Say hello' } },
    stopWithinMs: 4000,
  },
)
