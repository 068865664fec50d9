import type { RunSummary, TaskState, Usage } from '@weft/core/contracts'

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`
  return `${Math.floor(m / 60)}h ${m % 60}m`
}

export function elapsed(from?: string, to?: string, now = Date.now()): number | undefined {
  if (!from) return undefined
  const end = to ? Date.parse(to) : now
  return Math.max(0, end - Date.parse(from))
}

export function runDuration(run: RunSummary, now?: number): number | undefined {
  return elapsed(run.startedAt ?? run.createdAt, run.completedAt, now)
}

export function taskDuration(task: TaskState, now?: number): number | undefined {
  return elapsed(task.startedAt, task.completedAt, now)
}

export function formatCost(usd: number | undefined): string {
  if (usd === undefined) return '–'
  if (usd === 0) return '$0'
  if (usd < 0.01) return `$${usd.toFixed(4)}`
  return `$${usd.toFixed(2)}`
}

export function totalTokens(u: Usage | undefined): number {
  if (!u) return 0
  return u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens + u.reasoningTokens
}

export function formatTokens(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`
  if (n >= 10_000) return `${Math.round(n / 1000)}k`
  return n.toLocaleString('en-US')
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  const today = new Date().toDateString() === d.toDateString()
  return today
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : d.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}
