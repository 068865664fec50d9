import type { WeftEvent } from '@weft/core'
import type { Colors } from './colors.js'
import { formatClock, formatDuration, shortValue, truncate } from './format.js'

export interface EventLineOptions {
  /** Include bookkeeping events (added, queued, usage, debug logs). `runs events` shows them all. */
  verbose?: boolean
  /** Prefix the local time. */
  clock?: boolean
}

/**
 * One readable line for an event, e.g. `12:00:01 ✓ collect succeeded 120ms → "3 PRs"`, or
 * undefined when the event is bookkeeping that only the verbose view shows.
 */
export function formatEventLine(e: WeftEvent, c: Colors, options: EventLineOptions = {}): string | undefined {
  const body = describe(e, c, options.verbose === true)
  if (body === undefined) return undefined
  return options.clock === false ? body : `${c.dim(formatClock(e.ts))} ${body}`
}

function describe(e: WeftEvent, c: Colors, verbose: boolean): string | undefined {
  const id = e.taskId ? c.bold(e.taskId) : ''
  const attempt = e.attempt && e.attempt > 1 ? c.dim(` (attempt ${e.attempt})`) : ''
  switch (e.type) {
    case 'run.created':
      return `${c.cyan('●')} run ${c.bold(e.runId)} created: ${e.data.name} (${e.data.taskIds.length} tasks)`
    case 'run.started':
      return `${c.cyan('▶')} run started ${c.dim(`(max ${e.data.maxParallelism} parallel, ${e.data.mode})`)}`
    case 'run.paused':
      return `${c.yellow('⏸')} run paused ${c.dim(`(${e.data.reason})`)}`
    case 'run.resumed':
      return `${c.cyan('▶')} run resumed ${c.dim(`(${e.data.reason}${e.data.taskId ? `: ${e.data.taskId}` : ''})`)}`
    case 'run.canceling':
      return `${c.yellow('■')} run canceling: ${e.data.reason}`
    case 'run.succeeded':
      return `${c.green('✓')} run succeeded ${c.dim(formatDuration(e.data.durationMs))}`
    case 'run.failed':
      return `${c.red('✗')} run failed: ${e.data.error.message}`
    case 'run.canceled':
      return `${c.yellow('■')} run canceled: ${e.data.reason}`
    case 'run.recovered': {
      const kept = e.data.kept.length
        ? `kept ${e.data.kept.length} finished (${e.data.kept.join(', ')}), not run again`
        : 'nothing had finished'
      const again = e.data.interrupted.length ? `; running again: ${e.data.interrupted.join(', ')}` : ''
      return `${c.cyan('↺')} run recovered${e.data.previousOwner ? c.dim(` from ${e.data.previousOwner}`) : ''}: ${kept}${again}`
    }
    case 'run.compensating':
      return `${c.yellow('↶')} run ${e.data.outcome}: undoing ${e.data.tasks.length} task(s), last done first: ${e.data.tasks.join(', ')}`
    case 'compensation.started':
      return `${c.yellow('↶')} ${id} compensation started ${c.dim(`(${e.data.backend})`)}${attempt}`
    case 'compensation.succeeded': {
      const out = shortValue(e.data.output, 60)
      return `${c.green('✓')} ${id} undone ${c.dim(formatDuration(e.data.durationMs))}${out ? c.dim(` → ${out}`) : ''}`
    }
    case 'compensation.failed':
      return `${c.red('✗')} ${id} compensation failed: ${truncate(e.data.error.message, 120)}`
    case 'compensation.canceled':
      return `${c.yellow('■')} ${id} compensation canceled: ${e.data.reason}`
    case 'task.interrupted':
      return `${c.yellow('↺')} ${id} interrupted: ${e.data.reason}`
    case 'task.reused':
      return `${c.green('≡')} ${id} reused from ${c.dim(e.data.fromRunId)}`
    case 'task.added':
      return verbose
        ? `${c.dim('+')} ${id} added${e.data.needs.length ? c.dim(` (needs ${e.data.needs.join(', ')})`) : ''}`
        : undefined
    case 'task.queued':
      return verbose ? `${c.dim('○')} ${id} queued` : undefined
    case 'task.mapped':
      return `${c.cyan('▶')} ${id} mapped over ${e.data.items} item${e.data.items === 1 ? '' : 's'}`
    case 'task.started':
      return `${c.cyan('▶')} ${id} started${e.data.backend ? c.dim(` (${e.data.backend})`) : ''}${attempt}`
    case 'task.retry_scheduled':
      return `${c.yellow('↻')} ${id} retry in ${formatDuration(e.data.delayMs)} ${c.dim(`(attempt ${e.data.nextAttempt}/${e.data.maxAttempts})`)}: ${truncate(e.data.error.message, 100)}`
    case 'task.waiting':
      return `${c.yellow('⏸')} ${id} waiting for approval: ${e.data.message}`
    case 'task.approved':
      return `${c.green('✓')} ${id} approved${e.data.by ? ` by ${e.data.by}` : ''}${e.data.input !== undefined ? c.dim(` with ${shortValue(e.data.input, 60)}`) : ''}`
    case 'task.rejected':
      return `${c.red('✗')} ${id} rejected${e.data.by ? ` by ${e.data.by}` : ''}: ${truncate(e.data.reason, 200)}`
    case 'task.succeeded': {
      const out = shortValue(e.data.output, 60)
      return `${c.green('✓')} ${id} succeeded ${c.dim(formatDuration(e.data.durationMs))}${out ? c.dim(` → ${out}`) : ''}`
    }
    case 'task.failed':
      return `${c.red('✗')} ${id} failed: ${truncate(e.data.error.message, 120)}${attempt}`
    case 'task.canceled':
      return `${c.yellow('■')} ${id} canceled: ${e.data.reason}`
    case 'task.skipped':
      return `${c.dim('⊘')} ${id} skipped: ${e.data.reason}`
    case 'agent.message':
      return `${c.dim('·')} ${id}: ${truncate(e.data.text.replace(/\s+/g, ' '), 100)}`
    case 'agent.delta':
      return undefined
    case 'tool.started':
      return `${c.dim('⚙')} ${id} tool ${e.data.name}`
    case 'tool.finished':
      return `${c.dim('⚙')} ${id} tool ${e.data.name} ${e.data.error ? c.red(`failed: ${e.data.error}`) : c.dim('done')}`
    case 'usage.recorded':
      return verbose
        ? `${c.dim('Σ')} ${id} tokens in ${e.data.inputTokens} out ${e.data.outputTokens}${e.data.model ? c.dim(` (${e.data.model})`) : ''}`
        : undefined
    case 'budget.exceeded':
      return `${c.yellow('$')} budget exceeded`
    case 'context.built':
    case 'context.compacted':
      return verbose ? `${c.dim('≡')} ${id} ${e.type}` : undefined
    case 'diagnostic': {
      const paint = e.data.level === 'error' ? c.red : e.data.level === 'warning' ? c.yellow : c.dim
      return `${paint('!')} ${e.data.level} ${e.data.message} ${c.dim(`[${e.data.code}]`)}`
    }
    case 'log': {
      if (!verbose && e.severity === 'debug') return undefined
      const paint = e.severity === 'error' ? c.red : e.severity === 'warn' ? c.yellow : c.dim
      return `${c.dim('│')} ${id ? `${id} ` : ''}${paint(truncate(e.data.message, 160))}`
    }
  }
}
