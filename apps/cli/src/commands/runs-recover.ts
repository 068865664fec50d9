import type { RecoveryReport } from '@weft/core'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import { exitForRun, watchRun } from '../watch-run.js'
import { serverOption, storeOption } from './flags.js'
import { refuseRemote, storeArgs, withRuntime } from './target.js'

export interface RunsRecoverOptions {
  json?: boolean
  quiet?: boolean
  store?: string
  server?: string
}

export function configureRunsRecoverCommand(command: Command, ctx: CliContext): void {
  command
    .option('--json', 'print the recovery reports and final summaries as JSON')
    .option('-q, --quiet', 'no progress lines, only the summary')
    .addOption(storeOption())
    // Not in the API: accepted only to say so clearly (exit 2).
    .addOption(serverOption().hideHelp())
    .action(async (runId: string | undefined, opts: RunsRecoverOptions) => {
      ctx.exitCode = await runsRecoverCommand(runId, opts, ctx.io)
    })
}

/**
 * Takes over unfinished runs and continues them in this process until each finishes or pauses.
 * Exit 0 when every recovered run succeeded (or paused), 1 when one failed or a named run is owned
 * by a process that is alive (or, on another host, whose lease has not expired).
 */
export async function runsRecoverCommand(runId: string | undefined, opts: RunsRecoverOptions, io: CliIo) {
  refuseRemote(opts, io, 'runs recover')
  return withRuntime(io, opts.store ? { store: opts.store } : {}, async ({ runtime, store }) => {
    const c = colorsFor(io.stderr, io.env)
    const reports = await runtime.recover(runId ? { runId } : {})
    if (!opts.json) for (const r of reports) io.stderr.write(`${describeReport(r, c)}\n`)
    const recovered = reports.filter((r) => r.outcome === 'recovered')
    if (recovered.length === 0) {
      if (opts.json) io.stdout.write(`${JSON.stringify({ reports, runs: [] }, null, 2)}\n`)
      else if (reports.length === 0) io.stderr.write('nothing to recover: no unfinished runs\n')
      return ExitCode.ok
    }
    if (recovered.length === 1 && !opts.json) {
      const only = recovered[0]!
      const extraArgs = storeArgs(store)
      const before = (await runtime.get(only.runId))!
      return watchRun({
        runtime,
        io,
        quiet: opts.quiet,
        ...(extraArgs ? { extraArgs } : {}),
        afterSeq: before.lastSeq,
        begin: async () => before,
      })
    }
    const finals = await Promise.all(recovered.map((r) => runtime.wait(r.runId)))
    if (opts.json) io.stdout.write(`${JSON.stringify({ reports, runs: finals }, null, 2)}\n`)
    else
      for (const f of finals)
        io.stdout.write(
          `${f.status === 'succeeded' ? '✓' : f.status === 'paused' ? '⏸' : '✗'} ${f.id} ${f.name} ${f.status}\n`,
        )
    return finals.every((f) => exitForRun(f) === ExitCode.ok) ? ExitCode.ok : ExitCode.failed
  })
}

function describeReport(r: RecoveryReport, c: ReturnType<typeof colorsFor>): string {
  const name = `${c.bold(r.runId)}${r.name ? ` (${r.name})` : ''}`
  switch (r.outcome) {
    case 'recovered': {
      const kept = r.kept?.length
        ? `kept ${r.kept.length} finished task(s), not run again: ${r.kept.join(', ')}`
        : 'no task had finished'
      const again = r.interrupted?.length ? `; running again (interrupted): ${r.interrupted.join(', ')}` : ''
      // Say why it could be taken when its process held it and is gone, and what was left of it.
      const from =
        r.previousOwner?.because === 'dead' ? ` (its process ${r.previousOwner.owner} had died)` : ''
      const ended = r.endedProcesses
        ? `; ended ${r.endedProcesses} process group(s) the old attempt left running`
        : ''
      return `${c.cyan('↺')} resumed run ${name}${from}: ${kept}${again}${ended}`
    }
    case 'owned':
      return r.holder === 'alive'
        ? `${c.yellow('⛔')} run ${name} is owned by ${r.lease?.owner} until ${r.lease?.expiresAt}: that process is alive and runs it`
        : `${c.yellow('⛔')} run ${name} is owned by ${r.lease?.owner} until ${r.lease?.expiresAt}: whether that process still runs cannot be checked from here (another host); if it died, recover after that time`
    case 'paused':
      return `${c.yellow('⏸')} run ${name} is paused and waits for someone: see \`weft runs show ${r.runId}\` and resume it with \`weft runs resume\``
    case 'finished':
      return `${c.dim('·')} run ${name} already finished`
  }
}
