import { BackendError } from '@weft/spec'

/**
 * The error to reject with once the task's signal aborted. The runtime decides the task's outcome
 * from `signal.reason` itself; this only has to say truthfully why the backend stopped.
 * `fallback` is the message used when the reason carries none (e.g. "the Codex run was canceled").
 */
export function abortError(signal: AbortSignal, fallback = 'the task was canceled'): BackendError {
  const reason = signal.reason as { kind?: unknown; message?: unknown } | undefined
  const message = typeof reason?.message === 'string' ? reason.message : fallback
  return reason?.kind === 'timeout'
    ? new BackendError('timeout', message)
    : new BackendError('canceled', message, { retryable: false })
}
