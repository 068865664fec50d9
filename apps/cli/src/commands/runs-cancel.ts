import { isTerminalRunStatus } from '@weft/core'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import { awaitRunState } from './await-status.js'
import { serverOption, storeOption } from './flags.js'
import { requireRun, withService } from './target.js'

export interface RunsCancelOptions {
  reason?: string
  store?: string
  server?: string
}

export function configureRunsCancelCommand(command: Command, ctx: CliContext): void {
  command
    .option('--reason <text>', 'why (recorded in the run events)', 'canceled with `weft runs cancel`')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, opts: RunsCancelOptions) => {
      ctx.exitCode = await runsCancelCommand(runId, opts, ctx.io)
    })
}

/** Exit 0 once the run is canceled (or had already finished), 1 if that is not confirmed in ~10 s. */
export async function runsCancelCommand(runId: string, opts: RunsCancelOptions, io: CliIo): Promise<number> {
  return withService(io, opts, async (service) => {
    const c = colorsFor(io.stdout, io.env)
    const before = await requireRun(service, runId)
    if (isTerminalRunStatus(before.status)) {
      io.stdout.write(`run ${runId} already ${before.status}; nothing to cancel\n`)
      return ExitCode.ok
    }
    await service.cancel(runId, opts.reason ?? 'canceled with `weft runs cancel`')
    const { run, reached } = await awaitRunState(service, runId, (r) => isTerminalRunStatus(r.status))
    if (!reached) {
      io.stdout.write(
        `${c.yellow(`cancel requested; run ${runId} is still ${run.status}.`)} The process that runs it stops it at its next poll; check with \`weft runs show ${runId}\`.\n`,
      )
      return ExitCode.failed
    }
    const canceled = run.taskCounts.canceled ?? 0
    io.stdout.write(
      `${c.yellow(`■ run ${runId} ${run.status}`)}${run.status === 'canceled' ? c.dim(` (${canceled} task${canceled === 1 ? '' : 's'} canceled)`) : ''}\n`,
    )
    return ExitCode.ok
  })
}
