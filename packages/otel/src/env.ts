/**
 * The standard OpenTelemetry environment variables, read the way the OpenTelemetry SDKs read them,
 * so that weft is switched on and pointed at a collector like any other instrumented service:
 * `OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318` is enough.
 */
import type { OtelTraceSinkOptions } from './otel-sink.js'

/**
 * The sink's options from the environment, or undefined when tracing is not asked for: neither
 * `OTEL_EXPORTER_OTLP_ENDPOINT` nor `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, or
 * `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`.
 */
export function otelOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): OtelTraceSinkOptions | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return undefined
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()
  if (!endpoint && !tracesEndpoint) return undefined
  const metricsEndpoint = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim()
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL)
  const headers = keyValues(env.OTEL_EXPORTER_OTLP_HEADERS)
  const resourceAttributes = keyValues(env.OTEL_RESOURCE_ATTRIBUTES)
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(tracesEndpoint ? { tracesEndpoint } : {}),
    ...(metricsEndpoint ? { metricsEndpoint } : {}),
    ...(env.OTEL_SERVICE_NAME?.trim() ? { serviceName: env.OTEL_SERVICE_NAME.trim() } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(Object.keys(resourceAttributes).length ? { resourceAttributes } : {}),
    ...(env.OTEL_METRICS_EXPORTER?.trim().toLowerCase() === 'none' ? { metrics: false } : {}),
    ...(Number.isFinite(interval) && interval > 0 ? { metricIntervalMs: interval } : {}),
  }
}

/** `k1=v1,k2=v2` with percent-encoded values (W3C Baggage style, as the OTel spec says). */
function keyValues(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (raw ?? '').split(',')) {
    const i = part.indexOf('=')
    if (i <= 0) continue
    const key = part.slice(0, i).trim()
    const value = part.slice(i + 1).trim()
    try {
      if (key) out[key] = decodeURIComponent(value)
    } catch {
      if (key) out[key] = value
    }
  }
  return out
}
