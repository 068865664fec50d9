import type { TaskState } from '@weft/core'
import type { Command } from 'commander'
import { type Colors, colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { formatDiagnostics } from '../diagnostics.js'
import { ExitCode } from '../exit-codes.js'
import { formatDateTime } from '../format.js'
import type { CliIo } from '../io.js'
import { formatRunSummary } from '../summary.js'
import { serverOption, storeOption } from './flags.js'
import { requireRun, withService } from './target.js'

export interface RunsShowOptions {
  json?: boolean
  store?: string
  server?: string
}

export function configureRunsShowCommand(command: Command, ctx: CliContext): void {
  command
    .option('--json', 'print { run, tasks } as JSON')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, opts: RunsShowOptions) => {
      ctx.exitCode = await runsShowCommand(runId, opts, ctx.io)
    })
}

/** Who answered each approval gate, and how: `approve  rejected by cli:ana: not this week`. */
function approvalLines(tasks: TaskState[], c: Colors): string[] {
  const out: string[] = []
  for (const t of tasks) {
    const a = t.approval
    if (!a || a.status === 'waiting') continue
    const by = a.by ? ` by ${a.by}` : ''
    const reason = a.reason ? `: ${a.reason}` : ''
    out.push(
      `  ${c.dim('approval ')}  ${t.taskId} ${a.status}${by}${reason}  ${c.dim(formatDateTime(a.respondedAt))}`,
    )
  }
  return out
}

export async function runsShowCommand(runId: string, opts: RunsShowOptions, io: CliIo): Promise<number> {
  return withService(io, opts, async (service) => {
    const run = await requireRun(service, runId)
    const [tasks, rerunOf] = await Promise.all([service.tasks(runId), service.rerunOf(runId)])
    if (opts.json) {
      io.stdout.write(`${JSON.stringify({ run, tasks, ...(rerunOf ? { rerunOf } : {}) }, null, 2)}\n`)
      return ExitCode.ok
    }
    const c = colorsFor(io.stdout, io.env)
    const extraArgs = service.extraArgs
    const details = [
      run.source ? `  ${c.dim('source   ')}  ${run.source}` : undefined,
      rerunOf
        ? `  ${c.dim('rerun of ')}  ${rerunOf.runId} ${c.dim('from task')} ${rerunOf.from} ${c.dim(`(weft runs show ${rerunOf.runId})`)}`
        : undefined,
      `  ${c.dim('initiator')}  ${run.initiator}${run.tags.length ? `  ${c.dim('tags')} ${run.tags.join(', ')}` : ''}`,
      `  ${c.dim('created  ')}  ${formatDateTime(run.createdAt)}  ${c.dim('started')} ${formatDateTime(run.startedAt)}  ${c.dim('completed')} ${formatDateTime(run.completedAt)}`,
      ...approvalLines(tasks, c),
    ].filter((l): l is string => l !== undefined)
    const [head, ...rest] = formatRunSummary(run, tasks, {
      colors: c,
      ...(extraArgs ? { extraArgs } : {}),
    }).split('\n')
    const out = [head, ...details, ...rest]
    if (run.diagnostics.length > 0)
      out.push('', `  ${c.bold('diagnostics')}`, formatDiagnostics(run.diagnostics, c))
    io.stdout.write(`${out.join('\n')}\n`)
    return ExitCode.ok
  })
}
