import { isWeftApiError, isWeftConnectionError } from '@weft/client'
import { formatDiagnostic, isWeftError, type WeftErrorCode } from '@weft/core'
import { colorsFor } from './colors.js'
import { ExitCode } from './exit-codes.js'
import type { CliIo } from './io.js'
import { commandFor } from './next-steps.js'

/**
 * Codes that mean the command itself was wrong (what was asked for does not exist or cannot be
 * done as asked): exit 2, so a script can tell "you called me wrongly" from "the work failed".
 */
const BAD_INPUT_CODES = new Set<WeftErrorCode>([
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
])

/**
 * Codes only a server answers with (`--server`) that also mean the command was wrong: a bad key,
 * a request the API refuses. A server that is down or full is a failure (exit 1), not bad input.
 */
const BAD_REQUEST_CODES = new Set<string>([
  'validation_failed',
  'malformed_body',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'idempotency_mismatch',
  'workflow_not_found',
])

export function exitCodeFor(err: unknown): number {
  if (isWeftError(err)) return BAD_INPUT_CODES.has(err.code) ? ExitCode.invalidInput : ExitCode.failed
  if (isWeftApiError(err))
    return BAD_INPUT_CODES.has(err.code as WeftErrorCode) || BAD_REQUEST_CODES.has(err.code)
      ? ExitCode.invalidInput
      : ExitCode.failed
  return ExitCode.failed
}

/**
 * Prints an error as a person reads it: the message with its stable code, the hint, and every
 * diagnostic with file:line. A stack trace only with WEFT_DEBUG=1: users act on the message.
 */
export function printError(err: unknown, io: CliIo): number {
  const c = colorsFor(io.stderr, io.env)
  const lines: string[] = []
  if (isWeftError(err)) {
    lines.push(`${c.red('error:')} ${err.message} ${c.dim(`[${err.code}]`)}`)
    for (const d of err.diagnostics) lines.push(indent(formatDiagnostic(d)))
    if (err.hint) lines.push(`${c.yellow('hint:')} ${err.hint}`)
    // Next steps are data in core; here they become the commands that take them.
    const commands = err.next.map((step) => commandFor(step))
    if (commands.length === 1) lines.push(`${c.yellow('next:')} ${commands[0]}`)
    else if (commands.length > 1) lines.push(c.yellow('next:'), ...commands.map((cmd) => `  ${cmd}`))
  } else if (isWeftApiError(err)) {
    // An answer of a weft server (`--server`) with an HTTP-only code (weft's own become WeftErrors).
    lines.push(`${c.red('error:')} ${err.message} ${c.dim(`[${err.code}]`)}`)
    for (const d of err.diagnostics) lines.push(indent(formatDiagnostic(d)))
    for (const i of err.issues) lines.push(indent(`${i.path.join('.') || '(request)'}: ${i.message}`))
    // The server's hint speaks HTTP (`Authorization: Bearer …`); the CLI's says which variable to set.
    const hint = apiHint(err.code) ?? err.hint
    if (hint) lines.push(`${c.yellow('hint:')} ${hint}`)
  } else if (isWeftConnectionError(err)) {
    lines.push(`${c.red('error:')} ${err.message}`)
    lines.push(
      `${c.yellow('hint:')} is \`weft serve\` running there? Check the URL (--server / WEFT_SERVER)${err.reason === 'timeout' ? ' and the network' : ''}`,
    )
  } else {
    const message = err instanceof Error ? err.message || err.name : String(err)
    lines.push(`${c.red('error:')} ${message}`)
  }
  if (io.env.WEFT_DEBUG === '1' && err instanceof Error && err.stack) lines.push(c.dim(err.stack))
  io.stderr.write(`${lines.join('\n')}\n`)
  return exitCodeFor(err)
}

function apiHint(code: string): string | undefined {
  if (code === 'unauthorized') return 'set WEFT_API_KEY to a key the server accepts'
  if (code === 'forbidden') return 'this needs a key with a higher scope (read < write < admin)'
  return undefined
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}
