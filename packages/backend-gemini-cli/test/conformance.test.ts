import { describeModelServerBackend } from '@weft/testing'
import { createGeminiCliBackend } from '../src/index.js'
import { GEMINI_BIN, geminiSandbox, MODEL } from './helpers.js'

let box: ReturnType<typeof geminiSandbox> | undefined

describeModelServerBackend(
  'gemini-cli',
  (server) => {
    box ??= geminiSandbox(server.url)
    return createGeminiCliBackend({ binary: GEMINI_BIN, model: MODEL, env: box.env })
  },
  { scenario: { stopWithinMs: 4000 }, cleanup: () => box?.cleanup() },
)
