import { isAbsolute, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { WeftError } from '@weft/core'
import { EXPORT_FORMATS, type ExportFormat } from '@weft/export'
import { type Command, Option } from 'commander'
import { openAtomicFile } from '../atomic-file.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import { formatCount } from '../format.js'
import type { CliIo, OutStream } from '../io.js'
import { addEventFilterOptions, type EventFilterOptions, eventFilter } from './event-filters.js'
import { serverOption, storeOption } from './flags.js'
import { requireRun, withService } from './target.js'

export interface EventsExportOptions extends EventFilterOptions {
  format?: ExportFormat
  out?: string
  store?: string
  server?: string
}

export function configureEventsExportCommand(command: Command, ctx: CliContext): void {
  addEventFilterOptions(
    command
      .addOption(
        new Option('-f, --format <format>', 'jsonl, csv or json (default: from the --out extension)').choices(
          EXPORT_FORMATS,
        ),
      )
      .option('-o, --out <file>', 'write to this file, atomically (default: stdout)'),
  )
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (opts: EventsExportOptions) => {
      ctx.exitCode = await eventsExportCommand(opts, ctx.io)
    })
}

export async function eventsExportCommand(opts: EventsExportOptions, io: CliIo): Promise<number> {
  const filter = eventFilter(opts)
  const format = opts.format ?? formatFromFile(opts.out)
  if (!format) {
    throw new WeftError('input_invalid', 'which format? pass --format jsonl, csv or json', {
      hint: 'or give --out a file ending in .jsonl, .csv or .json',
    })
  }
  return withService(io, opts, async (service) => {
    if (filter.runId) await requireRun(service, filter.runId)
    // Ctrl-C stops between pages: the temp file is removed and an existing --out file stays as it was.
    const controller = new AbortController()
    const onSignal = () => controller.abort(new WeftError('internal', 'interrupted'))
    process.on('SIGINT', onSignal)
    const target = opts.out ? (isAbsolute(opts.out) ? opts.out : resolve(io.cwd, opts.out)) : undefined
    try {
      if (target) {
        const file = await openAtomicFile(target)
        try {
          const result = await service.exportEvents(
            { ...filter, signal: controller.signal },
            format,
            file.stream,
          )
          await file.commit()
          io.stderr.write(`exported ${describe(result)} to ${opts.out} (${format})\n`)
        } catch (err) {
          await file.abort()
          throw err
        }
      } else {
        const result = await toStdout(io.stdout, (out) =>
          service.exportEvents({ ...filter, signal: controller.signal }, format, out),
        )
        if (result === 'closed') return ExitCode.ok
        io.stderr.write(`exported ${describe(result)} (${format})\n`)
      }
      return ExitCode.ok
    } catch (err) {
      if (controller.signal.aborted) {
        io.stderr.write(`export interrupted${opts.out ? `: ${opts.out} was not written` : ''}\n`)
        return ExitCode.interrupted
      }
      throw err
    } finally {
      process.off('SIGINT', onSignal)
    }
  })
}

function describe(result: { events: number; runs: number }): string {
  return `${formatCount(result.events)} event${result.events === 1 ? '' : 's'} of ${formatCount(result.runs)} run${result.runs === 1 ? '' : 's'}`
}

function formatFromFile(file: string | undefined): ExportFormat | undefined {
  const ext = file?.toLowerCase().match(/\.(jsonl|ndjson|csv|json)$/)?.[1]
  return ext === 'ndjson' ? 'jsonl' : (ext as ExportFormat | undefined)
}

/**
 * Exports to the CLI's stdout. The real process stdout is a stream with backpressure and is used as
 * is; an embedding app's plain `write` function is wrapped. A reader that goes away early
 * (`… | head`) ends the export quietly, as other Unix tools do.
 */
async function toStdout<T>(
  stdout: OutStream,
  run: (out: NodeJS.WritableStream) => Promise<T>,
): Promise<T | 'closed'> {
  const stream = isStream(stdout)
    ? stdout
    : new Writable({
        write(chunk: Buffer, _encoding, callback) {
          stdout.write(chunk.toString('utf8'))
          callback()
        },
      })
  // Keeps a late EPIPE from becoming an uncaught error after the export returned.
  const ignore = () => {}
  stream.on('error', ignore)
  try {
    return await run(stream)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 'closed'
    throw err
  } finally {
    if (stream !== stdout) stream.end()
  }
}

function isStream(out: OutStream): out is OutStream & NodeJS.WritableStream {
  return typeof (out as Partial<NodeJS.WritableStream>).once === 'function'
}
