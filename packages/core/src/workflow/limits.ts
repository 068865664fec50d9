/**
 * How big and how deep a workflow may be. Every limit turns a document that would exhaust the
 * stack, the heap or the event loop into a diagnostic that names the file, the path and the limit.
 * The defaults are generous enough for the largest workflows weft runs in its own tests (a chain
 * of 100,000 tasks); a server that accepts workflows from others passes stricter ones, e.g.
 * `validateWorkflow(raw, { limits: { maxTasks: 10_000 } })`.
 */
export interface WorkflowLimits {
  /** Size of a workflow's text in bytes (UTF-8), checked before it is parsed. */
  maxDocumentBytes: number
  /** Nesting of mappings and sequences (YAML block or flow, JSON, objects in code); the top level is 1. */
  maxDepth: number
  /** Tasks in one workflow. */
  maxTasks: number
  /** Characters inside one `${{ }}`. */
  maxExpressionLength: number
  /** Nesting inside one `${{ }}`: each `(` and each `!` is a level. */
  maxExpressionDepth: number
}

export const WORKFLOW_LIMITS: Readonly<WorkflowLimits> = Object.freeze({
  maxDocumentBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  maxTasks: 100_000,
  maxExpressionLength: 4096,
  maxExpressionDepth: 32,
})

/** The defaults with the given limits applied (undefined or non-positive values keep the default). */
export function resolveLimits(limits: Partial<WorkflowLimits> = {}): WorkflowLimits {
  const out = { ...WORKFLOW_LIMITS }
  for (const key of Object.keys(WORKFLOW_LIMITS) as (keyof WorkflowLimits)[]) {
    const v = limits[key]
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[key] = Math.floor(v)
  }
  return out
}

/** Names that `obj[name]` would resolve on every object; never valid as ids or names. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])
