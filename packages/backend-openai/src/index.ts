export { createOpenAIBackend, type OpenAIBackendOptions } from './openai-backend.js'
export { type OpenAIOptions, OpenAIOptionsSchema } from './options.js'
export { plugin } from './plugin.js'
export { STUB_TRANSCRIPT } from './stub-transcript.js'
