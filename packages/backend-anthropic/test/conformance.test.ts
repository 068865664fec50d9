import { describeModelServerBackend } from '@weft/testing'
import { createAnthropicBackend } from '../src/index.js'

describeModelServerBackend(
  'anthropic',
  (server) => createAnthropicBackend({ baseUrl: server.url, apiKey: 'sk-test', env: {} }),
  { scenario: { tool: {}, stopWithinMs: 2000 } },
)
