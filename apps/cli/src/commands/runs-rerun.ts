import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { CliIo } from '../io.js'
import { watchRun } from '../watch-run.js'
import { refuseRemote, requireRun, serverOption, storeArgs, storeOption, withRuntime } from './shared.js'

export interface RunsRerunOptions {
  from: string
  json?: boolean
  quiet?: boolean
  store?: string
  server?: string
}

export function registerRunsRerunCommand(runs: Command, ctx: CliContext): void {
  runs
    .command('rerun')
    .description(
      'start a new run of the same workflow and inputs that reuses the recorded outputs of every task not downstream of --from',
    )
    .argument('<run-id>', 'the run to start from')
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
