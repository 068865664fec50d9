import type { Json, RunStatus, TaskStatus } from '@weft/core'
import type { Colors } from './colors.js'

/** `850ms`, `4.2s`, `3m 05s`, `1h 02m`: short and unambiguous. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '–'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const totalSeconds = Math.round(ms / 1000)
  if (totalSeconds < 3600)
    return `${Math.floor(totalSeconds / 60)}m ${String(totalSeconds % 60).padStart(2, '0')}s`
  const minutes = Math.floor(totalSeconds / 60)
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`
}

/** Milliseconds between two ISO times, up to now when the second is missing. */
export function elapsedMs(from: string | undefined, to?: string, now = Date.now()): number | undefined {
  if (!from) return undefined
  const start = Date.parse(from)
  const end = to ? Date.parse(to) : now
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : Math.max(0, end - start)
}

/** `12:00:01` in local time, the way a person reads a log line. */
export function formatClock(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
}

/** `2025-01-31 12:00:01` in local time, for tables. */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const date = [d.getFullYear(), d.getMonth() + 1, d.getDate()]
    .map((n) => String(n).padStart(2, '0'))
    .join('-')
  return `${date} ${formatClock(iso)}`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

/** One line of at most `max` characters: a string as is, anything else as JSON. */
export function shortValue(value: Json | undefined, max = 60): string {
  if (value === undefined) return ''
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return truncate(text.replace(/\s+/g, ' ').trim(), max)
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  return `${text.slice(0, Math.max(0, max - 1))}…`
}

export const TASK_SYMBOLS: Record<TaskStatus, string> = {
  pending: '·',
  queued: '○',
  running: '▶',
  retrying: '↻',
  waiting: '⏸',
  succeeded: '✓',
  failed: '✗',
  canceled: '■',
  skipped: '⊘',
}

export const RUN_SYMBOLS: Record<RunStatus, string> = {
  pending: '·',
  running: '▶',
  paused: '⏸',
  canceling: '■',
  succeeded: '✓',
  failed: '✗',
  canceled: '■',
}

export function statusColor(c: Colors, status: TaskStatus | RunStatus): (s: string) => string {
  switch (status) {
    case 'succeeded':
      return c.green
    case 'failed':
      return c.red
    case 'running':
      return c.cyan
    case 'retrying':
    case 'waiting':
    case 'paused':
    case 'canceling':
    case 'canceled':
      return c.yellow
    default:
      return c.dim
  }
}
