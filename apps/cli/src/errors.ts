import { formatDiagnostic, isWeftError, type WeftErrorCode } from '@weft/core'
import { colorsFor } from './colors.js'
import { ExitCode } from './exit-codes.js'
import type { CliIo } from './io.js'

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
  'run_finished',
  'run_not_paused',
  'resume_token_required',
  'resume_token_invalid',
  'resume_token_used',
  'tasks_invalid',
])

export function exitCodeFor(err: unknown): number {
  return isWeftError(err) && BAD_INPUT_CODES.has(err.code) ? ExitCode.invalidInput : ExitCode.failed
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
  } else {
    const message = err instanceof Error ? err.message || err.name : String(err)
    lines.push(`${c.red('error:')} ${message}`)
  }
  if (io.env.WEFT_DEBUG === '1' && err instanceof Error && err.stack) lines.push(c.dim(err.stack))
  io.stderr.write(`${lines.join('\n')}\n`)
  return exitCodeFor(err)
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}
