/**
 * A trace as a picture: an indented tree in text (for terminals, READMEs and test failures) and an
 * SVG waterfall. Times are relative to the trace's first span.
 */
import type { ReceivedSpan } from './types.js'

interface Node {
  span: ReceivedSpan
  children: Node[]
}

/** Spans as trees: roots are spans whose parent is not among them, children in start order. */
export function spanTree(spans: readonly ReceivedSpan[]): Node[] {
  const nodes = new Map(spans.map((s) => [s.spanId, { span: s, children: [] as Node[] }]))
  const roots: Node[] = []
  for (const n of nodes.values()) {
    const parent = n.span.parentSpanId ? nodes.get(n.span.parentSpanId) : undefined
    ;(parent ? parent.children : roots).push(n)
  }
  const order = (list: Node[]) => {
    list.sort((a, b) => a.span.startMs - b.span.startMs || a.span.name.localeCompare(b.span.name))
    for (const n of list) order(n.children)
  }
  order(roots)
  return roots
}

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`)

/** What the tree shows of a span besides its name: status, a few telling attributes, events. */
function notes(s: ReceivedSpan): string {
  const a = s.attributes
  const parts: string[] = []
  if (s.status.code === 'error') parts.push(`ERROR ${a['error.type'] ?? ''}`.trim())
  if (a['gen_ai.request.model'] !== undefined && s.kind === 'client')
    parts.push(`model=${a['gen_ai.request.model']}`)
  if (a['gen_ai.usage.input_tokens'] !== undefined)
    parts.push(`tokens in/out=${a['gen_ai.usage.input_tokens']}/${a['gen_ai.usage.output_tokens'] ?? 0}`)
  if (a['weft.cost_usd'] !== undefined && s.kind === 'client')
    parts.push(`$${Number(a['weft.cost_usd']).toFixed(4)}`)
  if (a['weft.retry.next_attempt'] !== undefined) parts.push(`retry → #${a['weft.retry.next_attempt']}`)
  if (a['weft.task.status'] !== undefined && a['weft.task.status'] !== 'succeeded')
    parts.push(String(a['weft.task.status']))
  const events = s.events.map((e) => e.name).filter((n) => n !== 'exception')
  if (events.length) parts.push(`events: ${events.join(', ')}`)
  return parts.length ? `  [${parts.join('; ')}]` : ''
}

/**
 * ```text
 * weft.run diamond                 0 ms → 112 ms
 * ├─ weft.task a                   1 ms → 20 ms
 * │  └─ weft.attempt a#1           2 ms → 20 ms
 * ```
 */
export function renderTraceText(spans: readonly ReceivedSpan[]): string {
  if (spans.length === 0) return '(no spans)'
  const t0 = Math.min(...spans.map((s) => s.startMs))
  const rows: [string, string][] = []
  const walk = (n: Node, prefix: string, last: boolean, root: boolean) => {
    const branch = root ? '' : last ? '└─ ' : '├─ '
    const s = n.span
    rows.push([`${prefix}${branch}${s.name}`, `${ms(s.startMs - t0)} → ${ms(s.endMs - t0)}${notes(s)}`])
    const next = root ? prefix : `${prefix}${last ? '   ' : '│  '}`
    n.children.forEach((c, i) => {
      walk(c, next, i === n.children.length - 1, false)
    })
  }
  for (const r of spanTree(spans)) walk(r, '', true, true)
  const width = Math.max(...rows.map(([l]) => [...l].length)) + 2
  return rows.map(([l, r]) => `${l}${' '.repeat(width - [...l].length)}${r}`).join('\n')
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** The trace as an SVG waterfall: one bar per span, indented by depth, red when it failed. */
export function renderTraceSvg(spans: readonly ReceivedSpan[]): string {
  const rows: { s: ReceivedSpan; depth: number }[] = []
  const walk = (n: Node, depth: number) => {
    rows.push({ s: n.span, depth })
    for (const c of n.children) walk(c, depth + 1)
  }
  for (const r of spanTree(spans)) walk(r, 0)
  const t0 = Math.min(...spans.map((s) => s.startMs))
  const t1 = Math.max(...spans.map((s) => s.endMs))
  const span = Math.max(1, t1 - t0)
  const label = 300
  const chart = 560
  const rowH = 22
  const h = rows.length * rowH + 40
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${label + chart + 80}" height="${h}" font-family="ui-monospace, monospace" font-size="12" role="img">`,
    `<title>trace ${esc(spans[0]?.traceId ?? '')}: ${rows.length} spans over ${ms(span)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="16" fill="#555">trace ${esc(spans[0]?.traceId ?? '')} — ${ms(span)}</text>`,
  ]
  rows.forEach(({ s, depth }, i) => {
    const y = 28 + i * rowH
    const x = label + ((s.startMs - t0) / span) * chart
    const w = Math.max(2, ((s.endMs - s.startMs) / span) * chart)
    const color =
      s.status.code === 'error'
        ? '#d9534f'
        : s.kind === 'client'
          ? '#5b8def'
          : depth === 0
            ? '#6c757d'
            : '#5cb85c'
    out.push(`<text x="${8 + depth * 14}" y="${y + 14}" fill="#222">${esc(s.name)}</text>`)
    out.push(
      `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" rx="3" fill="${color}"/>`,
    )
    out.push(
      `<text x="${(x + w + 4).toFixed(1)}" y="${y + 14}" fill="#555">${ms(s.endMs - s.startMs)}</text>`,
    )
    for (const e of s.events) {
      const ex = label + ((e.timeMs - t0) / span) * chart
      out.push(
        `<circle cx="${ex.toFixed(1)}" cy="${y + rowH / 2}" r="3" fill="#f0ad4e"><title>${esc(e.name)}</title></circle>`,
      )
    }
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
