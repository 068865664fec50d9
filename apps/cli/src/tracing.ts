/**
 * The trace sinks of the `weft` command and `weft-server`: OpenTelemetry when the standard
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or the config's `tracing.otlp`) asks for it, a JSON Lines file
 * when `tracing.jsonl` names one. Off by default: `@weft/otel` is imported only when it is used.
 */
import { resolve } from 'node:path'
import { createJsonlTraceSink, type TraceSink } from '@weft/core'
import type { WeftConfig } from './config/weft-config.js'

export async function loadTraceSinks(
  config: WeftConfig,
  env: NodeJS.ProcessEnv,
  configDir: string,
): Promise<TraceSink[]> {
  const sinks: TraceSink[] = []
  const tracing = config.tracing
  if (tracing?.jsonl) sinks.push(createJsonlTraceSink({ path: resolve(configDir, tracing.jsonl) }))
  const configured = tracing?.otlp
  // Loading the OpenTelemetry SDK costs start-up time: only when something asks for it.
  if (!configured && !env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return sinks
  const otel = await import('@weft/otel')
  const fromEnv = otel.otelOptionsFromEnv(env)
  if (fromEnv || configured) {
    // The environment wins over the file, as OpenTelemetry SDKs do.
    sinks.push(otel.createOtelTraceSink({ ...(configured === true ? {} : (configured ?? {})), ...fromEnv }))
  }
  return sinks
}
