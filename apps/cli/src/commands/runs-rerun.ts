import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { CliIo } from '../io.js'
import { watchRun } from '../watch-run.js'
import { serverOption, storeOption } from './flags.js'
import { refuseRemote, requireRun, storeArgs, withRuntime } from './target.js'

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
    // Not in the API: accepted only to say so clearly (exit 2).
    .addOption(serverOption().hideHelp())
    .action(async (runId: string, opts: RunsRerunOptions) => {
      ctx.exitCode = await runsRerunCommand(runId, opts, ctx.io)
    })
}

export async function runsRerunCommand(runId: string, opts: RunsRerunOptions, io: CliIo): Promise<number> {
  refuseRemote(opts, io, 'runs rerun')
  return withRuntime(io, opts.store ? { store: opts.store } : {}, async ({ runtime, store }) => {
    await requireRun(runtime, runId)
    const extraArgs = storeArgs(store)
    return watchRun({
      runtime,
      io,
      json: opts.json,
      quiet: opts.quiet,
      ...(extraArgs ? { extraArgs } : {}),
      afterSeq: 0,
      begin: () => runtime.rerun(runId, { from: opts.from, initiator: 'cli' }),
    })
  })
}
