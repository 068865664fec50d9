import { describeModelBackendRuntime } from '@weft/testing'
import { createAnthropicBackend } from '../src/index.js'

describeModelBackendRuntime({
  backendId: 'anthropic',
  model: 'claude-sonnet-4-5',
  create: (url) => createAnthropicBackend({ baseUrl: url, apiKey: 'sk-test', env: {} }),
})
