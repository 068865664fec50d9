import { errorForStatus, readErrorBody, responseDetails } from '@weft/plugin-kit'
import { BackendError } from '@weft/spec'

/** How messages name the API. */
export const API_NAME = 'Anthropic API'

/**
 * Maps an HTTP error response of the Messages API to a BackendError with the right retry flag
 * (529, Anthropic's "overloaded", is a 5xx like any other: worth another attempt).
 */
export async function errorFromResponse(response: Response, keyEnv: string): Promise<BackendError> {
  const { json, fallback } = await readErrorBody(response)
  const error = (json as { error?: { type?: string; message?: string } } | undefined)?.error
  const type = error?.type
  const details = responseDetails(response, 'request-id')
  if (type) details.type = type
  const text = `${API_NAME} ${response.status}${type ? ` ${type}` : ''}: ${error?.message ?? fallback}`
  return errorForStatus(response.status, text, {
    details,
    keySource: keyEnv,
    authHint: '(and that it may use this model)',
    notFoundHint: 'check the model name and the base URL',
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
