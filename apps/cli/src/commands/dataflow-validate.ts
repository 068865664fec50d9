import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { createCliDataflow, validateGraphFile } from '../dataflow/compose.js'
import { countLine, formatDiagnostics } from '../diagnostics.js'
import { ExitCode } from '../exit-codes.js'
import { withRuntime } from './target.js'

export function configureDataflowValidateCommand(command: Command, ctx: CliContext): void {
  command
    .option('--json', 'print { ok, diagnostics, topology } as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const io = ctx.io
      ctx.exitCode = await withRuntime(io, { store: 'memory:' }, async (cli) => {
        const result = await validateGraphFile(createCliDataflow(cli, io), file, io)
        if (opts.json) {
          io.stdout.write(
            `${JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics, ...(result.plan ? { topology: result.plan.topology } : {}) }, null, 2)}\n`,
          )
          return result.ok ? ExitCode.ok : ExitCode.invalidInput
        }
        const c = colorsFor(io.stdout, io.env)
        if (result.diagnostics.length > 0) io.stdout.write(`${formatDiagnostics(result.diagnostics, c)}\n`)
        if (!result.ok || !result.plan) {
          io.stdout.write(`${c.red(`✗ ${file} is invalid: ${countLine(result.diagnostics)}`)}\n`)
          return ExitCode.invalidInput
        }
        const { nodes, edges, topology } = result.plan
        io.stdout.write(
          `${c.green(`✓ ${file} is valid (${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${edges.length} edge${edges.length === 1 ? '' : 's'})`)}\n` +
            `${c.dim(`  order: ${topology.order.join(' → ')}`)}\n`,
        )
        return ExitCode.ok
      })
    })
}
