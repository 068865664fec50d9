import { definePlugin } from '@weft/spec'
import { createEchoBackend } from './echo-backend.js'

export { createEchoBackend, EchoOptionsSchema } from './echo-backend.js'

/** What `plugins: [weft-backend-echo]` in weft.config.yaml loads. */
export const plugin = definePlugin({ name: 'weft-backend-echo', backends: [createEchoBackend()] })
