import { definePlugin } from '@weft/spec'
import { createAnthropicBackend } from './anthropic-backend.js'

/** What a config file gets when it names `@weft/backend-anthropic`. */
export const plugin = definePlugin({ name: '@weft/backend-anthropic', backends: [createAnthropicBackend()] })
