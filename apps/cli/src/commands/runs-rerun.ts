import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { CliIo } from '../io.js'
import { watchRun } from '../watch-run.js'
import { serverOption, storeOption } from './flags.js'
import { requireRun, withService } from './target.js'

export interface RunsRerunOptions {
  from: string
  json?: boolean
  quiet?: boolean
  store?: string
  server?: string
}

export function configureRunsRerunCommand(command: Command, ctx: CliContext): void {
  command
    .requiredOption('--from <task>', 'the first task to run again (it and everything downstream of it run)')
    .option('--json', 'print only the final run summary as JSON on stdout')
    .option('-q, --quiet', 'no progress lines, only the summary')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, opts: RunsRerunOptions) => {
      ctx.exitCode = await runsRerunCommand(runId, opts, ctx.io)
    })
}

/**
 * Starts the rerun and follows it with live progress: in this process on the local store, or on a
 * server with `--server` (`POST /runs/{id}/rerun`; the server runs it, this process follows it).
 */
export async function runsRerunCommand(runId: string, opts: RunsRerunOptions, io: CliIo): Promise<number> {
  return withService(io, opts, async (service) => {
    await requireRun(service, runId)
    return watchRun({
      service,
      io,
      json: opts.json,
      quiet: opts.quiet,
      afterSeq: 0,
      begin: () => service.rerun(runId, opts.from),
    })
  })
}
