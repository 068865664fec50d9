import { errorForStatus, readErrorBody, responseDetails } from '@weft/plugin-kit'
import { BackendError } from '@weft/spec'

/** How messages name the endpoint. */
export const API_NAME = 'OpenAI-compatible API'

/**
 * Maps an HTTP error of an OpenAI-compatible endpoint to a BackendError with the right retry
 * flag. The body is OpenAI's `{ error: { message, type, code } }` or, on some local servers
 * (Ollama), `{ error: "message" }`.
 */
export async function errorFromResponse(response: Response, keySource: string): Promise<BackendError> {
  const { json, fallback } = await readErrorBody(response)
  const body = json as
    | { error?: string | { message?: string; type?: string; code?: string | null } }
    | undefined
  const error = typeof body?.error === 'string' ? { message: body.error } : body?.error
  const status = response.status
  const code = error?.code ?? undefined
  const details = responseDetails(response, 'x-request-id')
  if (error?.type) details.type = error.type
  if (code) details.code = code
  const text = `${API_NAME} ${status}${code ? ` ${code}` : ''}: ${error?.message ?? fallback}`

  // An exhausted quota is a 429 too, but waiting does not help.
  if (status === 429 && code === 'insufficient_quota')
    return new BackendError('rate_limit', text, {
      retryable: false,
      details,
      hint: 'the account is out of quota: check its plan and billing',
    })
  return errorForStatus(status, text, {
    details,
    keySource,
    notFoundHint: 'check the model name and the base URL (it usually ends in /v1)',
  })
}
