import { definePlugin } from '@weft/spec'
import { createCodexBackend } from './codex-backend.js'

/** What a config file gets when it names `@weft/backend-codex`. */
export const plugin = definePlugin({ name: '@weft/backend-codex', backends: [createCodexBackend()] })
