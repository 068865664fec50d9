import {
  BUDGET_POLICIES,
  type BudgetSpec,
  type Diagnostic,
  isWeftError,
  SCHEDULING_MODES,
  type SchedulingMode,
} from '@weft/core'
import { type Command, Option } from 'commander'
import { type Colors, colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { DETACHED_CHILD_FLAG, printDetached, reportStarted, spawnDetachedRun } from '../detach.js'
import { countLine, formatDiagnostics } from '../diagnostics.js'
import { ExitCode } from '../exit-codes.js'
import { parseInputPairs } from '../inputs.js'
import type { CliIo } from '../io.js'
import type { StartRequest } from '../service.js'
import { watchRun } from '../watch-run.js'
import {
  budgetOf,
  collect,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  serverOption,
  storeOption,
} from './flags.js'
import { withService } from './target.js'
import { loadWorkflow } from './workflow-file.js'

export interface RunCommandOptions {
  input: string[]
  store?: string
  server?: string
  maxParallel?: number
  mode?: SchedulingMode
  backend?: string
  failFast?: boolean
  strict?: boolean
  json?: boolean
  quiet?: boolean
  budgetUsd?: number
  budgetTokens?: number
  onBudget?: BudgetSpec['onExceeded']
  detach?: boolean
  /** Hidden: this process is the child that owns a `--detach`ed local run. */
  detachedChild?: boolean
}

export function configureRunCommand(command: Command, ctx: CliContext): void {
  command
    .option(
      '-i, --input <key=value>',
      'a workflow input (repeatable); key=@file reads the value from a file',
      collect,
      [],
    )
    .addOption(storeOption())
    .addOption(serverOption())
    .option('-p, --max-parallel <n>', 'at most this many tasks at once (overrides the workflow)', positiveInt)
    .addOption(
      new Option(
        '--mode <mode>',
        'scheduling: eager fills free slots at once, batched runs in barriers',
      ).choices([...SCHEDULING_MODES]),
    )
    .option('--backend <id>', 'run every task on this backend (e.g. --backend mock for a dry run)')
    .option('--fail-fast', 'stop the whole run at the first failed task')
    .option('--strict', 'treat warnings as errors')
    .option(
      '--budget-usd <usd>',
      'stop the run before it would spend more than this (overrides the workflow)',
      nonNegativeNumber,
    )
    .option('--budget-tokens <n>', 'stop the run before it would use more tokens than this', nonNegativeInt)
    .addOption(
      new Option(
        '--on-budget <policy>',
        'when a task would go over: fail_task, fail_run, or pause (default)',
      ).choices([...BUDGET_POLICIES]),
    )
    .option('--json', 'print only the final run summary as JSON on stdout')
    .option('-q, --quiet', 'no progress lines, only the summary')
    .option(
      '--detach',
      'start the run, print its id and exit 0; it goes on in the background (locally: a process of its own, output in .weft/logs/<id>.log)',
    )
    .addOption(new Option(DETACHED_CHILD_FLAG).hideHelp())
    .action(async (file: string, opts: RunCommandOptions) => {
      ctx.exitCode = await runCommand(file, opts, ctx.io, ctx.argv)
    })
}

/**
 * Load → validate (every problem listed, nothing stored) → start → watch. Exit 0 when the run
 * succeeds or pauses for approval, 1 when it fails or is canceled, 2 for bad input, 130 on Ctrl-C.
 * With `--server` the server validates and runs it; this process follows it over SSE.
 */
export async function runCommand(
  file: string,
  opts: RunCommandOptions,
  io: CliIo,
  argv: string[] = process.argv.slice(2),
): Promise<number> {
  const inputs = parseInputPairs(opts.input ?? [], io.cwd)
  const doc = await loadWorkflow(file, io)
  const c = colorsFor(io.stderr, io.env)
  if (doc.diagnostics.length > 0) {
    io.stderr.write(
      `${formatDiagnostics(doc.diagnostics, c)}\n${c.red(`✗ ${file} cannot be read: ${countLine(doc.diagnostics)}`)}\n`,
    )
    return ExitCode.invalidInput
  }
  const request: StartRequest = {
    inputs,
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.maxParallel ? { maxParallelism: opts.maxParallel } : {}),
    ...(opts.mode ? { mode: opts.mode } : {}),
    ...(opts.failFast ? { failFast: true } : {}),
    ...(budgetOf(opts) ? { budget: budgetOf(opts) } : {}),
    ...(opts.strict ? { strict: true } : {}),
  }
  return withService(
    io,
    {
      ...(opts.store ? { store: opts.store } : {}),
      ...(opts.server ? { server: opts.server } : {}),
      ...(opts.maxParallel ? { maxParallelism: opts.maxParallel } : {}),
      ...(opts.strict ? { diagnostics: 'strict' as const } : {}),
    },
    async (service) => {
      // Validate first so that every problem is listed (start() would refuse with the same list).
      const result = service.validate(doc, request)
      if (!result.ok) return printInvalid(result.diagnostics, file, io, c)
      if (result.diagnostics.length > 0) io.stderr.write(`${formatDiagnostics(result.diagnostics, c)}\n`)
      const begin = async () => {
        const run = await service.start(doc, request)
        // The server validated: its warnings come with the run.
        if (service.kind === 'remote' && run.diagnostics.length > 0)
          io.stderr.write(`${formatDiagnostics(run.diagnostics, c)}\n`)
        return run
      }
      try {
        if (opts.detach && !opts.detachedChild) {
          const detachOptions = {
            json: opts.json,
            ...(service.extraArgs ? { extraArgs: service.extraArgs } : {}),
          }
          // On a store shared with workers the run is only recorded: a `weft worker` runs it.
          if (service.kind === 'local' && !service.sharedQueue)
            return await spawnDetachedRun(io, argv, detachOptions)
          const run = service.sharedQueue
            ? await service.start(doc, { ...request, detach: true })
            : await begin()
          printDetached(run, io, { ...detachOptions, ...(service.sharedQueue ? { workers: true } : {}) })
          if ((await service.liveWorkers?.()) === 0)
            io.stderr.write(
              `note: no \`weft worker\` is up on this store: the run waits until one starts (weft worker${service.extraArgs ? ` ${service.extraArgs}` : ''})\n`,
            )
          return ExitCode.ok
        }
        return await watchRun({
          service,
          io,
          json: opts.json,
          quiet: opts.quiet,
          afterSeq: 0,
          begin,
          ...(opts.detachedChild ? { onStarted: reportStarted } : {}),
        })
      } catch (err) {
        // The server found the workflow invalid: the same listing as a local validation.
        if (
          isWeftError(err) &&
          (err.code === 'workflow_invalid' || err.code === 'input_invalid') &&
          err.diagnostics.length > 0
        )
          return printInvalid(err.diagnostics, file, io, c)
        throw err
      }
    },
  )
}

function printInvalid(diagnostics: Diagnostic[], file: string, io: CliIo, c: Colors): number {
  io.stderr.write(
    `${formatDiagnostics(diagnostics, c)}\n${c.red(`✗ ${file} is invalid: ${countLine(diagnostics)}`)}\n`,
  )
  return ExitCode.invalidInput
}
