import type { ExecutionMetrics, ExecutionSnapshot } from '@weft/dataflow'
import { createLogUpdate } from 'log-update'
import type { Colors } from '../colors.js'
import { formatDuration } from '../format.js'
import type { OutStream } from '../io.js'
import { renderTable } from '../table.js'

const n = (v: number) => v.toLocaleString('en-US')
/** Milliseconds; `–` when nothing was timed, `<0.001` for what took under a microsecond. */
const ms = (v: number) => (v === 0 ? '–' : v < 0.001 ? '<0.001' : v < 1 ? v.toFixed(3) : v.toFixed(1))

/** Per-node counters as a table: what `run` redraws live and prints at the end. */
export function metricsTable(metrics: ExecutionMetrics, c: Colors, final: boolean): string {
  const rows = Object.entries(metrics.nodes).map(([id, m]) => [
    id,
    m.component,
    n(m.messagesIn),
    n(m.messagesOut),
    ...(final ? [n(m.invocations), ms(m.latency.avgMs), ms(m.latency.p95Ms), ms(m.latency.maxMs)] : []),
    n(m.errors),
    n(m.backpressureEvents),
    n(m.queueDepth),
  ])
  const headers = [
    'node',
    'component',
    'in',
    'out',
    ...(final ? ['calls', 'avg ms', 'p95 ms', 'max ms'] : []),
    'errors',
    'backpressure',
    'queued',
  ]
  const errorsCol = headers.indexOf('errors')
  const bpCol = headers.indexOf('backpressure')
  return renderTable(
    headers,
    rows,
    (col, cell, row) => {
      const raw = rows[row]![col]!
      if (col === errorsCol && raw !== '0') return c.red(cell)
      if (col === bpCol && raw !== '0') return c.yellow(cell)
      return col === 0 ? c.bold(cell) : cell
    },
    c.dim,
  )
}

/** The closing lines: state, duration, throughput, errors, backpressure, cost. */
export function summaryLine(snapshot: ExecutionSnapshot, c: Colors): string {
  const m = snapshot.metrics
  const rate = m.durationMs > 0 ? Math.round((m.messagesInjected / m.durationMs) * 1000) : 0
  const mark = snapshot.state === 'completed' ? c.green('✓') : c.red('✗')
  const parts = [
    `${n(m.messagesInjected)} in, ${n(m.messagesOutput)} out`,
    `${n(rate)} msgs/s`,
    `${n(m.errors)} error${m.errors === 1 ? '' : 's'}`,
    `${n(m.backpressureEvents)} backpressure event${m.backpressureEvents === 1 ? '' : 's'}`,
  ]
  if (m.usage.inputTokens + m.usage.outputTokens > 0) {
    parts.push(`${n(m.usage.inputTokens + m.usage.outputTokens)} tokens, $${m.usage.costUsd.toFixed(4)}`)
  }
  const head = `${mark} ${snapshot.graph} ${snapshot.state} in ${formatDuration(m.durationMs)}: ${parts.join(', ')}`
  return snapshot.error ? `${head}\n  ${c.red(snapshot.error.message)}` : head
}

/** Redraws the counters every 250 ms on a terminal; nothing on a pipe. */
export function startLiveCounters(out: OutStream, c: Colors, read: () => ExecutionMetrics): () => void {
  const sized = (out.rows ?? 0) > 0 && (out.columns ?? 0) > 0
  if (!out.isTTY || !sized) return () => {}
  const update = createLogUpdate(out as NodeJS.WriteStream)
  const draw = () => update(metricsTable(read(), c, false))
  draw()
  const timer = setInterval(draw, 250)
  return () => {
    clearInterval(timer)
    update.clear()
    update.done()
  }
}
