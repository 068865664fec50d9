import {
  conformanceReplies,
  describeBackend,
  type FakeModelServer,
  modelServerScenario,
  startFakeModelServer,
} from '@weft/testing'
import { afterAll } from 'vitest'
import { createGeminiCliBackend } from '../src/index.js'
import { GEMINI_BIN, geminiSandbox, MODEL } from './helpers.js'

let server: FakeModelServer | undefined
let box: ReturnType<typeof geminiSandbox> | undefined

afterAll(async () => {
  await server?.close()
  box?.cleanup()
})

describeBackend(
  'gemini-cli',
  async () => {
    server ??= await startFakeModelServer({ respond: conformanceReplies() })
    box ??= geminiSandbox(server.url)
    return createGeminiCliBackend({ binary: GEMINI_BIN, model: MODEL, env: box.env })
  },
  modelServerScenario({ stopWithinMs: 4000 }),
)
