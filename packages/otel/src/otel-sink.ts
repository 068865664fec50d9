/**
 * The OpenTelemetry trace sink: weft's events become spans (run → task → attempt → backend call)
 * and metrics, exported over OTLP/HTTP by the official exporters. It has its own tracer and meter
 * providers and does not register them globally: weft's traces never mix with, or depend on, an
 * application's own OpenTelemetry setup.
 */
import type { Meter, Tracer } from '@opentelemetry/api'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import { defineTraceSink, type RuntimeLifecycleEvent, type TraceSink } from '@weft/spec'
import { WEFT } from './attributes.js'
import { PlannedIds } from './ids.js'
import { RuntimeMetrics } from './metrics.js'
import { RunSpans } from './spans.js'
import { VERSION } from './version.js'

export interface OtelTraceSinkOptions {
  /**
   * The OTLP/HTTP endpoint of a collector (`http://localhost:4318`): traces go to
   * `<endpoint>/v1/traces`, metrics to `<endpoint>/v1/metrics`. Default `http://localhost:4318`.
   */
  endpoint?: string
  /** Full URL for traces, when it is not `<endpoint>/v1/traces`. */
  tracesEndpoint?: string
  /** Full URL for metrics, when it is not `<endpoint>/v1/metrics`. */
  metricsEndpoint?: string
  /** Sent with every export (an API key of a hosted backend). */
  headers?: Record<string, string>
  /** `service.name` of the resource. Default `weft`. */
  serviceName?: string
  /** More resource attributes (`deployment.environment.name`, …). */
  resourceAttributes?: Record<string, string>
  /** Export metrics too. Default true. */
  metrics?: boolean
  /** How often metrics are exported. Default 60000 ms. */
  metricIntervalMs?: number
  /**
   * `batch` (default) exports spans in the background in batches; `simple` exports each span as
   * it ends (tests, short-lived processes).
   */
  spanProcessor?: 'batch' | 'simple'
  /**
   * Spans the batch processor holds before it drops new ones (OpenTelemetry's behaviour when an
   * exporter falls behind). Default 32768: a run of 10,000 tasks makes 30,000 spans in seconds.
   */
  maxQueueSize?: number
  /** Instead of OTLP/HTTP: any span exporter (an in-memory one in tests, another protocol). */
  spanExporter?: SpanExporter
  /** Instead of OTLP/HTTP: any metric exporter. */
  metricExporter?: PushMetricExporter
}

/** The OpenTelemetry trace sink, with its providers (for `forceFlush` or your own instruments). */
export interface OtelTraceSink extends TraceSink {
  readonly tracerProvider: BasicTracerProvider
  readonly meterProvider?: MeterProvider
  readonly tracer: Tracer
  readonly meter?: Meter
}

const DEFAULT_ENDPOINT = 'http://localhost:4318'

export function createOtelTraceSink(options: OtelTraceSinkOptions = {}): OtelTraceSink {
  const base = (options.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: options.serviceName ?? 'weft',
    [ATTR_SERVICE_VERSION]: VERSION,
    ...options.resourceAttributes,
  })
  const spanExporter =
    options.spanExporter ??
    new OTLPTraceExporter({
      url: options.tracesEndpoint ?? `${base}/v1/traces`,
      headers: options.headers ?? {},
    })
  const processor =
    options.spanProcessor === 'simple'
      ? new SimpleSpanProcessor(spanExporter)
      : new BatchSpanProcessor(spanExporter, {
          scheduledDelayMillis: 1000,
          maxQueueSize: options.maxQueueSize ?? 32_768,
          maxExportBatchSize: 1024,
        })
  const ids = new PlannedIds()
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [processor], idGenerator: ids })
  const tracer = tracerProvider.getTracer('@weft/otel', VERSION)

  let meterProvider: MeterProvider | undefined
  let metrics: RuntimeMetrics | undefined
  let meter: Meter | undefined
  if (options.metrics ?? true) {
    const exporter =
      options.metricExporter ??
      new OTLPMetricExporter({
        url: options.metricsEndpoint ?? `${base}/v1/metrics`,
        headers: options.headers ?? {},
      })
    meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: options.metricIntervalMs ?? 60_000,
        }),
      ],
    })
    meter = meterProvider.getMeter('@weft/otel', VERSION)
    metrics = new RuntimeMetrics(meter)
  }

  const spans = new RunSpans(tracer, ids)

  /** A lifecycle event as a span of no duration: one line in a trace view, easy to find. */
  const lifecycleSpan = (e: RuntimeLifecycleEvent) => {
    const at = new Date(e.ts)
    const span = tracer.startSpan(`weft.${e.type}`, {
      startTime: at,
      attributes: {
        [WEFT.owner]: e.owner,
        ...(e.type === 'runtime.started'
          ? {
              'weft.runtime.backends': e.data.backends,
              'weft.runtime.store': e.data.store,
              'weft.runtime.max_parallelism': e.data.maxParallelism,
            }
          : {
              'weft.runtime.grace_ms': e.data.graceMs,
              'weft.runtime.uptime_ms': e.data.uptimeMs,
              'weft.runtime.interrupted_runs': e.data.interruptedRuns,
            }),
      },
    })
    span.addEvent(e.type, {}, at)
    span.end(at)
  }

  let closed: Promise<void> | undefined
  const sink = defineTraceSink({
    name: 'otel',
    event(e) {
      spans.event(e)
      metrics?.event(e)
    },
    lifecycle(e) {
      if (e.type === 'runtime.stopped') spans.endAll(new Date(e.ts))
      lifecycleSpan(e)
      metrics?.lifecycle(e)
    },
    backendCall: (call) => spans.backendCall(call),
    async flush() {
      await Promise.all([tracerProvider.forceFlush(), meterProvider?.forceFlush()])
    },
    close() {
      closed ??= Promise.all([tracerProvider.shutdown(), meterProvider?.shutdown()]).then(() => {})
      return closed
    },
  })
  return Object.assign(sink, {
    tracerProvider,
    tracer,
    ...(meterProvider ? { meterProvider } : {}),
    ...(meter ? { meter } : {}),
  })
}
