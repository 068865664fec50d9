import { BackendError, type JsonObject } from '@weft/spec'

/** The fields of a finished subprocess (execa's result with `reject: false`) that explain a failure. */
export interface SubprocessOutcome {
  exitCode?: number
  signal?: string
  cause?: unknown
  shortMessage?: string
}

export interface SubprocessErrorOptions {
  /** How messages name what ran: `codex`, `'make test'`. */
  label: string
  /** The executable as spawned, for the not-found and permission messages. */
  program: string
  /** The end of stderr (see `tail`), quoted in the message and kept in `details`. */
  stderr?: string
  /** How to say the program is missing, and what to install. */
  notInstalled?: { message?: string; hint?: string; details?: JsonObject }
  /** More `details` for an exit code or a signal (`{ command }`). */
  details?: JsonObject
}

/**
 * The BackendError for a subprocess that did not succeed: the program was not found
 * (`not_installed`) or not executable, it exited with a code or was killed by a signal
 * (`exit_code`, with the end of stderr), or it failed otherwise. None is retryable: the same
 * command fails the same way, and backends map retryable cases (rate limits) before this.
 */
export function subprocessError(result: SubprocessOutcome, options: SubprocessErrorOptions): BackendError {
  const { label, program } = options
  const cause = result.cause as NodeJS.ErrnoException | undefined
  if (cause?.code === 'ENOENT') {
    const missing = options.notInstalled ?? {}
    return new BackendError('not_installed', missing.message ?? `cannot run '${program}': not found`, {
      retryable: false,
      ...(missing.hint ? { hint: missing.hint } : {}),
      details: { binary: program, ...missing.details },
      cause,
    })
  }
  if (cause?.code === 'EACCES')
    return new BackendError('failed', `cannot run '${program}': permission denied (is it executable?)`, {
      retryable: false,
      cause,
    })
  const stderr = options.stderr ?? ''
  const quoted = stderr ? `: ${stderr}` : ''
  if (result.exitCode !== undefined)
    return new BackendError('exit_code', `${label} exited with code ${result.exitCode}${quoted}`, {
      retryable: false,
      exitCode: result.exitCode,
      details: { ...options.details, stderr },
    })
  if (result.signal)
    return new BackendError('exit_code', `${label} was killed by ${result.signal}${quoted}`, {
      retryable: false,
      details: { ...options.details, signal: result.signal, stderr },
    })
  return new BackendError('failed', result.shortMessage ?? `${label} failed`, {
    retryable: false,
    ...(cause ? { cause } : {}),
  })
}
