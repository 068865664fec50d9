import { definePlugin } from '@weft/spec'
import { otelOptionsFromEnv } from './env.js'
import { createOtelTraceSink } from './otel-sink.js'

/**
 * For `plugins: ['@weft/otel']` in weft.config: a trace sink configured from the standard
 * `OTEL_*` variables, exporting to `http://localhost:4318` when none names an endpoint. Created
 * by the runtime that loads the plugin, not on import.
 */
export const plugin = definePlugin({
  name: '@weft/otel',
  traceSink: () => createOtelTraceSink(otelOptionsFromEnv() ?? {}),
})
