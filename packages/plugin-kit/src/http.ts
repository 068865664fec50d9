import { type BackendCapabilities, BackendError, type Json, type JsonObject } from '@weft/spec'
import { abortError } from './abort.js'
import { type EventSourceMessage, readSse } from './sse.js'

export interface StatusErrorOptions {
  /** Body fields and headers worth keeping (`status`, `type`, `requestId`, `retryAfter`, …). */
  details: JsonObject
  /** Where the key came from, for the hint of a 401/403 (`ANTHROPIC_API_KEY`). */
  keySource: string
  /** Added to the hint of a 401/403 (`(and that it may use this model)`). */
  authHint?: string
  /** The hint of a 404. */
  notFoundHint?: string
}

/**
 * Maps an HTTP error status of a model API to a BackendError with the retry flag that fits it:
 * 401/403 `auth` and 4xx `failed` are final; 408 `timeout`, 429 `rate_limit` and every 5xx
 * `server_error` (Anthropic's 529 "overloaded" too) are worth another attempt.
 */
export function errorForStatus(status: number, message: string, options: StatusErrorOptions): BackendError {
  const { details } = options
  if (status === 401 || status === 403)
    return new BackendError('auth', message, {
      retryable: false,
      details,
      hint: `check the key in ${options.keySource}${options.authHint ? ` ${options.authHint}` : ''}`,
    })
  if (status === 429) return new BackendError('rate_limit', message, { retryable: true, details })
  if (status === 408) return new BackendError('timeout', message, { retryable: true, details })
  if (status >= 500) return new BackendError('server_error', message, { retryable: true, details })
  return new BackendError('failed', message, {
    retryable: false,
    details,
    ...(status === 404 && options.notFoundHint ? { hint: options.notFoundHint } : {}),
  })
}

/**
 * The body of an error response: its JSON when it is JSON, and its first 500 characters (or the
 * status text) as a fallback message.
 */
export async function readErrorBody(response: Response): Promise<{ json: unknown; fallback: string }> {
  const raw = await response.text().catch(() => '')
  return { json: parseJson(raw), fallback: raw.slice(0, 500) || response.statusText }
}

/** `{ status, requestId?, retryAfter? }` from a response, for `details`. */
export function responseDetails(response: Response, requestIdHeader: string): JsonObject {
  const details: JsonObject = { status: response.status }
  const requestId = response.headers.get(requestIdHeader)
  if (requestId) details.requestId = requestId
  const retryAfter = response.headers.get('retry-after')
  if (retryAfter) details.retryAfter = retryAfter
  return details
}

/** The connection failed or dropped: the server may well answer the next attempt. */
export function networkError(api: string, url: string, err: unknown): BackendError {
  return new BackendError(
    'server_error',
    `${api} at ${url}: the connection failed (${connectionFailure(err)})`,
    {
      retryable: true,
      cause: err,
    },
  )
}

/** Why a fetch failed, as briefly as the error allows (`ECONNREFUSED`). */
export function connectionFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err))
}

/** True when anything answers at `url` (any status: it only has to be there), else why not. */
export async function reachable(
  doFetch: typeof fetch,
  url: string,
  timeoutMs: number,
): Promise<true | string> {
  try {
    const response = await doFetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) })
    await response.body?.cancel().catch(() => undefined)
    return true
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code
    return cause ?? (err instanceof Error ? err.message : String(err))
  }
}

/** JSON.parse that answers undefined instead of throwing: model APIs do not always send JSON. */
export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return undefined
  }
}

/**
 * A tool call's input as the model streamed it (JSON text, possibly empty). The API only asks for
 * the call; text that is not JSON is a `bad_output` worth another attempt.
 */
export function toolInputOf(json: string, what = 'tool input'): Json {
  if (json.trim() === '') return {}
  try {
    return JSON.parse(json) as Json
  } catch {
    throw new BackendError('bad_output', `the model sent ${what} that is not JSON: ${json.slice(0, 200)}`, {
      retryable: true,
    })
  }
}

export interface ApiKeySources {
  /** `with.apiKeyEnv`: the task names the variable. */
  apiKeyEnv?: string
  /** The backend's `apiKey` option. */
  apiKey?: string
  /** The variable read when neither says (`OPENAI_API_KEY`). */
  defaultEnv: string
  env: Record<string, string | undefined>
}

/** The API key and where it came from (for "set X" hints): the task's variable, the option, the default variable. */
export function apiKeyOf(sources: ApiKeySources): { key?: string; source: string } {
  if (sources.apiKeyEnv)
    return { key: sources.env[sources.apiKeyEnv] || undefined, source: sources.apiKeyEnv }
  if (sources.apiKey) return { key: sources.apiKey, source: 'the apiKey option' }
  return { key: sources.env[sources.defaultEnv] || undefined, source: sources.defaultEnv }
}

export interface SseRequest {
  /** How messages name the API (`Anthropic API`). */
  api: string
  url: string
  headers: Record<string, string>
  /** Sent as JSON. */
  body: unknown
  /** The attempt's signal: cancel and timeouts abort the request itself, so the server stops too. */
  signal: AbortSignal
  /** What the abort error says when the signal's reason does not. */
  canceled?: string
  fetch: typeof fetch
  onEvent: (event: EventSourceMessage) => void
  /** Maps an error status (the body is still unread) to a BackendError. */
  errorFromResponse: (response: Response) => Promise<BackendError>
}

/**
 * POSTs a streaming request and feeds its Server-Sent Events to `onEvent` until the stream ends.
 * Rejects with a BackendError: the abort error once the signal aborted, the mapped error of an
 * error status, `bad_output` without a body, or a retryable `server_error` when the connection
 * failed or dropped.
 */
export async function postSse(request: SseRequest): Promise<void> {
  const { signal } = request
  try {
    const response = await request.fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...request.headers },
      body: JSON.stringify(request.body),
      signal,
    })
    if (!response.ok) throw await request.errorFromResponse(response)
    if (!response.body)
      throw new BackendError('bad_output', `the ${request.api} sent no body`, { retryable: true })
    await readSse(response.body, request.onEvent)
    if (signal.aborted) throw abortError(signal, request.canceled)
  } catch (err) {
    if (signal.aborted) throw abortError(signal, request.canceled)
    if (err instanceof BackendError) throw err
    throw networkError(request.api, request.url, err)
  }
}

/** The options every HTTP model backend takes besides its endpoint, key and model. */
export interface HttpBackendOptions {
  /** Replay a recorded transcript instead of calling the API. Default: `WEFT_STUB=1`. */
  stub?: boolean
  /** For tests and proxies. Default: the global fetch. */
  fetch?: typeof fetch
  /** Where keys and URLs are looked up. Default `process.env`. */
  env?: Record<string, string | undefined>
  /** How long the healthcheck waits for the endpoint. Default 3000 ms. */
  healthTimeoutMs?: number
}

/**
 * What a streaming model API backend can do: it streams text and reports messages, usage and the
 * tool calls the model asks for (it does not run them), and stops when the request is aborted.
 */
export const MODEL_API_CAPABILITIES = {
  streaming: true,
  events: true,
  cancel: true,
  pause: false,
  resumeSession: false,
  usage: true,
  tools: false,
} as const satisfies BackendCapabilities

/** Rate limits and overloads pass: a few tries unless the workflow says otherwise. */
export const MODEL_API_RETRY = { maxAttempts: 3, backoffMs: 2000, factor: 2, jitter: 0.2 } as const

/**
 * What an agent CLI backend (Claude Code, Gemini CLI) can do: it streams, reports events, usage and
 * the tools it runs, pauses and resumes its process group, and continues an earlier session.
 */
export const AGENT_CLI_CAPABILITIES = {
  streaming: true,
  events: true,
  cancel: true,
  pause: true,
  resumeSession: true,
  usage: true,
  tools: true,
} as const satisfies BackendCapabilities

/** An agent CLI's own retries are best turned off; weft retries a failed run a few times instead. */
export const AGENT_CLI_RETRY = MODEL_API_RETRY
