import type { WeftEvent } from '@weft/core'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { formatEventLine } from '../event-line.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import { nonNegativeInt, serverOption, storeOption } from './flags.js'
import { requireRun, withService } from './target.js'

export interface RunsEventsOptions {
  json?: boolean
  follow?: boolean
  after?: number
  store?: string
  server?: string
}

export function configureRunsEventsCommand(command: Command, ctx: CliContext): void {
  command
    .option('--json', 'one JSON object per line: seq, ts, type, taskId, attempt, severity, runId, data')
    .option('-f, --follow', 'keep printing new events until the run finishes')
    .option('--after <seq>', 'only events after this sequence number', nonNegativeInt)
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, opts: RunsEventsOptions) => {
      ctx.exitCode = await runsEventsCommand(runId, opts, ctx.io)
    })
}

/**
 * The stable JSONL shape: every line has the same keys, absent ones as null, so that `jq` and
 * scripts never need to test for a key.
 */
export function eventRecord(e: WeftEvent) {
  return {
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    taskId: e.taskId ?? null,
    attempt: e.attempt ?? null,
    severity: e.severity,
    runId: e.runId,
    data: e.data,
  }
}

export async function runsEventsCommand(runId: string, opts: RunsEventsOptions, io: CliIo): Promise<number> {
  return withService(io, opts, async (service) => {
    await requireRun(service, runId)
    const c = colorsFor(io.stdout, io.env)
    const controller = new AbortController()
    // Ctrl-C ends a --follow stream cleanly (the runtime still closes the store).
    let interrupted = false
    const onSignal = () => {
      interrupted = true
      controller.abort()
    }
    process.on('SIGINT', onSignal)
    try {
      for await (const e of service.events(runId, {
        after: opts.after ?? 0,
        follow: opts.follow === true,
        signal: controller.signal,
      })) {
        if (opts.json) {
          io.stdout.write(`${JSON.stringify(eventRecord(e))}\n`)
        } else {
          const line = formatEventLine(e, c, { verbose: true })
          if (line) io.stdout.write(`${c.dim(String(e.seq).padStart(4))} ${line}\n`)
        }
      }
    } finally {
      process.off('SIGINT', onSignal)
    }
    return interrupted ? ExitCode.interrupted : ExitCode.ok
  })
}
