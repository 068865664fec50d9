import { BackendError, type JsonObject } from '@weft/core'

/** Maps an HTTP error response of the Messages API to a BackendError with the right retry flag. */
export async function errorFromResponse(response: Response, keyEnv: string): Promise<BackendError> {
  const raw = await response.text().catch(() => '')
  const body = parse(raw) as { error?: { type?: string; message?: string } } | undefined
  const type = body?.error?.type
  const message = body?.error?.message ?? (raw.slice(0, 500) || response.statusText)
  const status = response.status
  const details: JsonObject = { status }
  if (type) details.type = type
  const requestId = response.headers.get('request-id')
  if (requestId) details.requestId = requestId
  const retryAfter = response.headers.get('retry-after')
  if (retryAfter) details.retryAfter = retryAfter
  const text = `Anthropic API ${status}${type ? ` ${type}` : ''}: ${message}`

  if (status === 401 || status === 403)
    return new BackendError('auth', text, {
      retryable: false,
      details,
      hint: `check the key in ${keyEnv} (and that it may use this model)`,
    })
  if (status === 429) return new BackendError('rate_limit', text, { retryable: true, details })
  if (status === 408) return new BackendError('timeout', text, { retryable: true, details })
  // 529 is Anthropic's "overloaded"; like every 5xx it is worth another attempt.
  if (status >= 500) return new BackendError('server_error', text, { retryable: true, details })
  return new BackendError('failed', text, {
    retryable: false,
    details,
    ...(status === 404 ? { hint: 'check the model name and the base URL' } : {}),
  })
}

/** An `error` event inside an otherwise successful stream. */
export function errorFromStreamEvent(error: { type?: string; message?: string } | undefined): BackendError {
  const type = error?.type ?? 'api_error'
  const text = `Anthropic API stream error ${type}: ${error?.message ?? 'no message'}`
  if (type === 'rate_limit_error') return new BackendError('rate_limit', text, { retryable: true })
  if (type === 'overloaded_error' || type === 'api_error')
    return new BackendError('server_error', text, { retryable: true })
  if (type === 'authentication_error' || type === 'permission_error')
    return new BackendError('auth', text, { retryable: false })
  return new BackendError('failed', text, { retryable: false, details: { type } })
}

/** The connection failed or dropped: the server may well answer the next attempt. */
export function networkError(url: string, err: unknown): BackendError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause
  const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err))
  return new BackendError('server_error', `Anthropic API at ${url}: the connection failed (${why})`, {
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
