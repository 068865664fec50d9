import { describeBackend, type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, expect } from 'vitest'
import { createClaudeCodeBackend } from '../src/index.js'
import { cleanupDirs, cliEnv, tempDir } from './helpers.js'

let server: FakeModelServer | undefined

afterAll(async () => {
  await server?.close()
  cleanupDirs()
})

/**
 * The suite's requests arrive in no fixed order, so the fake server answers by the prompt. The
 * CLI sends a long history (system reminders, tool results): the marker is looked for in all of it.
 */
function conversationOf(body: unknown): string {
  return JSON.stringify((body as { messages?: unknown })?.messages ?? [])
}

describeBackend(
  'claude-code',
  async () => {
    server = await startFakeModelServer({
      respond: (request) => {
        const conversation = conversationOf(request.body)
        if (conversation.includes('FAIL')) return { status: 401 }
        if (conversation.includes('HANG')) return { text: 'an answer that takes forever', slowMs: 30_000 }
        if (conversation.includes('TOOL') && !conversation.includes('tool_result'))
          return { text: 'Checking.', toolCall: { name: 'Bash', input: { command: 'echo hi' } } }
        return { text: 'Hello!', usage: { inputTokens: 9, outputTokens: 2 } }
      },
    })
    return createClaudeCodeBackend({ env: cliEnv(server.url, tempDir('home')) })
  },
  {
    succeed: {
      request: { prompt: 'Say hello' },
      expect: (result) => {
        expect(result.output).toBe('Hello!')
        expect(result.usage).toMatchObject({ inputTokens: 9, outputTokens: 2 })
        expect(result.sessionId).toBeDefined()
      },
    },
    fail: { request: { prompt: 'FAIL please' }, code: 'auth' },
    hang: { request: { prompt: 'HANG please' } },
    emitsEvents: { request: { prompt: 'TOOL please', options: { permissionMode: 'bypassPermissions' } } },
    // SIGTERM, then SIGKILL after the 2 s grace at worst.
    stopWithinMs: 4000,
    workDir: tempDir('cwd'),
  },
)
