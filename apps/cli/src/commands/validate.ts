import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { countLine, formatDiagnostics } from '../diagnostics.js'
import { ExitCode } from '../exit-codes.js'
import { parseInputPairs } from '../inputs.js'
import type { CliIo } from '../io.js'
import { collect } from './flags.js'
import { withRuntime } from './target.js'
import { loadWorkflow } from './workflow-file.js'

export interface ValidateCommandOptions {
  input: string[]
  strict?: boolean
  json?: boolean
}

export function configureValidateCommand(command: Command, ctx: CliContext): void {
  command
    .option(
      '-i, --input <key=value>',
      'inputs to check as `weft run` would get them (repeatable)',
      collect,
      [],
    )
    .option('--strict', 'treat warnings as errors')
    .option('--json', 'print { ok, diagnostics } as JSON')
    .action(async (file: string, opts: ValidateCommandOptions) => {
      ctx.exitCode = await validateCommand(file, opts, ctx.io)
    })
}

/** Validates with the same runtime composition as `weft run` (plugins, agents), on a memory store. */
export async function validateCommand(
  file: string,
  opts: ValidateCommandOptions,
  io: CliIo,
): Promise<number> {
  const inputs = parseInputPairs(opts.input ?? [], io.cwd)
  const doc = await loadWorkflow(file, io)
  const result =
    doc.diagnostics.length > 0
      ? { ok: false, diagnostics: doc.diagnostics, workflow: undefined }
      : await withRuntime(
          io,
          { store: 'memory:', ...(opts.strict ? { diagnostics: 'strict' as const } : {}) },
          async ({ runtime }) => runtime.validate(doc.value, { file, locate: doc.locate, inputs }),
        )
  if (opts.json) {
    io.stdout.write(`${JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics }, null, 2)}\n`)
    return result.ok ? ExitCode.ok : ExitCode.invalidInput
  }
  const c = colorsFor(io.stdout, io.env)
  if (result.diagnostics.length > 0) io.stdout.write(`${formatDiagnostics(result.diagnostics, c)}\n`)
  if (!result.ok) {
    io.stdout.write(`${c.red(`✗ ${file} is invalid: ${countLine(result.diagnostics)}`)}\n`)
    return ExitCode.invalidInput
  }
  const n = Object.keys(result.workflow?.tasks ?? {}).length
  io.stdout.write(`${c.green(`✓ ${file} is valid (${n} task${n === 1 ? '' : 's'})`)}\n`)
  return ExitCode.ok
}
