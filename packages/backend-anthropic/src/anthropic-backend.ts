import {
  createModelApiBackend,
  type HttpBackendOptions,
  modelApiSettings,
  promptOf,
  reachable,
} from '@weft/plugin-kit'
import { type Backend, BackendError, type BackendHealth } from '@weft/spec'
import { API_NAME, errorFromResponse } from './http-error.js'
import { MessagesStream } from './messages-stream.js'
import { AnthropicOptionsSchema } from './options.js'
import { STUB_TRANSCRIPT } from './stub-transcript.js'

/** Also `stub`, `fetch`, `env` and `healthTimeoutMs` (see `HttpBackendOptions`). */
export interface AnthropicBackendOptions extends HttpBackendOptions {
  /** The name workflows use in `backend:`. Default `anthropic`. */
  id?: string
  /** Default: `ANTHROPIC_BASE_URL`, else https://api.anthropic.com. `with.baseUrl` overrides it. */
  baseUrl?: string
  /** Default: the environment variable `ANTHROPIC_API_KEY` (or the task's `with.apiKeyEnv`). */
  apiKey?: string
  /** Used when neither the task's `model:` nor `with.model` says. Default `claude-sonnet-4-5`. */
  model?: string
  /** Default `max_tokens`. Default 4096. */
  maxTokens?: number
}

const DEFAULT_BASE_URL = 'https://api.anthropic.com'
const DEFAULT_MODEL = 'claude-sonnet-4-5'
const DEFAULT_MAX_TOKENS = 4096
const API_VERSION = '2023-06-01'
const KEY_ENV = 'ANTHROPIC_API_KEY'
/** Why the request stopped, when the abort reason does not say. */
const CANCELED = 'the request was canceled'

/** Creates the backend that sends each task's prompt to the Anthropic Messages API, streaming. */
export function createAnthropicBackend(backendOptions: AnthropicBackendOptions = {}): Backend {
  const settings = modelApiSettings(backendOptions, {
    baseUrlEnv: 'ANTHROPIC_BASE_URL',
    baseUrl: DEFAULT_BASE_URL,
    keyEnv: KEY_ENV,
  })
  const { baseUrlOf, keyOf } = settings

  return createModelApiBackend({
    id: backendOptions.id ?? 'anthropic',
    label: 'Anthropic Messages API',
    api: API_NAME,
    schema: AnthropicOptionsSchema,
    settings,
    canceled: CANCELED,
    transcript: STUB_TRANSCRIPT,
    stream: (emit, logRaw) => new MessagesStream(emit, logRaw),

    call(request, options) {
      const { key, source } = keyOf(options)
      if (!key)
        throw new BackendError('auth', `no Anthropic API key: ${source} is not set`, {
          retryable: false,
          hint: `set ${source}, or use stub mode (WEFT_STUB=1) to try a workflow without a key`,
        })
      return {
        url: `${baseUrlOf(options)}/v1/messages`,
        headers: { 'x-api-key': key, 'anthropic-version': API_VERSION },
        body: {
          model: options.model ?? request.model ?? backendOptions.model ?? DEFAULT_MODEL,
          max_tokens: options.maxTokens ?? backendOptions.maxTokens ?? DEFAULT_MAX_TOKENS,
          stream: true,
          messages: [{ role: 'user', content: promptOf(request) }],
          ...(options.system !== undefined ? { system: options.system } : {}),
          ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
          ...(options.thinkingBudget !== undefined
            ? { thinking: { type: 'enabled', budget_tokens: options.thinkingBudget } }
            : {}),
        },
        errorFromResponse: (response) => errorFromResponse(response, source),
      }
    },

    async health(): Promise<BackendHealth> {
      const { key, source } = keyOf({})
      const base = baseUrlOf({})
      // Without a key nothing can be asked of the API: say so without a network call.
      if (!key) return { ok: false, details: `no key: set ${source}` }
      const reach = await reachable(settings.fetch, base, backendOptions.healthTimeoutMs ?? 3000)
      return {
        ok: key !== undefined && reach === true,
        details: `${key ? `key present (${source})` : `no key: set ${source}`}; ${base} ${
          reach === true ? 'reachable' : `unreachable (${reach})`
        }`,
      }
    },
  })
}
