import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import { resumeCommands } from '../summary.js'
import { awaitRunState } from './await-status.js'
import { serverOption, storeOption } from './flags.js'
import { requireRun, withService } from './target.js'

export interface RunsPauseOptions {
  store?: string
  server?: string
}

export function configureRunsPauseCommand(command: Command, ctx: CliContext): void {
  command
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, opts: RunsPauseOptions) => {
      ctx.exitCode = await runsPauseCommand(runId, opts, ctx.io)
    })
}

/** Exit 0 once the run is paused, 1 if that is not confirmed in ~10 s, 2 if it already finished. */
export async function runsPauseCommand(runId: string, opts: RunsPauseOptions, io: CliIo): Promise<number> {
  return withService(io, opts, async (service) => {
    const c = colorsFor(io.stdout, io.env)
    await requireRun(service, runId)
    await service.pause(runId)
    const { run, reached } = await awaitRunState(service, runId, (r) => r.status === 'paused')
    if (!reached) {
      io.stdout.write(
        `${c.yellow(`pause requested; run ${runId} is still ${run.status}.`)} Check with \`weft runs show ${runId}\`.\n`,
      )
      return ExitCode.failed
    }
    const running = run.taskCounts.running ?? 0
    io.stdout.write(
      `${c.yellow(`⏸ run ${runId} paused`)}${running ? c.dim(` (${running} running task${running === 1 ? '' : 's'}: suspended where the backend can pause, left to finish where not)`) : ''}\n`,
    )
    const extraArgs = service.extraArgs
    const commands = resumeCommands(run, extraArgs ? { extraArgs } : {})
    if (commands.length) io.stdout.write(`to continue:\n${commands.map((cmd) => `  ${cmd}`).join('\n')}\n`)
    return ExitCode.ok
  })
}
