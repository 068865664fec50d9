import {
  connectionFailure,
  createModelApiBackend,
  type HttpBackendOptions,
  modelApiSettings,
  promptOf,
} from '@weft/plugin-kit'
import { type Backend, BackendError, type BackendHealth } from '@weft/spec'
import { ChatStream } from './chat-stream.js'
import { API_NAME, errorFromResponse } from './http-error.js'
import { OpenAIOptionsSchema } from './options.js'
import { STUB_TRANSCRIPT } from './stub-transcript.js'

/** Also `stub`, `fetch`, `env` and `healthTimeoutMs` (see `HttpBackendOptions`). */
export interface OpenAIBackendOptions extends HttpBackendOptions {
  /** The name workflows use in `backend:`. Default `openai`; change it to register several endpoints. */
  id?: string
  label?: string
  /** Default: `OPENAI_BASE_URL`, else https://api.openai.com/v1. `with.baseUrl` overrides it. */
  baseUrl?: string
  /** Default: the environment variable `OPENAI_API_KEY` (or the task's `with.apiKeyEnv`). Optional for local servers. */
  apiKey?: string
  /** Used when neither the task's `model:` nor `with.model` says. Default `gpt-4o-mini`. */
  model?: string
  /** Default for `with.maxTokens`; unset, the endpoint decides. */
  maxTokens?: number
}

const DEFAULT_BASE_URL = 'https://api.openai.com/v1'
const DEFAULT_MODEL = 'gpt-4o-mini'
const KEY_ENV = 'OPENAI_API_KEY'

/** Creates the backend for any OpenAI-compatible Chat Completions endpoint, streaming. */
export function createOpenAIBackend(backendOptions: OpenAIBackendOptions = {}): Backend {
  const settings = modelApiSettings(backendOptions, {
    baseUrlEnv: 'OPENAI_BASE_URL',
    baseUrl: DEFAULT_BASE_URL,
    keyEnv: KEY_ENV,
  })
  const { fetch: doFetch, baseUrlOf, keyOf } = settings
  const headersOf = (key: string | undefined): Record<string, string> =>
    key ? { authorization: `Bearer ${key}` } : {}

  return createModelApiBackend({
    id: backendOptions.id ?? 'openai',
    label: backendOptions.label ?? 'OpenAI-compatible Chat Completions',
    api: API_NAME,
    schema: OpenAIOptionsSchema,
    settings,
    canceled: 'the request was canceled',
    transcript: STUB_TRANSCRIPT,
    stream: (emit, logRaw) => new ChatStream(emit, logRaw),

    call(request, options) {
      const base = baseUrlOf(options)
      const { key, source } = keyOf(options)
      // Local servers (Ollama, vLLM, llama.cpp) need no key; OpenAI itself always does.
      if (!key && isOpenAI(base))
        throw new BackendError('auth', `no OpenAI API key: ${source} is not set`, {
          retryable: false,
          hint: `set ${source}, point OPENAI_BASE_URL at a local server, or use stub mode (WEFT_STUB=1)`,
        })
      const maxTokens = options.maxTokens ?? backendOptions.maxTokens
      const messages = [
        ...(options.system !== undefined ? [{ role: 'system', content: options.system }] : []),
        { role: 'user', content: promptOf(request) },
      ]
      return {
        url: `${base}/chat/completions`,
        headers: headersOf(key),
        body: {
          model: options.model ?? request.model ?? backendOptions.model ?? DEFAULT_MODEL,
          messages,
          stream: true,
          // Without it the stream carries no usage at all.
          stream_options: { include_usage: true },
          ...(maxTokens !== undefined
            ? { [isOpenAI(base) ? 'max_completion_tokens' : 'max_tokens']: maxTokens }
            : {}),
          ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
          ...(options.reasoningEffort !== undefined ? { reasoning_effort: options.reasoningEffort } : {}),
        },
        errorFromResponse: (response) => errorFromResponse(response, source),
      }
    },

    async health(): Promise<BackendHealth> {
      const base = baseUrlOf({})
      const { key, source } = keyOf({})
      const keyText = key ? `key present (${source})` : isOpenAI(base) ? `no key: set ${source}` : 'no key'
      // Without a key the hosted API cannot answer anyway: say so without a network call.
      if (!key && isOpenAI(base))
        return { ok: false, details: `${keyText} (or OPENAI_BASE_URL for a local server)` }
      try {
        const response = await doFetch(`${base}/models`, {
          headers: headersOf(key),
          signal: AbortSignal.timeout(backendOptions.healthTimeoutMs ?? 3000),
        })
        await response.body?.cancel().catch(() => undefined)
        return {
          ok: response.ok && (key !== undefined || !isOpenAI(base)),
          details: `${keyText}; GET ${base}/models answered ${response.status}`,
        }
      } catch (err) {
        return { ok: false, details: `${keyText}; ${base} unreachable (${connectionFailure(err)})` }
      }
    },
  })
}

function isOpenAI(baseUrl: string): boolean {
  try {
    return new URL(baseUrl).hostname === 'api.openai.com'
  } catch {
    return false
  }
}
