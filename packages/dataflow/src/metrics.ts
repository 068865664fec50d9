/**
 * Per-node counters. Latency is measured on a sample of synchronous calls (the first 256, then
 * every 16th: a clock read costs about as much as a built-in's whole call) and on every asynchronous one; the average
 * is over the sample, p95 and max over the last 1,024 samples.
 */

const RESERVOIR = 1024
export const SYNC_SAMPLE_EVERY = 16

export class NodeCounters {
  messagesIn = 0
  messagesOut = 0
  invocations = 0
  /** `processBatch` calls (each counts its messages as invocations). */
  batches = 0
  errors = 0
  backpressureEvents = 0
  private samples = new Float64Array(RESERVOIR)
  private sampleCount = 0
  private sampleSum = 0
  private maxMs = 0

  recordLatency(ms: number): void {
    this.samples[this.sampleCount % RESERVOIR] = ms
    this.sampleCount++
    this.sampleSum += ms
    if (ms > this.maxMs) this.maxMs = ms
  }

  latency(): { avgMs: number; p95Ms: number; maxMs: number; samples: number } {
    const n = Math.min(this.sampleCount, RESERVOIR)
    if (n === 0) return { avgMs: 0, p95Ms: 0, maxMs: 0, samples: 0 }
    const sorted = Array.from(this.samples.subarray(0, n)).sort((a, b) => a - b)
    const p95 = sorted[Math.min(n - 1, Math.ceil(n * 0.95) - 1)]!
    return {
      avgMs: round(this.sampleSum / this.sampleCount),
      p95Ms: round(p95),
      maxMs: round(this.maxMs),
      samples: this.sampleCount,
    }
  }
}

export interface NodeMetrics {
  component: string
  messagesIn: number
  messagesOut: number
  invocations: number
  errors: number
  backpressureEvents: number
  /** Messages waiting in the node's input queues now. */
  queueDepth: number
  latency: { avgMs: number; p95Ms: number; maxMs: number; samples: number }
}

export interface ExecutionMetrics {
  messagesInjected: number
  messagesOutput: number
  messagesProcessed: number
  messagesEmitted: number
  invocations: number
  errors: number
  backpressureEvents: number
  queueDepth: number
  avgLatencyMs: number
  maxLatencyMs: number
  durationMs: number
  /** Usage and cost of `agent` nodes. */
  usage: { inputTokens: number; outputTokens: number; costUsd: number }
  nodes: Record<string, NodeMetrics>
}

/** Per-node metrics and their totals for an execution. */
export function aggregateMetrics(
  nodes: readonly {
    id: string
    component: { id: string }
    counters: NodeCounters
    inbox: { length: number }
  }[],
  execution: Pick<ExecutionMetrics, 'messagesInjected' | 'messagesOutput' | 'durationMs' | 'usage'>,
): ExecutionMetrics {
  const byNode: ExecutionMetrics['nodes'] = {}
  const t = { in: 0, out: 0, inv: 0, err: 0, bp: 0, depth: 0, latSum: 0, latN: 0, max: 0 }
  for (const node of nodes) {
    const c = node.counters
    const latency = c.latency()
    byNode[node.id] = {
      component: node.component.id,
      messagesIn: c.messagesIn,
      messagesOut: c.messagesOut,
      invocations: c.invocations,
      errors: c.errors,
      backpressureEvents: c.backpressureEvents,
      queueDepth: node.inbox.length,
      latency,
    }
    t.in += c.messagesIn
    t.out += c.messagesOut
    t.inv += c.invocations
    t.err += c.errors
    t.bp += c.backpressureEvents
    t.depth += node.inbox.length
    t.latSum += latency.avgMs * latency.samples
    t.latN += latency.samples
    t.max = Math.max(t.max, latency.maxMs)
  }
  return {
    ...execution,
    messagesProcessed: t.in,
    messagesEmitted: t.out,
    invocations: t.inv,
    errors: t.err,
    backpressureEvents: t.bp,
    queueDepth: t.depth,
    avgLatencyMs: t.latN ? round(t.latSum / t.latN) : 0,
    maxLatencyMs: t.max,
    nodes: byNode,
  }
}

/** To the nanosecond: a message of a batch often takes well under a microsecond. */
function round(ms: number): number {
  return Math.round(ms * 1_000_000) / 1_000_000
}

/** Prometheus text exposition of one or more executions' metrics. */
export function formatPrometheus(
  executions: { id: string; graph: string; state: string; metrics: ExecutionMetrics }[],
): string {
  const lines: string[] = []
  const metric = (name: string, type: string, help: string, rows: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, value] of rows) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
        .join(',')
      lines.push(`${name}{${l}} ${value}`)
    }
  }
  const perNode = (pick: (n: NodeMetrics) => number) =>
    executions.flatMap((e) =>
      Object.entries(e.metrics.nodes).map(
        ([node, m]) =>
          [{ execution: e.id, graph: e.graph, node, component: m.component }, pick(m)] as [
            Record<string, string>,
            number,
          ],
      ),
    )
  metric(
    'weft_dataflow_messages_in_total',
    'counter',
    'Messages a node received',
    perNode((m) => m.messagesIn),
  )
  metric(
    'weft_dataflow_messages_out_total',
    'counter',
    'Messages a node emitted',
    perNode((m) => m.messagesOut),
  )
  metric(
    'weft_dataflow_invocations_total',
    'counter',
    'Calls of a node’s process hook',
    perNode((m) => m.invocations),
  )
  metric(
    'weft_dataflow_errors_total',
    'counter',
    'Errors a node threw',
    perNode((m) => m.errors),
  )
  metric(
    'weft_dataflow_backpressure_events_total',
    'counter',
    'Times a node waited for a full queue',
    perNode((m) => m.backpressureEvents),
  )
  metric(
    'weft_dataflow_queue_depth',
    'gauge',
    'Messages waiting for a node',
    perNode((m) => m.queueDepth),
  )
  metric(
    'weft_dataflow_latency_avg_ms',
    'gauge',
    'Average latency of a node’s process hook',
    perNode((m) => m.latency.avgMs),
  )
  metric(
    'weft_dataflow_latency_p95_ms',
    'gauge',
    'p95 latency of a node’s process hook',
    perNode((m) => m.latency.p95Ms),
  )
  metric(
    'weft_dataflow_latency_max_ms',
    'gauge',
    'Max latency of a node’s process hook',
    perNode((m) => m.latency.maxMs),
  )
  metric(
    'weft_dataflow_execution_info',
    'gauge',
    'One per execution, labelled with its state',
    executions.map((e) => [{ execution: e.id, graph: e.graph, state: e.state }, 1]),
  )
  return `${lines.join('\n')}\n`
}
