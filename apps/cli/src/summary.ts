import { type RunSummary, TASK_STATUSES, type TaskState, totalTokens, type Usage } from '@weft/core'
import type { Colors } from './colors.js'
import { compensationLines } from './compensation-lines.js'
import {
  elapsedMs,
  formatCount,
  formatDuration,
  RUN_SYMBOLS,
  shortValue,
  statusColor,
  TASK_SYMBOLS,
  truncate,
} from './format.js'
import { renderTable } from './table.js'

export function runDurationMs(run: RunSummary, now = Date.now()): number | undefined {
  return elapsedMs(run.startedAt ?? run.createdAt, run.completedAt, now)
}

/** `4 succeeded · 1 failed · 2 skipped (7 total)`: only the statuses that occur. */
export function formatTaskCounts(run: RunSummary): string {
  const parts = TASK_STATUSES.filter((s) => (run.taskCounts[s] ?? 0) > 0).map(
    (s) => `${run.taskCounts[s]} ${s}`,
  )
  return `${parts.join(' · ') || 'none'} (${run.taskCounts.total} total)`
}

export function formatUsage(usage: Usage): string {
  const total = totalTokens(usage)
  const parts = [`in ${formatCount(usage.inputTokens)}`, `out ${formatCount(usage.outputTokens)}`]
  if (usage.cacheReadTokens) parts.push(`cache read ${formatCount(usage.cacheReadTokens)}`)
  if (usage.cacheWriteTokens) parts.push(`cache write ${formatCount(usage.cacheWriteTokens)}`)
  if (usage.reasoningTokens) parts.push(`reasoning ${formatCount(usage.reasoningTokens)}`)
  const cost = usage.costUsd !== undefined ? ` · $${usage.costUsd.toFixed(4)}` : ''
  return `${formatCount(total)} (${parts.join(' · ')})${cost}`
}

export function doneCount(run: RunSummary): number {
  const c = run.taskCounts
  return (c.succeeded ?? 0) + (c.failed ?? 0) + (c.canceled ?? 0) + (c.skipped ?? 0)
}

/** What a task ended with, in one line: its output, its error, or why it did not run. */
export function taskDetail(t: TaskState, max = 60): string {
  switch (t.status) {
    case 'succeeded':
      return shortValue(t.output, max)
    case 'failed':
      return truncate(t.error?.message ?? 'failed', max)
    case 'retrying':
      return truncate(`retrying after: ${t.error?.message ?? 'an error'}`, max)
    case 'waiting':
      return truncate(`waiting for approval: ${t.approval?.message ?? ''}`, max)
    case 'skipped':
    case 'canceled':
      return truncate(t.reason ?? '', max)
    default:
      return ''
  }
}

export function sortTasks(tasks: TaskState[]): TaskState[] {
  return [...tasks].sort((a, b) => a.order - b.order)
}

export function taskDurationMs(t: TaskState, now = Date.now()): number | undefined {
  if (!t.startedAt) return undefined
  return elapsedMs(t.startedAt, t.completedAt, now)
}

/** `$0.0123`, with more digits for tiny amounts; `–` when unknown. */
export function formatUsd(usd: number | undefined): string {
  if (usd === undefined) return '–'
  if (usd === 0) return '$0'
  return usd < 0.01 ? `$${usd.toFixed(6)}` : `$${usd.toFixed(4)}`
}

/** The tasks of a run as a table: status, attempts, duration, tokens, cost and what each ended with. */
export function formatTaskTable(tasks: TaskState[], c: Colors, detailWidth = 60): string {
  const sorted = sortTasks(tasks)
  const rows = sorted.map((t) => [
    `${TASK_SYMBOLS[t.status]} ${t.taskId}`,
    t.status,
    String(t.attempt),
    formatDuration(taskDurationMs(t)),
    t.usage ? formatCount(totalTokens(t.usage)) : '–',
    formatUsd(t.usage?.costUsd),
    taskDetail(t, detailWidth),
  ])
  const detail = 6
  return renderTable(
    ['TASK', 'STATUS', 'ATTEMPTS', 'DURATION', 'TOKENS', 'COST', 'OUTPUT / ERROR'],
    rows,
    (col, cell, row) => {
      const status = sorted[row]!.status
      if (col <= 1) return statusColor(c, status)(cell)
      if (col === detail && status === 'failed') return c.red(cell)
      return col === detail ? c.dim(cell) : cell
    },
    c.bold,
  )
}

/**
 * How far the estimates made before tasks ran were from what they used: `estimated 1,200 tokens,
 * used 1,328 (+10.7 %)`. Undefined when nothing was estimated.
 */
export function formatEstimateError(run: RunSummary): string | undefined {
  const est = run.estimated
  if (!est || est.tokens === 0) return undefined
  const used = totalTokens(run.usage)
  const pct = ((used - est.tokens) / est.tokens) * 100
  const tokens = `estimated ${formatCount(est.tokens)} tokens, used ${formatCount(used)} (${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %)`
  if (est.costUsd === undefined || run.usage.costUsd === undefined || est.costUsd === 0) return tokens
  const costPct = ((run.usage.costUsd - est.costUsd) / est.costUsd) * 100
  return `${tokens}; estimated ${formatUsd(est.costUsd)}, spent ${formatUsd(run.usage.costUsd)} (${costPct >= 0 ? '+' : ''}${costPct.toFixed(1)} %)`
}

export interface ResumeHintOptions {
  /** Extra arguments every printed command needs (e.g. `--store PATH` when the store came from a flag). */
  extraArgs?: string
}

/** Copy-paste commands that continue a paused run. */
export function resumeCommands(run: RunSummary, options: ResumeHintOptions = {}): string[] {
  if (run.status !== 'paused') return []
  const extra = options.extraArgs ? ` ${options.extraArgs}` : ''
  const waiting = run.pause?.waiting ?? []
  if (run.pause?.reason === 'budget') {
    return [
      `weft runs resume ${run.id} --budget-usd <new limit>${extra}`,
      `weft runs resume ${run.id} --budget-tokens <new limit>${extra}`,
    ]
  }
  if (waiting.length > 0) {
    return waiting.map(
      (w) =>
        `weft runs resume ${run.id} --token ${w.token} [--input JSON]${extra}   # ${w.taskId}: ${w.message} (or --reject REASON)`,
    )
  }
  return [`weft runs resume ${run.id}${extra}`]
}

export function pauseLine(run: RunSummary): string {
  const reason = run.pause?.reason
  if (reason === 'approval') return 'paused: waiting for approval'
  if (reason === 'budget') return `paused: ${run.pause?.message ?? 'the budget would be exceeded'}`
  return 'paused'
}

export interface SummaryOptions extends ResumeHintOptions {
  colors: Colors
  now?: number
}

/** The closing summary of a run: what happened, what it cost, what came out, what to do next. */
export function formatRunSummary(run: RunSummary, tasks: TaskState[], options: SummaryOptions): string {
  const c = options.colors
  const paint = statusColor(c, run.status)
  const lines: string[] = []
  const duration = formatDuration(runDurationMs(run, options.now))
  const state = run.status === 'paused' ? pauseLine(run) : run.status
  lines.push(
    `${paint(`${RUN_SYMBOLS[run.status]} ${run.name}`)} ${c.dim(run.id)} ${paint(state)} ${c.dim(`after ${duration}`)}`,
  )
  lines.push(`  ${c.dim('tasks ')}  ${formatTaskCounts(run)}`)
  lines.push(`  ${c.dim('tokens')}  ${formatUsage(run.usage)}`)
  lines.push(
    `  ${c.dim('cost  ')}  ${formatUsd(run.usage.costUsd)}${run.usage.costUsd === undefined ? c.dim(' (unknown: no cost model or unknown models)') : ''}`,
  )
  const estimate = formatEstimateError(run)
  if (estimate) lines.push(`  ${c.dim('budget')}  ${estimate}`)
  const models = Object.entries(run.usageByModel ?? {})
  if (models.length > 1 || (models.length === 1 && models[0]![0] !== 'unknown')) {
    lines.push(
      `  ${c.dim('models')}  ${models.map(([m, u]) => `${m} ${formatCount(totalTokens(u))} ${formatUsd(u.costUsd)}`).join(' · ')}`,
    )
  }
  if (tasks.length > 0) {
    lines.push('')
    lines.push(indent(formatTaskTable(tasks, c), 2))
  }
  const outputs = Object.entries(run.outputs ?? {})
  if (outputs.length > 0) {
    lines.push('')
    lines.push(`  ${c.bold('outputs')}`)
    for (const [key, value] of outputs) lines.push(`    ${key}: ${shortValue(value, 100)}`)
  }
  if (run.error) {
    lines.push('')
    lines.push(`  ${c.red('error:')} ${run.error.message} ${c.dim(`[${run.error.code}]`)}`)
  }
  const compensations = compensationLines(run, c)
  if (compensations.length > 0) lines.push('', ...compensations)
  const resume = resumeCommands(run, options)
  if (resume.length > 0) {
    lines.push('')
    lines.push(`  ${c.yellow(`⏸ ${pauseLine(run)}.`)} To continue:`)
    for (const cmd of resume) lines.push(`    ${cmd}`)
  }
  return lines.join('\n')
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n)
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n')
}
