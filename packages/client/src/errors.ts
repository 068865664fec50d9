import { ApiErrorBodySchema, type ApiErrorCode } from '@weft/api'
import { type Diagnostic, DiagnosticSchema } from '@weft/core/contracts'

/** Codes only the client produces: the server answered, but not with what the API promises. */
export type ClientErrorCode = 'invalid_response'

export interface WeftApiErrorInit {
  status: number
  code: ApiErrorCode | ClientErrorCode
  message: string
  hint?: string
  details?: unknown
  /** `GET /api/v1/runs/r1` */
  request?: string
}

/**
 * A non-2xx answer of the weft server, from its `{ error: { code, message, hint?, details? } }`
 * body: `code` is stable (`run_not_found`, `validation_failed`, `unauthorized`, …), `status` is
 * the HTTP status. An invalid workflow has its diagnostics (file:line, path, fix) in `diagnostics`.
 */
export class WeftApiError extends Error {
  override readonly name: string = 'WeftApiError'
  readonly status: number
  readonly code: ApiErrorCode | ClientErrorCode
  readonly hint?: string
  readonly details?: unknown
  /** The request that failed, e.g. `POST /api/v1/runs`. */
  readonly request?: string

  constructor(init: WeftApiErrorInit) {
    super(init.message)
    this.status = init.status
    this.code = init.code
    if (init.hint !== undefined) this.hint = init.hint
    if (init.details !== undefined) this.details = init.details
    if (init.request !== undefined) this.request = init.request
  }

  /** `details.diagnostics` of a `workflow_invalid` (or `input_invalid`) answer; empty otherwise. */
  get diagnostics(): Diagnostic[] {
    const list = (this.details as { diagnostics?: unknown } | undefined)?.diagnostics
    if (!Array.isArray(list)) return []
    return list.flatMap((d) => {
      const parsed = DiagnosticSchema.safeParse(d)
      return parsed.success ? [parsed.data] : []
    })
  }

  /** `details.issues` of a `validation_failed` answer (zod issues: path and message); empty otherwise. */
  get issues(): { path: (string | number)[]; message: string }[] {
    const list = (this.details as { issues?: unknown } | undefined)?.issues
    return Array.isArray(list) ? (list as { path: (string | number)[]; message: string }[]) : []
  }
}

export function isWeftApiError(value: unknown): value is WeftApiError {
  return value instanceof WeftApiError
}

/**
 * The server could not be reached, or did not answer in time: nothing is known about whether a
 * request with side effects was applied (`runs.start` sends an idempotency key so that it can be
 * retried safely).
 */
export class WeftConnectionError extends Error {
  override readonly name: string = 'WeftConnectionError'
  /** The server's base URL. */
  readonly url: string
  /** `ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`, `timeout`, … (`unknown` when the platform does not say). */
  readonly reason: string
  readonly request?: string

  constructor(
    url: string,
    reason: string,
    options: { request?: string; cause?: unknown; message?: string } = {},
  ) {
    super(
      options.message ?? `cannot reach the weft server at ${url}: ${reason}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    this.url = url
    this.reason = reason
    if (options.request !== undefined) this.request = options.request
  }
}

export function isWeftConnectionError(value: unknown): value is WeftConnectionError {
  return value instanceof WeftConnectionError
}

/** What an HTTP status means when the body is not weft's error shape (a proxy answered, say). */
function codeOfStatus(status: number): ApiErrorCode {
  if (status === 400) return 'validation_failed'
  if (status === 401) return 'unauthorized'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 405) return 'method_not_allowed'
  if (status === 409) return 'conflict'
  if (status === 413) return 'payload_too_large'
  if (status === 429) return 'queue_full'
  if (status === 502 || status === 503 || status === 504) return 'unavailable'
  return 'internal'
}

/** Builds the error of a non-2xx answer from its body (read as text), whatever that body is. */
export function errorFromResponse(
  status: number,
  statusText: string,
  text: string,
  request: string,
): WeftApiError {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const parsed = ApiErrorBodySchema.safeParse(json)
  if (parsed.success) {
    const e = parsed.data.error
    return new WeftApiError({
      status,
      code: e.code,
      message: e.message,
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      ...(e.details !== undefined ? { details: e.details } : {}),
      request,
    })
  }
  const snippet = text.trim().replace(/\s+/g, ' ').slice(0, 200)
  return new WeftApiError({
    status,
    code: codeOfStatus(status),
    message: `${request} answered HTTP ${status}${statusText ? ` ${statusText}` : ''}${snippet ? `: ${snippet}` : ''}`,
    request,
  })
}

/** The system error code behind a failed `fetch` (undici puts it in `cause`, sometimes nested). */
export function networkReason(err: unknown): string {
  const seen = new Set<unknown>()
  let cur: unknown = err
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur)
    const code = (cur as { code?: unknown }).code
    if (typeof code === 'string' && code !== '' && !code.startsWith('ERR_') && code !== 'UND_ERR_SOCKET')
      return code
    const errors = (cur as { errors?: unknown }).errors
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = networkReason(errors[0])
      if (inner !== 'unknown') return inner
    }
    cur = (cur as { cause?: unknown }).cause
  }
  const message = err instanceof Error ? err.message : ''
  if (/other side closed|terminated|socket/i.test(message)) return 'ECONNRESET'
  return message && message !== 'fetch failed' ? message : 'unknown'
}
