export { argsOf, type ClaudeCodeBackendOptions, createClaudeCodeBackend } from './claude-code-backend.js'
export { ClaudeStream } from './claude-stream.js'
export {
  type ClaudeCodeOptions,
  type ClaudeCodeOptionsInput,
  ClaudeCodeOptionsSchema,
  PERMISSION_MODES,
} from './options.js'
export { plugin } from './plugin.js'
export { STUB_TRANSCRIPT } from './stub-transcript.js'
