import { definePlugin } from '@weft/spec'
import { createGeminiCliBackend } from './gemini-backend.js'

/** What a config file gets when it names `@weft/backend-gemini-cli`. */
export const plugin = definePlugin({ name: '@weft/backend-gemini-cli', backends: [createGeminiCliBackend()] })
