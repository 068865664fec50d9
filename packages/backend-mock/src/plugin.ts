import { definePlugin } from '@weft/spec'
import { createMockBackend } from './mock-backend.js'

/** What a config file gets when it names `@weft/backend-mock`. */
export const plugin = definePlugin({ name: '@weft/backend-mock', backends: [createMockBackend()] })
