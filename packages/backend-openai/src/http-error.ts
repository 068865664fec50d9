import { BackendError, type JsonObject } from '@weft/core'

/**
 * Maps an HTTP error of an OpenAI-compatible endpoint to a BackendError with the right retry
 * flag. The body is OpenAI's `{ error: { message, type, code } }` or, on some local servers
 * (Ollama), `{ error: "message" }`.
 */
export async function errorFromResponse(response: Response, keySource: string): Promise<BackendError> {
  const raw = await response.text().catch(() => '')
  const body = parse(raw) as { error?: string | { message?: string; type?: string; code?: string | null } }
  const error = typeof body?.error === 'string' ? { message: body.error } : body?.error
  const status = response.status
  const message = error?.message ?? (raw.slice(0, 500) || response.statusText)
  const code = error?.code ?? undefined
  const details: JsonObject = { status }
  if (error?.type) details.type = error.type
  if (code) details.code = code
  const requestId = response.headers.get('x-request-id')
  if (requestId) details.requestId = requestId
  const retryAfter = response.headers.get('retry-after')
  if (retryAfter) details.retryAfter = retryAfter
  const text = `OpenAI-compatible API ${status}${code ? ` ${code}` : ''}: ${message}`

  if (status === 401 || status === 403)
    return new BackendError('auth', text, {
      retryable: false,
      details,
      hint: `check the key in ${keySource}`,
    })
  if (status === 429) {
    // An exhausted quota is a 429 too, but waiting does not help.
    if (code === 'insufficient_quota')
      return new BackendError('rate_limit', text, {
        retryable: false,
        details,
        hint: 'the account is out of quota: check its plan and billing',
      })
    return new BackendError('rate_limit', text, { retryable: true, details })
  }
  if (status === 408) return new BackendError('timeout', text, { retryable: true, details })
  if (status >= 500) return new BackendError('server_error', text, { retryable: true, details })
  return new BackendError('failed', text, {
    retryable: false,
    details,
    ...(status === 404 ? { hint: 'check the model name and the base URL (it usually ends in /v1)' } : {}),
  })
}

/** The connection failed or dropped: the server may well answer the next attempt. */
export function networkError(url: string, err: unknown): BackendError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause
  const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err))
  return new BackendError('server_error', `OpenAI-compatible API at ${url}: the connection failed (${why})`, {
    retryable: true,
    cause: err,
  })
}

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return undefined
  }
}
