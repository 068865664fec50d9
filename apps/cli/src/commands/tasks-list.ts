import { TASK_STATUSES, type TaskState, type TaskStatus, WeftError } from '@weft/core'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import { formatDuration, statusColor } from '../format.js'
import type { CliIo } from '../io.js'
import { renderTable } from '../table.js'
import { collect, positiveInt, serverOption, storeOption } from './flags.js'
import type { TargetOptions } from './target.js'
import { withTaskService } from './tasks-target.js'

export interface TasksListOptions extends TargetOptions {
  status: string[]
  backend?: string
  agent?: string
  run?: string
  limit?: number
  json?: boolean
}

export function configureTasksListCommand(command: Command, ctx: CliContext): void {
  command
    .option(
      '-s, --status <status>',
      `only tasks with this status (repeatable or comma-separated: ${TASK_STATUSES.join(', ')})`,
      collect,
      [],
    )
    .option('-b, --backend <id>', 'only tasks of this backend')
    .option('--agent <name>', 'only tasks a worker of this name ran (stores shared with `weft worker`)')
    .option('--run <run-id>', "only this run's tasks")
    .option('-n, --limit <n>', 'at most this many tasks', positiveInt, 100)
    .option('--json', 'print a JSON array of task states')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (opts: TasksListOptions) => {
      ctx.exitCode = await tasksListCommand(opts, ctx.io)
    })
}

/** Tasks across runs, newest run first, then declaration order. */
export async function tasksListCommand(opts: TasksListOptions, io: CliIo): Promise<number> {
  const statuses = parseStatuses(opts.status ?? [])
  return withTaskService(io, opts, async (_runs, tasks) => {
    const items = await tasks.list({
      ...(statuses.length ? { statuses } : {}),
      ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
      ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
      ...(opts.run !== undefined ? { runId: opts.run } : {}),
      limit: Math.min(opts.limit ?? 100, 1000),
    })
    if (opts.json) {
      io.stdout.write(`${JSON.stringify(items, null, 2)}\n`)
      return ExitCode.ok
    }
    const c = colorsFor(io.stdout, io.env)
    if (items.length === 0) {
      io.stdout.write(`${c.dim('no tasks match')}\n`)
      return ExitCode.ok
    }
    io.stdout.write(`${formatTaskTable(items, c)}\n`)
    return ExitCode.ok
  })
}

function durationOf(t: TaskState): number | undefined {
  if (!t.startedAt) return undefined
  return Date.parse(t.completedAt ?? new Date().toISOString()) - Date.parse(t.startedAt)
}

function formatTaskTable(tasks: TaskState[], c: ReturnType<typeof colorsFor>): string {
  const rows = tasks.map((t) => [
    t.runId,
    t.taskId,
    t.status,
    t.backend ?? '–',
    String(t.attempt),
    String(t.priority),
    formatDuration(durationOf(t)),
  ])
  return renderTable(
    ['RUN', 'TASK', 'STATUS', 'BACKEND', 'ATTEMPTS', 'PRIORITY', 'DURATION'],
    rows,
    (col, cell, row) =>
      col === 2 ? statusColor(c, tasks[row]!.status)(cell) : col === 0 ? c.dim(cell) : cell,
    c.bold,
  )
}

function parseStatuses(values: string[]): TaskStatus[] {
  const out: TaskStatus[] = []
  for (const s of values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)) {
    if (!(TASK_STATUSES as readonly string[]).includes(s)) {
      throw new WeftError('input_invalid', `--status: unknown task status '${s}'`, {
        hint: `use one of: ${TASK_STATUSES.join(', ')}`,
      })
    }
    out.push(s as TaskStatus)
  }
  return out
}
