import type { Summary } from './stats.js'

/** Markdown tables and number formats shared by the scenarios. */
export interface Table {
  title?: string
  headers: string[]
  rows: string[][]
}

export function markdownTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const lines = [
    `| ${t.headers.map(esc).join(' | ')} |`,
    `| ${t.headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ]
  return `${t.title ? `**${t.title}**\n\n` : ''}${lines.join('\n')}`
}

/** A number with about three significant digits and thousands separators. */
export function num(x: number, digits?: number): string {
  if (!Number.isFinite(x)) return '–'
  const abs = Math.abs(x)
  const d = digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3)
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
}

export const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–')

/** `median (min–max)` of a summary, scaled. */
export function spread(s: Summary | undefined, scale = 1): string {
  if (!s || s.n === 0) return '–'
  return s.n === 1
    ? `${num(s.median * scale)} (n=1)`
    : `${num(s.median * scale)} (${num(s.min * scale)}–${num(s.max * scale)})`
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–'
  const r = a / b
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)}×`
}

export function mb(bytes: number): string {
  return num(bytes / 1024 / 1024, 1)
}
