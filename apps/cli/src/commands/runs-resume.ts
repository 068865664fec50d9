import { userInfo } from 'node:os'
import { type Json, WeftError } from '@weft/core'
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
  reject?: string
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
      '--reject <reason>',
      'reject the approval of --token with this reason: the gate fails, or takes its onReject path',
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

/** The name of the person at this terminal (the OS user; `WEFT_USER` names someone else). */
function cliUser(): string {
  if (process.env.WEFT_USER) return process.env.WEFT_USER
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

/**
 * Resumes in this process: the runtime loads the paused run from the store and continues it (with
 * `--server`, the server continues it and this process follows it), so the exit codes are those
 * of `weft run` (0 succeeded or paused again, 1 failed or canceled).
 */
export async function runsResumeCommand(runId: string, opts: RunsResumeOptions, io: CliIo): Promise<number> {
  const input: Json | undefined = opts.input !== undefined ? parseJsonInput(opts.input, io.cwd) : undefined
  if (opts.reject !== undefined && (opts.token === undefined || input !== undefined)) {
    throw new WeftError(
      'input_invalid',
      opts.token === undefined
        ? '--reject answers an approval: pass its --token too'
        : '--reject and --input are two answers: give one',
      { hint: `weft runs resume ${runId} --token <token> --reject "why not"` },
    )
  }
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
          ...(opts.reject !== undefined ? { reject: opts.reject } : {}),
          // Who answered, kept on the approval (a server records its API key's name instead).
          ...(opts.token !== undefined ? { by: `cli:${cliUser()}` } : {}),
          ...(budgetOf(opts) ? { budget: budgetOf(opts) } : {}),
        }),
    })
  })
}
