/** An attempt's outcome as a worker stores it in the queue and its run's owner reads it back. */
import type { BackendEvent, TaskResult } from '@weft/core'
import { isBackendError, isWeftError } from '@weft/core'

/** What a worker stores as an attempt's result (worker.ts writes it). */
export type StoredOutcome =
  | { result: TaskResult; events?: BackendEvent[] }
  | {
      error: {
        code: string
        message: string
        retryable?: boolean
        exitCode?: number
        hint?: string
        details?: unknown
      }
      events?: BackendEvent[]
    }

/** A thrown error as the JSON the owner turns back into a `BackendError`. */
export function errorInfo(err: unknown): Extract<StoredOutcome, { error: unknown }>['error'] {
  if (isBackendError(err)) {
    return {
      code: err.code,
      message: err.message,
      retryable: err.retryable,
      ...(err.exitCode !== undefined ? { exitCode: err.exitCode } : {}),
      ...(err.hint !== undefined ? { hint: err.hint } : {}),
      ...(err.details !== undefined ? { details: err.details } : {}),
    }
  }
  if (isWeftError(err)) return { code: 'failed', message: err.message, retryable: false }
  return { code: 'failed', message: (err as Error)?.message ?? String(err), retryable: false }
}
