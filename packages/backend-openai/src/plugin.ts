import { definePlugin } from '@weft/spec'
import { createOpenAIBackend } from './openai-backend.js'

/** What a config file gets when it names `@weft/backend-openai`. */
export const plugin = definePlugin({ name: '@weft/backend-openai', backends: [createOpenAIBackend()] })
