import type { Json } from '@weft/core'
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { parseJsonInput } from '../inputs.js'
import type { CliIo } from '../io.js'
import { watchRun } from '../watch-run.js'
import { budgetOf, nonNegativeInt, nonNegativeNumber, serverOption, storeOption } from './flags.js'
import { requireRun, withService } from './target.js'

export interface RunsResumeOptions {
  token?: string
  input?: string
  json?: boolean
  quiet?: boolean
  store?: string
  server?: string
  budgetUsd?: number
  budgetTokens?: number
}

export function configureRunsResumeCommand(command: Command, ctx: CliContext): void {
  command
    .option(
      '-t, --token <token>',
      'the resume token of the approval (printed when the run paused; see `weft runs show`)',
    )
    .option(
      '-i, --input <json>',
      "the approval's answer as JSON (it becomes the task's output); @file reads it from a file",
    )
    .option(
      '--budget-usd <usd>',
      'raise (or set) the run budget in USD, e.g. after it paused for its budget',
      nonNegativeNumber,
    )
    .option('--budget-tokens <n>', 'raise (or set) the run budget in tokens', nonNegativeInt)
    .option('--json', 'print only the final run summary as JSON on stdout')
    .option('-q, --quiet', 'no progress lines, only the summary')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, opts: RunsResumeOptions) => {
      ctx.exitCode = await runsResumeCommand(runId, opts, ctx.io)
    })
}

/**
 * Resumes in this process: the runtime loads the paused run from the store and continues it (with
 * `--server`, the server continues it and this process follows it), so the exit codes are those
 * of `weft run` (0 succeeded or paused again, 1 failed or canceled).
 */
export async function runsResumeCommand(runId: string, opts: RunsResumeOptions, io: CliIo): Promise<number> {
  const input: Json | undefined = opts.input !== undefined ? parseJsonInput(opts.input, io.cwd) : undefined
  return withService(io, opts, async (service) => {
    const before = await requireRun(service, runId)
    return watchRun({
      service,
      io,
      json: opts.json,
      quiet: opts.quiet,
      afterSeq: before.lastSeq,
      begin: () =>
        service.resume(runId, {
          ...(opts.token !== undefined ? { token: opts.token } : {}),
          ...(input !== undefined ? { input } : {}),
          ...(budgetOf(opts) ? { budget: budgetOf(opts) } : {}),
        }),
    })
  })
}
