import type { TaskRequest } from '@weft/spec'

/**
 * `TRACEPARENT` (and `TRACESTATE`) for a subprocess's environment, from the request's trace
 * context: the names the OpenTelemetry environment-carrier convention uses, so an instrumented
 * program (or a script that passes it on as a header) continues weft's trace. Empty without one.
 */
export function traceEnv(request: Pick<TaskRequest, 'trace'>): Record<string, string> {
  const t = request.trace
  if (!t) return {}
  return { TRACEPARENT: t.traceparent, ...(t.tracestate ? { TRACESTATE: t.tracestate } : {}) }
}

/** `traceparent` (and `tracestate`) headers for an HTTP request (W3C Trace Context). Empty without one. */
export function traceHeaders(request: Pick<TaskRequest, 'trace'>): Record<string, string> {
  const t = request.trace
  if (!t) return {}
  return { traceparent: t.traceparent, ...(t.tracestate ? { tracestate: t.tracestate } : {}) }
}
