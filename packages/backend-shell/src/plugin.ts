import { definePlugin } from '@weft/spec'
import { createShellBackend } from './shell-backend.js'

/** What a config file gets when it names `@weft/backend-shell`. */
export const plugin = definePlugin({ name: '@weft/backend-shell', backends: [createShellBackend()] })
