import { describeModelServerBackend } from '@weft/testing'
import { createClaudeCodeBackend } from '../src/index.js'
import { cleanupDirs, cliEnv, tempDir } from './helpers.js'

describeModelServerBackend(
  'claude-code',
  (server) => createClaudeCodeBackend({ env: cliEnv(server.url, tempDir('home')) }),
  {
    // The CLI runs the tool the model asks for, then asks again with its result.
    replies: { tool: { name: 'Bash', input: { command: 'echo hi' } } },
    scenario: {
      sessions: true,
      tool: { options: { permissionMode: 'bypassPermissions' } },
      // SIGTERM, then SIGKILL after the 2 s grace at worst.
      stopWithinMs: 4000,
      workDir: tempDir('cwd'),
    },
    cleanup: cleanupDirs,
  },
)
