import { pruneRuns, RUN_STATUSES, type RunStatus, TERMINAL_RUN_STATUSES, WeftError } from '@weft/core'
import { type Command, Option } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { durationArg } from '../duration.js'
import { ExitCode } from '../exit-codes.js'
import { formatCount, formatDateTime, statusColor } from '../format.js'
import type { CliIo } from '../io.js'
import { renderTable } from '../table.js'
import { collect, positiveInt, serverOption, storeOption } from './flags.js'
import { refuseRemote, withRuntime } from './target.js'

export interface RunsPruneOptions {
  /** Milliseconds, parsed from e.g. `30d`. */
  olderThan: number
  status: string[]
  dryRun?: boolean
  batchSize?: number
  json?: boolean
  store?: string
  server?: string
}

const FINISHED = [...TERMINAL_RUN_STATUSES]

export function configureRunsPruneCommand(command: Command, ctx: CliContext): void {
  command
    .addOption(
      new Option(
        '--older-than <duration>',
        'runs created longer ago than this: 30d, 12h, 2w (units s, m, h, d, w)',
      )
        .argParser(durationArg)
        .makeOptionMandatory(),
    )
    .option(
      '-s, --status <status>',
      `only runs with this status (repeatable or comma-separated; default: ${FINISHED.join(', ')})`,
      collect,
      [],
    )
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option(
      '--batch-size <n>',
      'runs deleted per batch (other writers go on between batches)',
      positiveInt,
      100,
    )
    .option('--json', 'print { deleted, dryRun, createdBefore, statuses, runs } as JSON')
    .addOption(storeOption())
    // Not in the API: accepted only to say so clearly (exit 2).
    .addOption(serverOption().hideHelp())
    .action(async (opts: RunsPruneOptions) => {
      ctx.exitCode = await runsPruneCommand(opts, ctx.io)
    })
}

export async function runsPruneCommand(opts: RunsPruneOptions, io: CliIo): Promise<number> {
  refuseRemote(opts, io, 'runs prune')
  const statuses = parseStatuses(opts.status ?? [])
  const batchSize = Math.min(opts.batchSize ?? 100, 1000)
  const olderThan = new Date(Date.now() - opts.olderThan)
  return withRuntime(io, opts.store ? { store: opts.store } : {}, async ({ runtime }) => {
    const store = runtime.store
    await store.init()
    const runs: { id: string; name: string; status: RunStatus; createdAt: string }[] = []
    const result = await pruneRuns(store, {
      olderThan,
      statuses,
      batchSize,
      dryRun: opts.dryRun === true,
      onBatch: (batch) => {
        for (const r of batch.runs)
          runs.push({ id: r.id, name: r.name, status: r.status, createdAt: r.createdAt })
      },
    })
    if (opts.json) {
      const doc = {
        deleted: result.deleted,
        dryRun: result.dryRun,
        createdBefore: olderThan.toISOString(),
        statuses,
        runs,
      }
      io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
      return ExitCode.ok
    }
    const c = colorsFor(io.stdout, io.env)
    const what = `${statuses.join('/')} run${result.deleted === 1 ? '' : 's'} created before ${formatDateTime(olderThan.toISOString())}`
    if (runs.length === 0) {
      io.stdout.write(`${c.dim(`no ${what}`)}\n`)
      return ExitCode.ok
    }
    io.stdout.write(
      `${renderTable(
        ['ID', 'NAME', 'STATUS', 'CREATED'],
        runs.map((r) => [r.id, r.name, r.status, formatDateTime(r.createdAt)]),
        (col, cell, row) =>
          col === 2 ? statusColor(c, runs[row]!.status)(cell) : col === 0 ? c.dim(cell) : cell,
        c.bold,
      )}\n`,
    )
    io.stdout.write(
      result.dryRun
        ? `${c.yellow('dry run:')} would delete ${formatCount(result.deleted)} ${what}\n`
        : `${c.green('✓')} deleted ${formatCount(result.deleted)} ${what}\n`,
    )
    return ExitCode.ok
  })
}

/**
 * Finished statuses only: a pending, running, paused or canceling run belongs to a runtime that may
 * still write it. The message says how to get rid of one anyway.
 */
function parseStatuses(values: string[]): RunStatus[] {
  const out = new Set<RunStatus>()
  for (const s of values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)) {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) {
      throw new WeftError('input_invalid', `--status '${s}' is not a run status`, {
        hint: `use one of: ${FINISHED.join(', ')}`,
      })
    }
    if (!TERMINAL_RUN_STATUSES.has(s as RunStatus)) {
      throw new WeftError('input_invalid', `--status ${s}: only finished runs can be pruned`, {
        hint: `use ${FINISHED.join(', ')}; cancel a live run first (weft runs cancel <id>)`,
      })
    }
    out.add(s as RunStatus)
  }
  return out.size ? [...out] : FINISHED
}
