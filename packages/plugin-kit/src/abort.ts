import { abortReasonOf, BackendError } from '@weft/spec'

/**
 * The error to reject with once the task's signal aborted. The runtime decides the task's outcome
 * from `signal.reason` itself; this only has to say truthfully why the backend stopped: `timeout`
 * when the task's own time ran out, `canceled` (not retryable) for everything else.
 */
export function abortError(signal: AbortSignal, fallback = 'the task was canceled'): BackendError {
  const reason = signal.aborted
    ? (signal.reason as { kind?: unknown; message?: unknown } | undefined)
    : undefined
  const message = typeof reason?.message === 'string' ? reason.message : fallback
  return abortReasonOf(signal)?.kind === 'timeout'
    ? new BackendError('timeout', message)
    : new BackendError('canceled', message, { retryable: false })
}

/** Waits `ms`, or rejects with `abortError` as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal))
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortError(signal))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Resolves never; rejects with `abortError` when the signal aborts. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(abortError(signal)), { once: true })
  })
}
