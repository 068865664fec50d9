/**
 * Ids that any process can compute again from what the store keeps. A run's trace id is the trace
 * it was started in (`RunSpec.trace`) or, without one, derived from its run id; an attempt's span
 * id and its backend call's are derived from (run, task, attempt). So a process that continues a
 * run puts its spans in the same trace, and a worker on another machine that runs an attempt can
 * parent its work to the attempt's span with `attemptTraceContext` alone, without asking anyone.
 * The ids are SHA-256 of ids that are themselves random (run ids), so they are as random as
 * tracing needs (samplers read trace ids as random numbers).
 */
import { createHash } from 'node:crypto'
import { type IdGenerator, RandomIdGenerator } from '@opentelemetry/sdk-trace-base'
import { type TraceContext, traceIds } from '@weft/spec'

const hash = (parts: (string | number)[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex')

/** The trace id of a run: its caller's, else derived from its id. */
export function runTraceId(runId: string, trace?: TraceContext): string {
  return trace ? traceIds(trace).traceId : hash(['weft.trace', runId]).slice(0, 32)
}

/** The span id of attempt `attempt` of a task, or of its backend call (`call`). */
export function attemptSpanId(runId: string, taskId: string, attempt: number, call = false): string {
  return hash(['weft.attempt', runId, taskId, attempt, ...(call ? ['call'] : [])]).slice(0, 16)
}

/**
 * The W3C context of an attempt's span (or, with `call`, of its backend call's), as `@weft/otel`
 * creates it: what a worker that runs the attempt elsewhere passes on to continue the trace.
 */
export function attemptTraceContext(ref: {
  runId: string
  taskId: string
  attempt: number
  /** The run's `RunSpec.trace`, when it was started in a trace. */
  trace?: TraceContext
  call?: boolean
}): TraceContext {
  const sampled = ref.trace ? traceIds(ref.trace).sampled : true
  const traceId = runTraceId(ref.runId, ref.trace)
  const spanId = attemptSpanId(ref.runId, ref.taskId, ref.attempt, ref.call)
  return { traceparent: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}` }
}

/**
 * The SDK's id generator, told the next ids: `plan` before a `startSpan` (synchronous), random
 * ids when nothing is planned, as the SDK's own generator does.
 */
export class PlannedIds implements IdGenerator {
  private readonly random = new RandomIdGenerator()
  private traceId: string | undefined
  private spanId: string | undefined

  /** The ids of the next span started; `clear` after the start, whether the SDK took them or not. */
  plan(ids: { traceId?: string; spanId?: string }): void {
    this.traceId = ids.traceId
    this.spanId = ids.spanId
  }

  clear(): void {
    this.traceId = undefined
    this.spanId = undefined
  }

  generateTraceId(): string {
    return this.traceId ?? this.random.generateTraceId()
  }

  generateSpanId(): string {
    return this.spanId ?? this.random.generateSpanId()
  }
}
