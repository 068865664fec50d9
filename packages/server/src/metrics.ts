import type { MetricsSummary } from '@weft/api'
import {
  agentStoreOf,
  type RunStatus,
  type Runtime,
  type RuntimeQueueStatus,
  type Store,
  type WeftEvent,
} from '@weft/core'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { type AgentSource, registerAgentGauges } from './agent-metrics.js'
import { SummaryCollector } from './metrics-summary.js'
import { sharedPerScrape } from './scrape-read.js'

export interface ServerMetricsOptions {
  /** Also collect the process metrics of prom-client (CPU, memory, event loop lag). Default true. */
  defaultMetrics?: boolean
  /** Prefix of every metric name. Default `weft_`. */
  prefix?: string
}

/**
 * The Prometheus metrics of a weft server, in their own registry (serve it with `/metrics`, or
 * merge it into yours with `Registry.merge`).
 */
export interface ServerMetrics {
  readonly registry: Registry
  readonly httpRequests: Counter<'method' | 'route' | 'status'>
  readonly httpDuration: Histogram<'method' | 'route'>
  readonly taskDuration: Histogram<'backend' | 'outcome'>
  readonly tokens: Counter<'model' | 'backend' | 'kind'>
  readonly costUsd: Counter<'model' | 'backend'>
  readonly storeAppend: Histogram<'store'>
  readonly sseClients: Gauge
  readonly wsClients: Gauge
  readonly tasksEnded: Counter<'status'>
  readonly events: Counter<'type'>
  /** The figures of `GET /api/v1/metrics` (JSON): the same events, plus the queue. */
  summary(): Promise<MetricsSummary>
  /** Feeds a runtime event (task durations, usage). The server subscribes it to its runtime. */
  observe(event: WeftEvent): void
  /** Where the run and queue gauges are read from on each scrape. The server sets it. */
  setQueueSource(source: (() => Promise<RuntimeQueueStatus>) | undefined): void
  /** Where the agent gauges read the agents (`store.agents`); the server sets it when its store has them. */
  setAgentSource(source: AgentSource | undefined): void
}

const TOKEN_KINDS = [
  ['inputTokens', 'input'],
  ['outputTokens', 'output'],
  ['cacheReadTokens', 'cache_read'],
  ['cacheWriteTokens', 'cache_write'],
  ['reasoningTokens', 'reasoning'],
] as const

export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  const p = options.prefix ?? 'weft_'
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: p })
  const registers = [registry]
  let queueSource: (() => Promise<RuntimeQueueStatus>) | undefined
  let agentSource: AgentSource | undefined
  registerAgentGauges(registry, p, () => agentSource)
  // One read of the queue per scrape, shared by the gauges that collect from it.
  const readQueue = sharedPerScrape(() => queueSource?.())

  new Gauge({
    name: `${p}runs`,
    help: 'Runs in the store by status',
    labelNames: ['status'],
    registers,
    async collect() {
      const q = await readQueue()
      if (!q) return
      for (const [status, n] of Object.entries(q.runs) as [RunStatus, number][]) this.set({ status }, n)
    },
  })
  new Gauge({
    name: `${p}active_runs`,
    help: 'Unfinished runs this server runs',
    registers,
    async collect() {
      const q = await readQueue()
      if (q) this.set(q.activeRuns)
    },
  })
  new Gauge({
    name: `${p}queue_tasks`,
    help: 'Tasks of this server: queued (ready, waiting for a slot) and running',
    labelNames: ['state'],
    registers,
    async collect() {
      const q = await readQueue()
      if (!q) return
      this.set({ state: 'queued' }, q.queuedTasks)
      this.set({ state: 'running' }, q.runningTasks)
    },
  })
  new Gauge({
    name: `${p}queue_capacity`,
    help: 'The runtime-wide cap on running tasks',
    registers,
    async collect() {
      const q = await readQueue()
      if (q) this.set(q.capacity)
    },
  })
  new Gauge({
    name: `${p}queue_paused`,
    help: '1 while dispatch is paused (POST /queue/pause)',
    registers,
    async collect() {
      const q = await readQueue()
      if (q) this.set(q.paused ? 1 : 0)
    },
  })

  const taskDuration = new Histogram({
    name: `${p}task_duration_seconds`,
    help: 'Duration of finished task attempts, by backend and outcome',
    labelNames: ['backend', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers,
  })
  const tokens = new Counter({
    name: `${p}tokens_total`,
    help: 'Tokens used, by model, backend and kind (input, output, cache_read, cache_write, reasoning)',
    labelNames: ['model', 'backend', 'kind'],
    registers,
  })
  const costUsd = new Counter({
    name: `${p}cost_usd_total`,
    help: 'Cost in USD, by model and backend',
    labelNames: ['model', 'backend'],
    registers,
  })
  const storeAppend = new Histogram({
    name: `${p}store_append_seconds`,
    help: 'Latency of event-store commits (state and events appended in one transaction)',
    labelNames: ['store'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  })
  const tasksEnded = new Counter({
    name: `${p}tasks_total`,
    help: 'Tasks that ended, by status (succeeded, failed, canceled, skipped)',
    labelNames: ['status'],
    registers,
  })
  const events = new Counter({
    name: `${p}events_total`,
    help: 'Events committed, by type',
    labelNames: ['type'],
    registers,
  })
  const summary = new SummaryCollector()
  const sseClients = new Gauge({ name: `${p}sse_clients`, help: 'Open SSE event streams', registers })
  const wsClients = new Gauge({ name: `${p}ws_clients`, help: 'Open WebSocket connections', registers })
  const httpRequests = new Counter({
    name: `${p}http_requests_total`,
    help: 'HTTP requests by route (the route template), method and status',
    labelNames: ['method', 'route', 'status'],
    registers,
  })
  const httpDuration = new Histogram({
    name: `${p}http_request_duration_seconds`,
    help: 'Time to the response headers, by route and method',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  })

  // The backend of each running task comes with `task.started`; durations come with its end.
  const backendOf = new Map<string, Map<string, string>>()

  return {
    registry,
    httpRequests,
    httpDuration,
    taskDuration,
    tokens,
    costUsd,
    storeAppend,
    sseClients,
    wsClients,
    tasksEnded,
    events,
    async summary() {
      return summary.summary(await readQueue())
    },
    setQueueSource(source) {
      queueSource = source
    },
    setAgentSource(source) {
      agentSource = source
    },
    observe(e) {
      summary.observe(e)
      if (e.type !== 'agent.delta') events.inc({ type: e.type })
      if (e.type === 'task.canceled' || e.type === 'task.skipped') tasksEnded.inc({ status: e.type.slice(5) })
      switch (e.type) {
        case 'task.started': {
          if (!e.taskId) return
          let tasks = backendOf.get(e.runId)
          if (!tasks) {
            tasks = new Map()
            backendOf.set(e.runId, tasks)
          }
          tasks.set(e.taskId, e.data.backend ?? 'unknown')
          return
        }
        case 'task.succeeded':
        case 'task.failed': {
          const ms = e.data.durationMs
          const backend = (e.taskId && backendOf.get(e.runId)?.get(e.taskId)) || 'unknown'
          if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) {
            taskDuration.observe(
              { backend, outcome: e.type === 'task.succeeded' ? 'succeeded' : 'failed' },
              ms / 1000,
            )
          }
          if (e.taskId) backendOf.get(e.runId)?.delete(e.taskId)
          tasksEnded.inc({ status: e.type === 'task.succeeded' ? 'succeeded' : 'failed' })
          return
        }
        case 'usage.recorded': {
          const model = e.data.model ?? 'unknown'
          const backend = e.data.backend ?? 'unknown'
          for (const [field, kind] of TOKEN_KINDS) {
            const n = e.data[field]
            if (typeof n === 'number' && n > 0) tokens.inc({ model, backend, kind }, n)
          }
          if (typeof e.data.costUsd === 'number' && e.data.costUsd > 0)
            costUsd.inc({ model, backend }, e.data.costUsd)
          return
        }
        case 'run.succeeded':
        case 'run.failed':
        case 'run.canceled':
          backendOf.delete(e.runId)
          return
      }
    },
  }
}

/**
 * Wraps a store so that every `commit` (the one write path: state and events appended together)
 * is timed into `weft_store_append_seconds`. Wrap the store before `createRuntime`:
 *
 * ```ts
 * const metrics = createServerMetrics()
 * const runtime = createRuntime({ store: instrumentStore(createSqliteStore({ path }), metrics) })
 * ```
 */
export function instrumentStore(store: Store, metrics: ServerMetrics): Store {
  const commit: Store['commit'] = async (c) => {
    const end = metrics.storeAppend.startTimer({ store: storeKind(store.id) })
    try {
      return await store.commit(c)
    } finally {
      end()
    }
  }
  // A proxy, not a copy: stores may be class instances whose methods live on the prototype.
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'commit') return commit
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** `sqlite:/path/weft.db` → `sqlite`: a label without paths (bounded, nothing private). */
function storeKind(id: string): string {
  return /^[a-z][a-z0-9_-]*/i.exec(id)?.[0] ?? 'store'
}

/** Subscribes the metrics to a runtime's live events; returns the unsubscribe function. */
export function observeRuntime(metrics: ServerMetrics, runtime: Runtime): () => void {
  metrics.setQueueSource(() => runtime.queueStatus())
  const agents = agentStoreOf(runtime.store)
  metrics.setAgentSource(agents ? () => agents.list() : undefined)
  const unsubscribe = runtime.subscribe((e) => {
    try {
      metrics.observe(e)
    } catch {
      // Metrics never break a run.
    }
  })
  return () => {
    unsubscribe()
    metrics.setQueueSource(undefined)
    metrics.setAgentSource(undefined)
  }
}
