export { type ShellOptions, type ShellOptionsInput, ShellOptionsSchema } from './options.js'
export { plugin } from './plugin.js'
export { createShellBackend, type ShellBackendOptions } from './shell-backend.js'
