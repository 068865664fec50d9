import { describeModelServerBackend } from '@weft/testing'
import { createOpenAIBackend } from '../src/index.js'

describeModelServerBackend(
  'openai',
  (server) => createOpenAIBackend({ baseUrl: `${server.url}/v1`, apiKey: 'sk-test', env: {} }),
  { scenario: { tool: {}, stopWithinMs: 2000 } },
)
