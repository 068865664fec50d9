import type { Diagnostic } from './diagnostic.js'
import type { Json } from './json.js'

/** Stable error codes of weft itself. Scripts and HTTP clients may rely on them. */
export const WEFT_ERROR_CODES = [
  'workflow_invalid',
  'input_invalid',
  'config_invalid',
  'plugin_not_found',
  'plugin_invalid',
  'backend_not_found',
  'run_not_found',
  'task_not_found',
  'agent_not_found',
  'run_finished',
  'run_not_paused',
  'resume_token_required',
  'resume_token_invalid',
  'resume_token_used',
  'tasks_invalid',
  'conflict',
  'store_unsupported',
  'store_version',
  'runtime_closed',
  'internal',
] as const
export type WeftErrorCode = (typeof WEFT_ERROR_CODES)[number]

/**
 * What the user can do next, as data rather than a command line: the CLI prints a step as the
 * `weft …` command that does it, the HTTP API as the request to make, an embedding app as it sees
 * fit. `hint` stays a plain sentence that fits every surface.
 */
export type WeftNextStep =
  /** Answer an approval (with its token) or resume a paused run. */
  | { action: 'resume'; runId: string; token?: string; taskId?: string; message?: string }
  | { action: 'show_run'; runId: string }
  /** Watch a run's events until it ends. */
  | { action: 'follow_run'; runId: string }
  | { action: 'cancel_run'; runId: string }
  | { action: 'list_runs' }
  /** Check a workflow and list every problem. */
  | { action: 'validate'; file?: string }
  /** Continue a run whose process stopped. */
  | { action: 'recover'; runId: string }
  /** Install an npm package (a plugin, a backend). */
  | { action: 'install_package'; package: string }

export interface WeftErrorOptions {
  hint?: string
  /** Steps that fix or continue, for each surface to render its own way. */
  next?: readonly WeftNextStep[]
  details?: Json
  diagnostics?: Diagnostic[]
  cause?: unknown
}

/**
 * An error a person can act on: a stable `code`, a message, a `hint` that says what to do, and
 * the `next` steps as data.
 */
export class WeftError extends Error {
  override readonly name: string = 'WeftError'
  readonly code: WeftErrorCode
  readonly hint?: string
  readonly next: readonly WeftNextStep[]
  readonly details?: Json
  readonly diagnostics: Diagnostic[]

  constructor(code: WeftErrorCode, message: string, options: WeftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.hint = options.hint
    this.next = options.next ?? []
    this.details = options.details
    this.diagnostics = options.diagnostics ?? []
  }
}

export function isWeftError(value: unknown): value is WeftError {
  return value instanceof WeftError
}

/** Failure codes a backend reports. `retryable` decides whether the retry policy applies. */
export const BACKEND_ERROR_CODES = [
  'not_installed',
  'auth',
  'rate_limit',
  'server_error',
  'timeout',
  'canceled',
  'bad_options',
  'bad_output',
  'exit_code',
  'max_turns',
  'budget',
  'template',
  'failed',
  'unknown',
] as const
export type BackendErrorCode = (typeof BACKEND_ERROR_CODES)[number]

/** Codes that are worth another attempt unless the backend says otherwise. */
const RETRYABLE_BY_DEFAULT = new Set<BackendErrorCode>(['rate_limit', 'server_error', 'timeout'])

export interface BackendErrorOptions {
  retryable?: boolean
  /** What the user can do about it (install the CLI, set the key, …). */
  hint?: string
  exitCode?: number
  details?: Json
  cause?: unknown
}

export class BackendError extends Error {
  override readonly name: string = 'BackendError'
  readonly code: BackendErrorCode
  readonly retryable: boolean
  readonly exitCode?: number
  readonly details?: Json
  readonly hint?: string

  constructor(code: BackendErrorCode, message: string, options: BackendErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code)
    this.hint = options.hint
    this.exitCode = options.exitCode
    this.details = options.details
  }
}

export function isBackendError(value: unknown): value is BackendError {
  return value instanceof BackendError
}
