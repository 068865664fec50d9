import { z } from 'zod'
import type { TaskResult } from './backend.js'
import type { WeftEvent } from './event.js'
import type { JsonObject } from './json.js'

export const TRACE_SINK_SPECIFICATION_VERSION = 'weft.trace-sink.v1' as const

/** `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>` (W3C Trace Context, version 00). */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/

/**
 * A W3C trace context: where the spans of a run, or of a backend call, belong in a trace that
 * started elsewhere (an HTTP client that started the run, the runtime that dispatched a task).
 */
export const TraceContextSchema = z.object({
  traceparent: z.string().regex(TRACEPARENT, 'a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>'),
  tracestate: z.string().max(512).optional(),
})
export type TraceContext = z.infer<typeof TraceContextSchema>

/** The context of a `traceparent` header value (and `tracestate`), or undefined when it is malformed. */
export function parseTraceparent(
  traceparent: string | undefined,
  tracestate?: string,
): TraceContext | undefined {
  const value = traceparent?.trim().toLowerCase()
  if (!value || !TRACEPARENT.test(value)) return undefined
  const state = tracestate?.trim()
  return { traceparent: value, ...(state && state.length <= 512 ? { tracestate: state } : {}) }
}

/** The trace id and parent span id of a context. */
export function traceIds(context: TraceContext): { traceId: string; spanId: string; sampled: boolean } {
  const [, traceId, spanId, flags] = context.traceparent.split('-') as [string, string, string, string]
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 }
}

/**
 * Events of a runtime rather than of a run: they have no run id and no seq, and are not in any
 * run's log. Trace sinks receive them (`lifecycle`), and a server logs them.
 */
export type RuntimeLifecycleEvent =
  | {
      type: 'runtime.started'
      ts: string
      /** The runtime's owner name in run leases (host, pid, start time). */
      owner: string
      data: { backends: string[]; store: string; maxParallelism: number }
    }
  | {
      type: 'runtime.stopped'
      ts: string
      owner: string
      data: { graceMs: number; uptimeMs: number; interruptedRuns: number }
    }

/** One call of a backend (one attempt of a task), as a trace sink sees it start. */
export interface BackendCallStart {
  runId: string
  taskId: string
  attempt: number
  /** The backend's id (`openai`, `shell`). */
  backend: string
  /** The model requested, when the task or its options name one. */
  model?: string
  /** What the backend can do: a model API or agent CLI reports usage, a shell command does not. */
  capabilities: { usage: boolean; tools: boolean }
  /** When the call starts (ISO). */
  ts: string
}

/** How a backend call ended. */
export type BackendCallEnd =
  | { ok: true; result: TaskResult; ts: string }
  | { ok: false; error: unknown; ts: string }

/** A backend call a sink follows: the context to hand to the backend, and its end. */
export interface BackendCallSpan {
  /** Handed to the backend as `request.trace`: it becomes `TRACEPARENT` or a `traceparent` header. */
  context?: TraceContext
  end(outcome: BackendCallEnd): void
}

/**
 * Where a runtime's traces go: OpenTelemetry (`@weft/otel`), a JSON Lines file
 * (`createJsonlTraceSink` of `@weft/core`), or your own. A sink only watches: it never changes a
 * run, and a sink that throws is reported as a warning and ignored. Every method but `event` is
 * optional.
 */
export interface TraceSink {
  specificationVersion: typeof TRACE_SINK_SPECIFICATION_VERSION
  /** For warnings (`otel`, `jsonl`). */
  name: string
  /**
   * Every event of every run this runtime executes, once committed to the store, in seq order per
   * run (and live-only deltas, with the seq of the last stored event). `run.created` carries the
   * run's `trace` when it was started inside another trace.
   */
  event(event: WeftEvent): void
  /** `runtime.started` (once its store is open) and `runtime.stopped` (after its shutdown). */
  lifecycle?(event: RuntimeLifecycleEvent): void
  /**
   * A backend call starts (after `task.started` was committed). The context it returns is handed
   * to the backend, so that its subprocess or HTTP request joins the trace.
   */
  backendCall?(call: BackendCallStart): BackendCallSpan | undefined
  /** Sends what is buffered. The runtime calls it on shutdown. */
  flush?(): Promise<void>
  /** Flushes and releases what the sink holds. The runtime calls it once, after `runtime.stopped`. */
  close?(): Promise<void>
}

export function defineTraceSink(sink: Omit<TraceSink, 'specificationVersion'>): TraceSink {
  return { specificationVersion: TRACE_SINK_SPECIFICATION_VERSION, ...sink }
}

/** A lifecycle event as a JSON object (for logs and JSONL files). */
export function lifecycleRecord(event: RuntimeLifecycleEvent): JsonObject {
  return { type: event.type, ts: event.ts, owner: event.owner, data: { ...event.data } }
}
