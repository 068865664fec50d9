import type { WeftClient } from '@weft/client'
import {
  defineSchedule,
  type Json,
  MISSED_TICK_POLICIES,
  type MissedTickPolicy,
  requireSchedules,
  type Schedule,
  scheduleLabel,
  WeftError,
} from '@weft/core'
import { type Command, Option } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { countLine, formatDiagnostics } from '../diagnostics.js'
import { ExitCode } from '../exit-codes.js'
import { formatDateTime } from '../format.js'
import { parseInputPairs } from '../inputs.js'
import type { CliIo } from '../io.js'
import { shellQuote } from '../shell-quote.js'
import { renderTable } from '../table.js'
import { collect, serverOption, storeOption } from './flags.js'
import { resolveServer, serverClient, withRuntime } from './target.js'
import { loadWorkflow } from './workflow-file.js'

// `weft schedules add|list|remove`: cron schedules kept in the store (local, `--store`) or in a
// server's store (`--server` / WEFT_SERVER). A server (`weft serve`) on that store starts the runs.

interface TargetOpts {
  server?: string
  store?: string
}

interface AddOpts extends TargetOpts {
  cron?: string
  input: string[]
  missed?: MissedTickPolicy
  timezone?: string
  name?: string
  json?: boolean
}

/** The server's client when the command targets one (`--server`, WEFT_SERVER), else undefined. */
function clientFor(opts: TargetOpts, io: CliIo): { client: WeftClient; args: string } | undefined {
  const server = resolveServer(opts, io.env)
  if (!server) return undefined
  const { client, serverArgs } = serverClient(server, io.env)
  return { client, args: serverArgs ? ` ${serverArgs}` : '' }
}

const local = (opts: TargetOpts) => (opts.store ? { store: opts.store } : {})

export function configureSchedulesAddCommand(command: Command, ctx: CliContext): void {
  command
    .requiredOption(
      '--cron <expression>',
      'when: 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "0 9 * * 1-5"',
    )
    .option(
      '-i, --input <key=value>',
      'an input of every run (repeatable); key=@file reads a file',
      collect,
      [],
    )
    .addOption(
      new Option(
        '--missed <policy>',
        'ticks missed while no server ran: skip (default) or catchUp (one run)',
      ).choices([...MISSED_TICK_POLICIES]),
    )
    .option('--timezone <zone>', 'IANA time zone the cron is read in (default UTC), e.g. Europe/Paris')
    .option('--name <name>', 'a label for `weft schedules list` (default: the workflow’s name)')
    .option('--json', 'print the schedule as JSON')
    .addOption(storeOption())
    .addOption(serverOption())
    .addHelpText(
      'after',
      `
The schedule keeps the workflow as it is now; runs start while \`weft serve\` runs on the same
store (or on the server given with --server), with initiator "schedule".`,
    )
    .action(async (file: string, opts: AddOpts) => {
      ctx.exitCode = await addSchedule(file, opts, ctx.io)
    })
}

async function addSchedule(file: string, opts: AddOpts, io: CliIo): Promise<number> {
  const inputs = parseInputPairs(opts.input ?? [], io.cwd)
  const doc = await loadWorkflow(file, io)
  const c = colorsFor(io.stderr, io.env)
  if (doc.diagnostics.length > 0) {
    io.stderr.write(
      `${formatDiagnostics(doc.diagnostics, c)}\n${c.red(`✗ ${file} cannot be read: ${countLine(doc.diagnostics)}`)}\n`,
    )
    return ExitCode.invalidInput
  }
  const cron = opts.cron!
  const remote = clientFor(opts, io)
  let schedule: Schedule
  if (remote) {
    schedule = await remote.client.schedules.create({
      workflow: doc.text,
      source: doc.path,
      cron,
      inputs,
      ...(opts.missed ? { missed: opts.missed } : {}),
      ...(opts.timezone ? { timezone: opts.timezone } : {}),
      ...(opts.name ? { name: opts.name } : {}),
    })
  } else {
    schedule = await withRuntime(io, local(opts), async (cli) => {
      const schedules = requireSchedules(cli.runtime.store)
      // The cron first: a typo there is the likelier mistake, and it needs no workflow to report.
      const defined = defineSchedule({
        workflow: { document: doc.value as Record<string, Json>, source: doc.path },
        cron,
        inputs,
        ...(opts.missed ? { missed: opts.missed } : {}),
        ...(opts.timezone ? { timezone: opts.timezone } : {}),
        ...(opts.name ? { name: opts.name } : {}),
      })
      const result = cli.runtime.validate(doc.value, { file: doc.file, locate: doc.locate, inputs })
      if (!result.ok) {
        throw new WeftError(
          'workflow_invalid',
          `${file} cannot be scheduled: ${countLine(result.diagnostics)}`,
          {
            diagnostics: result.diagnostics,
            hint: `fix it (\`weft validate ${shellQuote(file)}\`), then add the schedule again`,
          },
        )
      }
      await schedules.put(defined)
      return defined
    })
  }
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(schedule, null, 2)}\n`)
    return ExitCode.ok
  }
  const out = colorsFor(io.stdout, io.env)
  io.stdout.write(
    [
      `${out.green('✓')} added schedule ${out.bold(schedule.id)} (${scheduleLabel(schedule)}): ${schedule.cron}${schedule.timezone ? ` in ${schedule.timezone}` : ' UTC'}, missed ticks: ${schedule.missed}`,
      `  next tick ${formatDateTime(schedule.nextTickAt)}${remote ? '' : ' — runs start while `weft serve` runs on this store'}`,
      `  list: weft schedules list${remote?.args ?? ''}   remove: weft schedules remove ${schedule.id}${remote?.args ?? ''}`,
      '',
    ].join('\n'),
  )
  return ExitCode.ok
}

export function configureSchedulesListCommand(command: Command, ctx: CliContext): void {
  command
    .option('--json', 'print a JSON array')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (opts: TargetOpts & { json?: boolean }) => {
      const io = ctx.io
      const remote = clientFor(opts, io)
      const items = remote
        ? await remote.client.schedules.list()
        : await withRuntime(io, local(opts), (cli) => requireSchedules(cli.runtime.store).list())
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(items, null, 2)}\n`)
        return
      }
      if (items.length === 0) {
        io.stdout.write(
          'no schedules — add one with `weft schedules add FILE --cron "0 9 * * 1-5"`, or declare `schedules:` in a workflow of the server’s folder\n',
        )
        return
      }
      const c = colorsFor(io.stdout, io.env)
      const rows = items.map((s) => [
        s.id,
        scheduleLabel(s),
        s.cron,
        s.timezone ?? 'UTC',
        s.missed,
        s.enabled ? 'yes' : 'no',
        s.enabled ? formatDateTime(s.nextTickAt) : '–',
        formatDateTime(s.lastTickAt),
        s.origin,
      ])
      io.stdout.write(
        `${renderTable(['id', 'name', 'cron', 'zone', 'missed', 'enabled', 'next tick', 'last tick', 'origin'], rows, (_col, cell) => cell, c.dim)}\n`,
      )
    })
}

export function configureSchedulesRemoveCommand(command: Command, ctx: CliContext): void {
  command
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (id: string, opts: TargetOpts) => {
      const io = ctx.io
      const remote = clientFor(opts, io)
      if (remote) {
        await remote.client.schedules.remove(id)
      } else {
        const removed = await withRuntime(io, local(opts), (cli) =>
          requireSchedules(cli.runtime.store).remove(id),
        )
        if (!removed) {
          throw new WeftError('input_invalid', `there is no schedule '${id}' in this store`, {
            hint: 'list them with `weft schedules list` (and check --store / WEFT_STORE)',
            details: { scheduleId: id },
          })
        }
      }
      io.stdout.write(`removed schedule ${id} (the runs it started stay)\n`)
    })
}
