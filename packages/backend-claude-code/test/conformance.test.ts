import {
  conformanceReplies,
  describeBackend,
  type FakeModelServer,
  modelServerScenario,
  startFakeModelServer,
} from '@weft/testing'
import { afterAll } from 'vitest'
import { createClaudeCodeBackend } from '../src/index.js'
import { cleanupDirs, cliEnv, tempDir } from './helpers.js'

let server: FakeModelServer | undefined

afterAll(async () => {
  await server?.close()
  cleanupDirs()
})

describeBackend(
  'claude-code',
  async () => {
    // The CLI runs the tool the model asks for, then asks again with its result.
    server = await startFakeModelServer({
      respond: conformanceReplies({ tool: { name: 'Bash', input: { command: 'echo hi' } } }),
    })
    return createClaudeCodeBackend({ env: cliEnv(server.url, tempDir('home')) })
  },
  modelServerScenario({
    sessions: true,
    tool: { options: { permissionMode: 'bypassPermissions' } },
    // SIGTERM, then SIGKILL after the 2 s grace at worst.
    stopWithinMs: 4000,
    workDir: tempDir('cwd'),
  }),
)
