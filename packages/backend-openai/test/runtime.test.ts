import { describeModelBackendRuntime } from '@weft/testing'
import { createOpenAIBackend } from '../src/index.js'

describeModelBackendRuntime({
  backendId: 'openai',
  model: 'gpt-4o-mini',
  create: (url) => createOpenAIBackend({ baseUrl: `${url}/v1`, apiKey: 'sk-test', env: {} }),
})
