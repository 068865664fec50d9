/**
 * Why an attempt's signal was aborted. The runtime aborts `ctx.signal` with one of these as its
 * `reason` and decides the task's outcome from it, not from the error the backend throws; a backend
 * reads it only to say truthfully why it stopped (a `timeout` error, or `canceled`).
 */
export const ABORT_REASON_KINDS = ['cancel', 'timeout', 'run_timeout', 'fail_fast', 'shutdown'] as const
export type AbortReasonKind = (typeof ABORT_REASON_KINDS)[number]

export interface AbortReason {
  /**
   * `cancel`: a person or client canceled the run; `timeout`: the task's own `timeoutMs` passed;
   * `run_timeout`: the run's deadline passed; `fail_fast`: another task failed a `failFast` run;
   * `shutdown`: the runtime is closing (the attempt will run again after recovery).
   */
  kind: AbortReasonKind
  message: string
}

const KINDS: ReadonlySet<string> = new Set(ABORT_REASON_KINDS)

export function isAbortReason(value: unknown): value is AbortReason {
  const r = value as Partial<AbortReason> | null | undefined
  return typeof r === 'object' && r !== null && typeof r.kind === 'string' && KINDS.has(r.kind)
}

/**
 * The reason of an aborted signal; undefined while it has not aborted. A signal aborted by
 * something else than the runtime (a plain `controller.abort()`) counts as a cancel.
 */
export function abortReasonOf(signal: AbortSignal): AbortReason | undefined {
  if (!signal.aborted) return undefined
  const r = signal.reason as Partial<AbortReason> | undefined
  if (isAbortReason(r)) return r
  // An unknown kind still says what happened in its message; only its kind is unknown to us.
  if (r && typeof r.kind === 'string') return r as AbortReason
  return {
    kind: 'cancel',
    message: r instanceof Error ? r.message : typeof r === 'string' ? r : String(signal.reason),
  }
}
