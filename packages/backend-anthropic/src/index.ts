export { type AnthropicBackendOptions, createAnthropicBackend } from './anthropic-backend.js'
export { type AnthropicOptions, AnthropicOptionsSchema } from './options.js'
export { plugin } from './plugin.js'
export { STUB_TRANSCRIPT } from './stub-transcript.js'
