import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import { formatDateTime } from '../format.js'
import type { CliIo } from '../io.js'
import type { QueueView } from '../task-service.js'
import { positiveInt, serverOption, storeOption } from './flags.js'
import type { TargetOptions } from './target.js'
import { withTaskService } from './tasks-target.js'

// `weft queue status|pause|resume|history`: the durable queue flag. It is kept in the store, so a
// pause here stops every process and worker that shares the store from starting new attempts
// (running ones finish) until `weft queue resume`.

export interface QueueOptions extends TargetOptions {
  reason?: string
  json?: boolean
  limit?: number
}

type Action = 'status' | 'pause' | 'resume' | 'history'

export const configureQueueStatusCommand = configure('status')
export const configureQueuePauseCommand = configure('pause')
export const configureQueueResumeCommand = configure('resume')
export const configureQueueHistoryCommand = configure('history')

function configure(action: Action) {
  return (command: Command, ctx: CliContext): void => {
    if (action === 'pause') command.option('--reason <text>', 'why (kept with the flag and in its history)')
    if (action === 'history') command.option('-n, --limit <n>', 'at most this many changes', positiveInt, 20)
    command
      .option('--json', 'print JSON')
      .addOption(storeOption())
      .addOption(serverOption())
      .action(async (opts: QueueOptions) => {
        ctx.exitCode = await queueCommand(action, opts, ctx.io)
      })
  }
}

export async function queueCommand(action: Action, opts: QueueOptions, io: CliIo): Promise<number> {
  return withTaskService(io, opts, async (_runs, tasks) => {
    if (action === 'history') {
      const items = await tasks.queueHistory(opts.limit ?? 20)
      if (opts.json) io.stdout.write(`${JSON.stringify(items, null, 2)}\n`)
      else if (items.length === 0) io.stdout.write('the queue was never paused\n')
      else
        for (const c of items)
          io.stdout.write(
            `${formatDateTime(c.ts)}  ${c.type === 'queue.paused' ? 'paused ' : 'resumed'}${c.by ? `  by ${c.by}` : ''}${c.reason ? `  (${c.reason})` : ''}\n`,
          )
      return ExitCode.ok
    }
    const q =
      action === 'pause'
        ? await tasks.pauseQueue(opts.reason)
        : action === 'resume'
          ? await tasks.resumeQueue()
          : await tasks.queue()
    if (opts.json) io.stdout.write(`${JSON.stringify(q, null, 2)}\n`)
    else io.stdout.write(describe(q, io))
    return ExitCode.ok
  })
}

function describe(q: QueueView, io: CliIo): string {
  const c = colorsFor(io.stdout, io.env)
  const state = q.paused ? c.yellow(`paused${q.reason ? ` (${q.reason})` : ''}`) : c.green('running')
  const who = q.changedAt ? c.dim(` since ${formatDateTime(q.changedAt)}${q.by ? ` by ${q.by}` : ''}`) : ''
  const lines = [
    `queue: ${state}${who}`,
    `  ${q.durable ? 'kept in the store: every process and worker on it honours it' : 'this process only (the store keeps no queue flag)'}`,
  ]
  const r = q.runs
  lines.push(`  runs in the store: ${r.running} running, ${r.pending} pending, ${r.paused} paused`)
  if (q.paused) lines.push('  no new task starts; running tasks finish; resume with `weft queue resume`')
  return `${lines.join('\n')}\n`
}
