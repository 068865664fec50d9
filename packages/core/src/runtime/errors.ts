import type { ErrorInfo, Json } from '@weft/spec'
import { isBackendError, isWeftError } from '@weft/spec'

// Why an attempt's signal was aborted: one definition in @weft/spec, shared with the backends.
export { type AbortReason, abortReasonOf } from '@weft/spec'

export function toErrorInfo(err: unknown): ErrorInfo {
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
  if (isWeftError(err))
    return { code: err.code, message: err.message, retryable: false, ...(err.hint ? { hint: err.hint } : {}) }
  if (err instanceof Error) return { code: 'failed', message: err.message || err.name, retryable: false }
  return { code: 'failed', message: String(err), retryable: false }
}

/** Makes a backend's output a JSON value (undefined becomes null); fails on what JSON cannot hold. */
export function toJsonValue(value: unknown): Json {
  if (value === undefined) return null
  const text = JSON.stringify(value)
  return text === undefined ? null : (JSON.parse(text) as Json)
}
