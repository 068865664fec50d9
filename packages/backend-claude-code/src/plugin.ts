import { definePlugin } from '@weft/spec'
import { createClaudeCodeBackend } from './claude-code-backend.js'

/** What a config file gets when it names `@weft/backend-claude-code`. */
export const plugin = definePlugin({
  name: '@weft/backend-claude-code',
  backends: [createClaudeCodeBackend()],
})
