import { isTerminalTaskStatus, WeftError } from '@weft/core'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { durationArg } from '../duration.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import { serverOption, storeOption } from './flags.js'
import type { TargetOptions } from './target.js'
import {
  exitCodeOf,
  printFailure,
  printOutput,
  requireTask,
  WAIT_TIMED_OUT,
  waitForTask,
  withTaskService,
} from './tasks-target.js'

// `weft tasks wait`, `weft tasks cancel` and `weft tasks output`: one task of a run.

export interface TasksWaitOptions extends TargetOptions {
  timeout?: number
  json?: boolean
}

export function configureTasksWaitCommand(command: Command, ctx: CliContext): void {
  command
    .option(
      '--timeout <duration>',
      'give up after this long (30s, 5m): exit 124, the task goes on',
      durationArg,
    )
    .option('--json', "print the task's whole state as JSON")
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, taskId: string, opts: TasksWaitOptions) => {
      ctx.exitCode = await tasksWaitCommand(runId, taskId, opts, ctx.io)
    })
}

/** Exit 0 when the task succeeded, 1 when it failed, was canceled or skipped, 124 on --timeout. */
export async function tasksWaitCommand(
  runId: string,
  taskId: string,
  opts: TasksWaitOptions,
  io: CliIo,
): Promise<number> {
  return withTaskService(io, opts, async (runs) => {
    const task = await waitForTask(runs, runId, taskId, opts.timeout)
    if (!task) {
      const now = await requireTask(runs, runId, taskId)
      io.stderr.write(`task ${taskId} of run ${runId} is still ${now.status} after the --timeout\n`)
      return WAIT_TIMED_OUT
    }
    if (opts.json) io.stdout.write(`${JSON.stringify(task, null, 2)}\n`)
    else {
      const c = colorsFor(io.stdout, io.env)
      const paint = task.status === 'succeeded' ? c.green : task.status === 'failed' ? c.red : c.yellow
      io.stdout.write(`${paint(`task ${taskId} of run ${runId} ${task.status}`)}\n`)
      if (task.status !== 'succeeded') printFailure(io, task)
    }
    return exitCodeOf(task)
  })
}

export interface TasksCancelOptions extends TargetOptions {
  reason?: string
  json?: boolean
}

export function configureTasksCancelCommand(command: Command, ctx: CliContext): void {
  command
    .option('--reason <text>', 'why (recorded in the run events)', 'canceled with `weft tasks cancel`')
    .option('--json', 'print { outcome, task } as JSON')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, taskId: string, opts: TasksCancelOptions) => {
      ctx.exitCode = await tasksCancelCommand(runId, taskId, opts, ctx.io)
    })
}

/**
 * Cancels one task: it ends canceled, its dependents are skipped, the rest of the run goes on.
 * Exit 0 once it is canceled (or had already ended), 1 when its process has not confirmed in ~10 s.
 */
export async function tasksCancelCommand(
  runId: string,
  taskId: string,
  opts: TasksCancelOptions,
  io: CliIo,
): Promise<number> {
  return withTaskService(io, opts, async (runs, tasks) => {
    await requireTask(runs, runId, taskId)
    const result = await tasks.cancel(runId, taskId, opts.reason ?? 'canceled with `weft tasks cancel`')
    if (opts.json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
      return result.outcome === 'requested' ? ExitCode.failed : ExitCode.ok
    }
    const c = colorsFor(io.stdout, io.env)
    if (result.outcome === 'ended') {
      io.stdout.write(`task ${taskId} of run ${runId} already ${result.task.status}; nothing to cancel\n`)
      return ExitCode.ok
    }
    if (result.outcome === 'requested') {
      io.stdout.write(
        `${c.yellow(`cancel requested; task ${taskId} is still ${result.task.status}.`)} The process that runs run ${runId} stops it at its next poll; check with \`weft tasks wait ${runId} ${taskId}\`.\n`,
      )
      return ExitCode.failed
    }
    io.stdout.write(
      `${c.yellow(`■ task ${taskId} of run ${runId} canceled`)}${c.dim(' (its dependents are skipped; the run goes on)')}\n`,
    )
    return ExitCode.ok
  })
}

export interface TasksOutputOptions extends TargetOptions {
  json?: boolean
}

export function configureTasksOutputCommand(command: Command, ctx: CliContext): void {
  command
    .option('--json', 'print the output as raw JSON (one line)')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, taskId: string, opts: TasksOutputOptions) => {
      ctx.exitCode = await tasksOutputCommand(runId, taskId, opts, ctx.io)
    })
}

/**
 * Prints one task's whole output (text as it is, JSON pretty, `--json` raw) on stdout, then lists
 * its artifacts on stderr. Exit 0 when it succeeded; 1 (with why on stderr) when it failed or did
 * not run; 2 when it has not ended yet.
 */
export async function tasksOutputCommand(
  runId: string,
  taskId: string,
  opts: TasksOutputOptions,
  io: CliIo,
): Promise<number> {
  return withTaskService(io, opts, async (runs) => {
    const task = await requireTask(runs, runId, taskId)
    if (!isTerminalTaskStatus(task.status)) {
      throw new WeftError(
        'input_invalid',
        `task ${taskId} of run ${runId} is ${task.status}: it has no output yet`,
        {
          hint: `wait for it: weft tasks wait ${runId} ${taskId}${runs.extraArgs ? ` ${runs.extraArgs}` : ''}`,
        },
      )
    }
    await printOutput(io, task, opts.json)
    if (task.status !== 'succeeded') printFailure(io, task)
    const artifacts = await runs.artifacts(runId).catch((err: unknown) => {
      // A store without artifacts has none to list.
      if (err instanceof WeftError && err.code === 'store_unsupported') return []
      throw err
    })
    const own = artifacts.filter((a) => a.taskId === taskId)
    if (own.length > 0) {
      const extra = runs.extraArgs ? ` ${runs.extraArgs}` : ''
      io.stderr.write(`artifacts of task ${taskId}:\n`)
      for (const a of own)
        io.stderr.write(
          `  ${a.name} (${a.size} bytes): weft runs artifacts ${runId} --get ${a.name}${extra}\n`,
        )
    }
    return exitCodeOf(task)
  })
}
