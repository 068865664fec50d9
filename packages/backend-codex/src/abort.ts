import { BackendError } from '@weft/core'

/**
 * The error to reject with once the task's signal aborted. The runtime decides the task's outcome
 * from `signal.reason` itself; this only has to say truthfully why the backend stopped.
 */
export function abortError(signal: AbortSignal): BackendError {
  const reason = signal.reason as { kind?: unknown; message?: unknown } | undefined
  const message = typeof reason?.message === 'string' ? reason.message : 'the Codex run was canceled'
  return reason?.kind === 'timeout'
    ? new BackendError('timeout', message)
    : new BackendError('canceled', message, { retryable: false })
}
