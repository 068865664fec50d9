import {
  conformanceReplies,
  describeBackend,
  type FakeModelServer,
  modelServerScenario,
  startFakeModelServer,
} from '@weft/testing'
import { afterAll } from 'vitest'
import { createAnthropicBackend } from '../src/index.js'

let server: FakeModelServer | undefined
afterAll(async () => {
  await server?.close()
})

describeBackend(
  'anthropic',
  async () => {
    server = await startFakeModelServer({ respond: conformanceReplies() })
    return createAnthropicBackend({ baseUrl: server.url, apiKey: 'sk-test', env: {} })
  },
  modelServerScenario({ tool: {}, stopWithinMs: 2000 }),
)
