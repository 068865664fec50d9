import {
  conformanceReplies,
  describeBackend,
  type FakeModelServer,
  modelServerScenario,
  startFakeModelServer,
} from '@weft/testing'
import { afterAll } from 'vitest'
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

describeBackend(
  'codex (real CLI, fake Responses server)',
  async () => {
    server = await startFakeModelServer({ respond: conformanceReplies() })
    backend = createCodexBackend({
      env: { PATH: process.env.PATH, HOME: box.home, WEFT_TEST_KEY: 'sk-test' },
      killGraceMs: 500,
      defaults: { baseUrl: `${server.url}/v1`, apiKeyEnv: 'WEFT_TEST_KEY', model: 'fake-model' },
    })
    return backend
  },
  modelServerScenario({ sessions: true, stopWithinMs: 4000, settleMs: 1000, workDir: box.work }),
)
