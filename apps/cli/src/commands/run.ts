import {
  BUDGET_POLICIES,
  type BudgetSpec,
  SCHEDULING_MODES,
  type SchedulingMode,
  type WorkflowInput,
} from '@weft/core'
import { type Command, Option } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { countLine, formatDiagnostics } from '../diagnostics.js'
import { ExitCode } from '../exit-codes.js'
import { parseInputPairs } from '../inputs.js'
import type { CliIo } from '../io.js'
import { watchRun } from '../watch-run.js'
import {
  budgetOf,
  collect,
  loadWorkflow,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  storeArgs,
  storeOption,
  withRuntime,
} from './shared.js'

export interface RunCommandOptions {
  input: string[]
  store?: string
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
}

export function registerRunCommand(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run a workflow file, show its progress and a closing summary')
    .argument('<file>', 'the workflow (.yaml, .yml or .json)')
    .option(
      '-i, --input <key=value>',
      'a workflow input (repeatable); key=@file reads the value from a file',
      collect,
      [],
    )
    .addOption(storeOption())
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
    .action(async (file: string, opts: RunCommandOptions) => {
      ctx.exitCode = await runCommand(file, opts, ctx.io)
    })
}

/**
 * Load → validate (every problem listed, nothing stored) → start → watch. Exit 0 when the run
 * succeeds or pauses for approval, 1 when it fails or is canceled, 2 for bad input, 130 on Ctrl-C.
 */
export async function runCommand(file: string, opts: RunCommandOptions, io: CliIo): Promise<number> {
  const inputs = parseInputPairs(opts.input ?? [], io.cwd)
  const doc = await loadWorkflow(file, io)
  const c = colorsFor(io.stderr, io.env)
  if (doc.diagnostics.length > 0) {
    io.stderr.write(
      `${formatDiagnostics(doc.diagnostics, c)}\n${c.red(`✗ ${file} cannot be read: ${countLine(doc.diagnostics)}`)}\n`,
    )
    return ExitCode.invalidInput
  }
  return withRuntime(
    io,
    {
      ...(opts.store ? { store: opts.store } : {}),
      ...(opts.maxParallel ? { maxParallelism: opts.maxParallel } : {}),
      ...(opts.strict ? { diagnostics: 'strict' as const } : {}),
    },
    async ({ runtime, store }) => {
      // Validate first so that every problem is listed (start() would refuse with the same list).
      const result = runtime.validate(doc.value, {
        file,
        locate: doc.locate,
        inputs,
        ...(opts.backend ? { backend: opts.backend } : {}),
      })
      if (!result.ok) {
        io.stderr.write(
          `${formatDiagnostics(result.diagnostics, c)}\n${c.red(`✗ ${file} is invalid: ${countLine(result.diagnostics)}`)}\n`,
        )
        return ExitCode.invalidInput
      }
      if (result.diagnostics.length > 0) io.stderr.write(`${formatDiagnostics(result.diagnostics, c)}\n`)
      const extraArgs = storeArgs(store)
      return watchRun({
        runtime,
        io,
        json: opts.json,
        quiet: opts.quiet,
        ...(extraArgs ? { extraArgs } : {}),
        afterSeq: 0,
        begin: () =>
          runtime.start(
            {
              workflow: doc.value as WorkflowInput,
              inputs,
              initiator: 'cli',
              source: doc.path,
              ...(opts.backend ? { backend: opts.backend } : {}),
              ...(opts.maxParallel ? { maxParallelism: opts.maxParallel } : {}),
              ...(opts.mode ? { mode: opts.mode } : {}),
              ...(opts.failFast ? { failFast: true } : {}),
              ...(budgetOf(opts) ? { budget: budgetOf(opts) } : {}),
              ...(opts.strict ? { diagnostics: 'strict' as const } : {}),
            },
            { file, locate: doc.locate },
          ),
      })
    },
  )
}
