import type { RunSummary } from '@weft/core'
import type { Colors } from './colors.js'
import { formatDuration, shortValue, truncate } from './format.js'

/**
 * The compensations of a run that did not succeed, one line each in the order they ran:
 * `✓ book-hotel undone 120ms → "cancelled H-17"`, `✗ book-car not undone: …`.
 */
export function compensationLines(run: RunSummary, c: Colors): string[] {
  const comp = run.compensation
  if (!comp) return []
  const counts = new Map<string, number>()
  for (const t of comp.tasks) counts.set(t.status, (counts.get(t.status) ?? 0) + 1)
  const tally = [...counts].map(([status, n]) => `${n} ${status}`).join(', ')
  const lines = [
    `  ${c.bold('compensations')} ${c.dim(`(${comp.status === 'done' ? tally : `running: ${tally}`})`)}`,
  ]
  for (const t of comp.tasks) {
    const took =
      t.startedAt && t.completedAt
        ? ` ${c.dim(formatDuration(Date.parse(t.completedAt) - Date.parse(t.startedAt)))}`
        : ''
    const again = t.attempt > 1 ? c.dim(` (started ${t.attempt} times: a crash interrupted it)`) : ''
    switch (t.status) {
      case 'succeeded': {
        const out = shortValue(t.output, 60)
        lines.push(`    ${c.green('✓')} ${t.taskId} undone${took}${out ? c.dim(` → ${out}`) : ''}${again}`)
        break
      }
      case 'failed':
        lines.push(
          `    ${c.red('✗')} ${t.taskId} not undone: ${truncate(t.error?.message ?? 'failed', 120)}${again}`,
        )
        break
      case 'canceled':
        lines.push(`    ${c.yellow('■')} ${t.taskId} compensation canceled: ${t.reason ?? ''}`)
        break
      default:
        lines.push(`    ${c.dim(t.status === 'running' ? '▶' : '○')} ${t.taskId} ${t.status}${again}`)
    }
  }
  return lines
}
