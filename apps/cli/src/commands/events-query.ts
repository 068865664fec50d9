import { WeftError, type WeftEvent } from '@weft/core'
import { toEventRecord } from '@weft/export'
import type { Command } from 'commander'
import { type Colors, colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import { formatCount, formatDateTime, truncate } from '../format.js'
import type { CliIo } from '../io.js'
import { renderTable } from '../table.js'
import { addEventFilterOptions, type EventFilterOptions, eventFilter } from './event-filters.js'
import { positiveInt, serverOption, storeOption } from './flags.js'
import { requireRun, withService } from './target.js'

/** A query holds its result in memory; more than this is a job for `events export`. */
export const MAX_QUERY_LIMIT = 10_000

export interface EventsQueryOptions extends EventFilterOptions {
  limit: number
  json?: boolean
  store?: string
  server?: string
}

export function configureEventsQueryCommand(command: Command, ctx: CliContext): void {
  addEventFilterOptions(command)
    .option(
      '-n, --limit <n>',
      `at most this many events (up to ${formatCount(MAX_QUERY_LIMIT)})`,
      positiveInt,
      100,
    )
    .option('--json', 'one JSON object per line (JSONL), the same records as `events export --format jsonl`')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (opts: EventsQueryOptions) => {
      ctx.exitCode = await eventsQueryCommand(opts, ctx.io)
    })
}

export async function eventsQueryCommand(opts: EventsQueryOptions, io: CliIo): Promise<number> {
  const filter = eventFilter(opts)
  const limit = opts.limit ?? 100
  if (limit > MAX_QUERY_LIMIT) {
    throw new WeftError(
      'input_invalid',
      `--limit ${limit} is more than a query returns (${MAX_QUERY_LIMIT})`,
      {
        hint: 'for the whole log use `weft events export --format jsonl` (it streams, with the same filters)',
      },
    )
  }
  return withService(io, opts, async (service) => {
    if (filter.runId) await requireRun(service, filter.runId)
    const events = await service.queryEvents(filter, limit)
    if (opts.json) {
      for (const e of events) io.stdout.write(`${JSON.stringify(toEventRecord(e))}\n`)
      return ExitCode.ok
    }
    const c = colorsFor(io.stdout, io.env)
    if (events.length === 0) {
      io.stdout.write(`${c.dim('no events match')}\n`)
      return ExitCode.ok
    }
    io.stdout.write(`${formatEventTable(events, c, !filter.runId)}\n`)
    if (events.length === limit) {
      io.stdout.write(
        `${c.dim(`(first ${formatCount(limit)} shown; raise --limit or narrow the filters)`)}\n`,
      )
    }
    return ExitCode.ok
  })
}

function formatEventTable(events: WeftEvent[], c: Colors, showRun: boolean): string {
  const headers = ['TIME', ...(showRun ? ['RUN'] : []), 'SEQ', 'SEVERITY', 'TYPE', 'TASK', 'DATA']
  const severityColumn = headers.indexOf('SEVERITY')
  const rows = events.map((e) => [
    formatDateTime(e.ts),
    ...(showRun ? [e.runId] : []),
    String(e.seq),
    e.severity,
    e.type,
    e.attempt && e.attempt > 1 ? `${e.taskId ?? ''}#${e.attempt}` : (e.taskId ?? ''),
    truncate(JSON.stringify(e.data).replace(/\s+/g, ' '), 80),
  ])
  return renderTable(
    headers,
    rows,
    (col, cell, row) => {
      if (col !== severityColumn) return col === 0 ? c.dim(cell) : cell
      const s = events[row]!.severity
      return s === 'error' ? c.red(cell) : s === 'warn' ? c.yellow(cell) : s === 'debug' ? c.dim(cell) : cell
    },
    c.bold,
  )
}
