import { RUN_STATUSES, type RunStatus, type RunSummary, totalTokens, WeftError } from '@weft/core'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import { formatCount, formatDateTime, formatDuration, statusColor } from '../format.js'
import type { CliIo } from '../io.js'
import { doneCount, runDurationMs } from '../summary.js'
import { renderTable } from '../table.js'
import { collect, positiveInt, serverOption, storeOption } from './flags.js'
import { withService } from './target.js'

export interface RunsListOptions {
  status: string[]
  limit?: number
  json?: boolean
  store?: string
  server?: string
}

export function configureRunsListCommand(command: Command, ctx: CliContext): void {
  command
    .option(
      '-s, --status <status>',
      `only runs with this status (repeatable or comma-separated: ${RUN_STATUSES.join(', ')})`,
      collect,
      [],
    )
    .option('-n, --limit <n>', 'at most this many runs', positiveInt, 50)
    .option('--json', 'print a JSON array of run summaries')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (opts: RunsListOptions) => {
      ctx.exitCode = await runsListCommand(opts, ctx.io)
    })
}

export async function runsListCommand(opts: RunsListOptions, io: CliIo): Promise<number> {
  const statuses = parseStatuses(opts.status ?? [])
  const limit = Math.min(opts.limit ?? 50, 1000)
  return withService(io, opts, async (service) => {
    const page = await service.list({ limit, ...(statuses.length ? { status: statuses } : {}) })
    if (opts.json) {
      io.stdout.write(`${JSON.stringify(page.items, null, 2)}\n`)
      return ExitCode.ok
    }
    const c = colorsFor(io.stdout, io.env)
    if (page.items.length === 0) {
      io.stdout.write(
        `${c.dim(statuses.length ? `no ${statuses.join('/')} runs` : 'no runs yet — start one with `weft run <file>`')}\n`,
      )
      return ExitCode.ok
    }
    io.stdout.write(`${formatRunTable(page.items, c)}\n`)
    if (page.nextCursor) io.stdout.write(`${c.dim(`(more runs exist; raise --limit to see them)`)}\n`)
    return ExitCode.ok
  })
}

function formatRunTable(runs: RunSummary[], c: ReturnType<typeof colorsFor>): string {
  const rows = runs.map((r) => [
    r.id,
    r.name,
    r.status,
    formatDateTime(r.createdAt),
    formatDuration(runDurationMs(r)),
    `${doneCount(r)}/${r.taskCounts.total}`,
    formatCount(totalTokens(r.usage)),
  ])
  return renderTable(
    ['ID', 'NAME', 'STATUS', 'CREATED', 'DURATION', 'TASKS', 'TOKENS'],
    rows,
    (col, cell, row) =>
      col === 2 ? statusColor(c, runs[row]!.status)(cell) : col === 0 ? c.dim(cell) : cell,
    c.bold,
  )
}

function parseStatuses(values: string[]): RunStatus[] {
  const out: RunStatus[] = []
  for (const s of values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)) {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) {
      throw new WeftError('input_invalid', `--status '${s}' is not a run status`, {
        hint: `use one of: ${RUN_STATUSES.join(', ')}`,
      })
    }
    out.push(s as RunStatus)
  }
  return out
}
