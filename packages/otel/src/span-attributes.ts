/** What the span tree of spans.ts records: remote parents, failures, usage as attributes. */
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api'
import type { ErrorInfo, TraceContext, Usage } from '@weft/spec'
import { traceIds } from '@weft/spec'
import { GEN_AI, WEFT } from './attributes.js'

export function remoteContext(parent: TraceContext): Context {
  const { traceId, spanId, sampled } = traceIds(parent)
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  })
}

export function fail(span: Span, error: ErrorInfo, at: Date): void {
  span.recordException({ name: error.code, message: error.message }, at)
  span.setAttributes({
    'error.type': error.code,
    ...(error.retryable !== undefined ? { [WEFT.retryable]: error.retryable } : {}),
  })
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
}

export function errorInfoOf(error: unknown): ErrorInfo {
  const e = error as { code?: unknown; message?: unknown; retryable?: unknown } | undefined
  return {
    code: typeof e?.code === 'string' ? e.code : 'failed',
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.retryable === 'boolean' ? { retryable: e.retryable } : {}),
  }
}

/** GenAI usage attributes (and weft's finer split and cost) of a usage record. */
export function usageAttributes(usage: Partial<Usage>, model?: string, genAi = false): Attributes {
  const a: Attributes = {}
  // Only backend-call spans carry gen_ai.usage.*: observability backends add them up across a
  // trace, so the same tokens on the attempt, task and run spans would count four times.
  const keys = genAi
    ? { input: GEN_AI.inputTokens, output: GEN_AI.outputTokens }
    : { input: WEFT.inputTokens, output: WEFT.outputTokens }
  // GenAI's input tokens count everything the model read: weft keeps cache reads and writes apart.
  const input = (usage.inputTokens ?? 0) + (usage.cacheReadTokens ?? 0) + (usage.cacheWriteTokens ?? 0)
  const output = (usage.outputTokens ?? 0) + (usage.reasoningTokens ?? 0)
  if (input > 0 || usage.inputTokens !== undefined) a[keys.input] = input
  if (output > 0 || usage.outputTokens !== undefined) a[keys.output] = output
  if (usage.cacheReadTokens) a[WEFT.cacheReadTokens] = usage.cacheReadTokens
  if (usage.cacheWriteTokens) a[WEFT.cacheWriteTokens] = usage.cacheWriteTokens
  if (usage.reasoningTokens) a[WEFT.reasoningTokens] = usage.reasoningTokens
  if (usage.costUsd !== undefined) a[WEFT.costUsd] = usage.costUsd
  if (model) a[genAi ? GEN_AI.responseModel : 'weft.usage.model'] = model
  return a
}

export function flat(data: Record<string, unknown>): Attributes {
  const a: Attributes = {}
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') a[`weft.budget.${k}`] = v
  }
  return a
}
