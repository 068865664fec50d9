import { describeModelServerBackend } from '@weft/testing'
import { createCodexBackend } from '../src/index.js'
import { sandbox } from './helpers.js'

const box = sandbox()
let backend: ReturnType<typeof createCodexBackend> | undefined

describeModelServerBackend(
  'codex (real CLI, fake Responses server)',
  (server) => {
    backend = createCodexBackend({
      env: { PATH: process.env.PATH, HOME: box.home, WEFT_TEST_KEY: 'sk-test' },
      killGraceMs: 500,
      defaults: { baseUrl: `${server.url}/v1`, apiKeyEnv: 'WEFT_TEST_KEY', model: 'fake-model' },
    })
    return backend
  },
  {
    scenario: { sessions: true, stopWithinMs: 4000, settleMs: 1000, workDir: box.work },
    cleanup: async () => {
      await backend?.dispose?.()
      box.cleanup()
    },
  },
)
