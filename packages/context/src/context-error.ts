export type ContextErrorCode =
  /** A `from` entry or path that does not parse. */
  | 'path_invalid'
  /** A path that parses but leads nowhere in the value. */
  | 'path_not_found'
  /** A `from` entry naming a task the run does not have. */
  | 'unknown_task'
  /** A `ContextRequest` the pipeline cannot honour (a cap below 1, an unknown strategy). */
  | 'request_invalid'
  /** The token counter disagrees with itself, so no text could be proven to fit. */
  | 'cap_unreachable'

/**
 * What `@weft/context` throws. `WeftErrorCode` is a closed list owned by core, so context errors
 * carry their own code; the runtime turns them into a failed task with this message.
 */
export class ContextError extends Error {
  override readonly name = 'ContextError'
  readonly code: ContextErrorCode
  readonly hint?: string

  constructor(code: ContextErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options.hint !== undefined) this.hint = options.hint
  }
}
