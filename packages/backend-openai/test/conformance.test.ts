import {
  conformanceReplies,
  describeBackend,
  type FakeModelServer,
  modelServerScenario,
  startFakeModelServer,
} from '@weft/testing'
import { afterAll } from 'vitest'
import { createOpenAIBackend } from '../src/index.js'

let server: FakeModelServer | undefined
afterAll(async () => {
  await server?.close()
})

describeBackend(
  'openai',
  async () => {
    server = await startFakeModelServer({ respond: conformanceReplies() })
    return createOpenAIBackend({ baseUrl: `${server.url}/v1`, apiKey: 'sk-test', env: {} })
  },
  modelServerScenario({ tool: {}, stopWithinMs: 2000 }),
)
