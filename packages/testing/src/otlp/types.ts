export interface SpanStatus {
  code: 'unset' | 'ok' | 'error'
  message?: string
}

/** One span as an OTLP receiver decoded it: ids in hex, times in milliseconds since the epoch. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer'
  startMs: number
  endMs: number
  attributes: Record<string, unknown>
  events: { name: string; timeMs: number; attributes: Record<string, unknown> }[]
  status: SpanStatus
  /** The attributes of the resource that sent it (`service.name`). */
  resource: Record<string, unknown>
  /** The instrumentation scope's name (`@weft/otel`). */
  scope: string
}

/** One data point of an exported metric. */
export interface ReceivedMetricPoint {
  name: string
  unit: string
  kind: 'sum' | 'gauge' | 'histogram'
  attributes: Record<string, unknown>
  /** Sums and gauges. */
  value?: number
  /** Histograms. */
  count?: number
  sum?: number
}
