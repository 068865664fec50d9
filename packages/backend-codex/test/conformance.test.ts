import { describeBackend, type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, expect } from 'vitest'
import { createCodexBackend } from '../src/index.js'
import { sandbox } from './helpers.js'

let server: FakeModelServer | undefined
const box = sandbox()
let backend: ReturnType<typeof createCodexBackend> | undefined

afterAll(async () => {
  await backend?.dispose?.()
  await server?.close()
  box.cleanup()
})

/** The suite's requests arrive in no fixed order, so the fake server answers by the user's prompt. */
function promptOf(body: unknown): string {
  const input = (body as { input?: { role?: string; content?: { text?: string }[] }[] })?.input ?? []
  return (
    input
      .filter((m) => m.role === 'user')
      .at(-1)
      ?.content?.at(-1)?.text ?? ''
  )
}

describeBackend(
  'codex (real CLI, fake Responses server)',
  async () => {
    server = await startFakeModelServer({
      respond: (request) => {
        const prompt = promptOf(request.body)
        if (prompt.includes('FAIL')) return { status: 401 }
        if (prompt.includes('HANG')) return { text: 'an answer that takes forever', slowMs: 30_000 }
        return { text: 'Hello!', usage: { inputTokens: 9, outputTokens: 2 } }
      },
    })
    backend = createCodexBackend({
      env: { PATH: process.env.PATH, HOME: box.home, WEFT_TEST_KEY: 'sk-test' },
      killGraceMs: 500,
      defaults: { baseUrl: `${server.url}/v1`, apiKeyEnv: 'WEFT_TEST_KEY', model: 'fake-model' },
    })
    return backend
  },
  {
    succeed: {
      request: { prompt: 'Say hello' },
      expect: (result) => {
        expect(result.output).toBe('Hello!')
        expect(result.usage).toMatchObject({ inputTokens: 9, outputTokens: 2 })
        expect(result.sessionId).toBeTruthy()
      },
    },
    fail: { request: { prompt: 'FAIL please' }, code: 'auth' },
    hang: { request: { prompt: 'HANG please' } },
    emitsEvents: { request: { prompt: 'Say hello' } },
    stopWithinMs: 4000,
    settleMs: 1000,
    workDir: box.work,
  },
)
