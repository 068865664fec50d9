import { BackendError, type Json } from '@weft/spec'
import type { ResultError } from './stream-json.js'

const TRUST_HINT =
  'the Gemini CLI does not trust this folder: weft passes --skip-trust; if a setting overrides it, set GEMINI_CLI_TRUST_WORKSPACE=true or trust the folder with `gemini` once'

/**
 * The error for a non-zero exit of `gemini`. Its own codes: 41 auth, 42 input, 44 sandbox, 52
 * config, 53 turn limit, 54 tool execution, 55 untrusted folder, 130 cancelled, 1 bad flag; API
 * errors exit with the HTTP status mod 256 (401 → 145, 429 → 173, 500 → 244).
 */
export function exitError(exitCode: number, stderr: string, resultError?: ResultError): BackendError {
  const said = resultError?.message ?? stderr
  const message = (what: string) => `gemini ${what} (exit code ${exitCode})${said ? `: ${said}` : ''}`
  const details: Json = { exitCode, stderr, ...(resultError ? { error: resultError.message } : {}) }
  const make = (code: ConstructorParameters<typeof BackendError>[0], what: string, extra = {}) =>
    new BackendError(code, message(what), { exitCode, details, ...extra })

  switch (exitCode) {
    case 41:
      return make('auth', 'could not authenticate', {
        retryable: false,
        hint: 'set GEMINI_API_KEY and select API-key auth in ~/.gemini/settings.json ({"security":{"auth":{"selectedType":"gemini-api-key"}}}), or sign in with `gemini` once',
      })
    case 145: // 401
    case 147: // 403
      return make('auth', 'was refused by the API', {
        retryable: false,
        hint: 'check GEMINI_API_KEY (or the key of GOOGLE_GEMINI_BASE_URL’s endpoint)',
      })
    case 173: // 429
      return make('rate_limit', 'hit a rate limit', { retryable: true })
    case 244: // 500
    case 246: // 502
    case 247: // 503
    case 248: // 504
      return make('server_error', 'got a server error from the API', { retryable: true })
    case 42:
      return make('bad_options', 'rejected its input', {
        retryable: false,
        hint: /session/i.test(said)
          ? 'the session to resume does not exist in this HOME and folder; run without a session id'
          : undefined,
      })
    case 52:
      return make('bad_options', 'found a bad configuration', {
        retryable: false,
        hint: 'check ~/.gemini/settings.json and .gemini/settings.json of the folder',
      })
    case 53:
      return make('max_turns', 'reached its turn limit', { retryable: false })
    case 55:
      return make('exit_code', 'refused to run in an untrusted folder', {
        retryable: false,
        hint: TRUST_HINT,
      })
    case 130:
      return make('canceled', 'was cancelled', { retryable: false })
    default:
      return make('exit_code', 'failed', { retryable: false })
  }
}
