import type { ApiErrorBody, ApiErrorCode } from '@weft/api'
import { statusOfCode } from '@weft/api'
import { isWeftError } from '@weft/core'
import { HTTPException } from 'hono/http-exception'
import type { z } from 'zod'

/** An error the HTTP layer answers with: a stable code (its status follows), a message, a hint. */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  readonly code: ApiErrorCode
  readonly status: number
  readonly hint?: string
  readonly details?: unknown
  /** Extra response headers (`Retry-After`, `WWW-Authenticate`, `Allow`). */
  readonly headers?: Record<string, string>

  constructor(
    code: ApiErrorCode,
    message: string,
    options: { hint?: string; details?: unknown; headers?: Record<string, string>; status?: number } = {},
  ) {
    super(message)
    this.code = code
    this.status = options.status ?? statusOfCode(code)
    this.hint = options.hint
    this.details = options.details
    this.headers = options.headers
  }
}

/** `validation_failed` with every zod issue, each with the place it came from (`body`, `query`, `params`). */
export function validationError(
  where: 'body' | 'query' | 'params' | 'headers',
  error: z.ZodError,
): HttpError {
  const issues = error.issues.map((i) => ({
    path: [where, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    code: i.code,
    message: i.message,
  }))
  const first = issues[0]
  return new HttpError(
    'validation_failed',
    first
      ? `invalid ${where}: ${first.path.slice(1).join('.') || '(root)'}: ${first.message}`
      : `invalid ${where}`,
    { details: { issues }, hint: 'see details.issues and the OpenAPI document at /openapi.json' },
  )
}

export interface ErrorAnswer {
  status: number
  body: ApiErrorBody
  headers?: Record<string, string>
  /** Not an error the client made: log it. */
  internal: boolean
}

/** Turns anything thrown into the JSON answer: never a stack trace, unknown errors are `internal`. */
export function toErrorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      body: errorBody(err.code, err.message, err.hint, err.details),
      ...(err.headers ? { headers: err.headers } : {}),
      internal: err.status >= 500 && err.code === 'internal',
    }
  }
  if (isWeftError(err)) {
    const status = statusOfCode(err.code)
    const details =
      err.diagnostics.length > 0
        ? { diagnostics: err.diagnostics, ...(isObject(err.details) ? err.details : {}) }
        : err.details
    return {
      status,
      body: errorBody(err.code, err.message, err.hint, details),
      internal: status >= 500 && err.code !== 'runtime_closed',
    }
  }
  if (err instanceof HTTPException) {
    // Raised by hono itself (body limit, a malformed body it parsed): map by status.
    const code: ApiErrorCode =
      err.status === 413 ? 'payload_too_large' : err.status === 401 ? 'unauthorized' : 'malformed_body'
    if (err.status < 500)
      return { status: statusOfCode(code), body: errorBody(code, err.message || code), internal: false }
  }
  return {
    status: 500,
    body: errorBody('internal', 'internal error', 'the server logged the details; try again or report it'),
    internal: true,
  }
}

export function errorBody(
  code: ApiErrorCode,
  message: string,
  hint?: string,
  details?: unknown,
): ApiErrorBody {
  return {
    error: {
      code,
      message,
      ...(hint ? { hint } : {}),
      ...(details !== undefined ? { details } : {}),
    },
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
