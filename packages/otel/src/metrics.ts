/**
 * weft's metrics as OpenTelemetry instruments, fed by the same events as the spans: the figures of
 * `GET /api/v1/metrics` and Prometheus `/metrics` (runs and tasks by status, task durations, queue
 * depth, events, tokens and cost by model, uptime), named after OTel conventions, with the GenAI
 * `gen_ai.client.token.usage` histogram for tokens.
 */
import type { Attributes, Meter } from '@opentelemetry/api'
import type { RuntimeLifecycleEvent, WeftEvent } from '@weft/spec'
import { GEN_AI, providerOf, WEFT } from './attributes.js'

type TaskPlace = 'queued' | 'running'

/**
 * Counts kept in a plain map and reported when metrics are collected (an observable counter): an
 * SDK counter's `add` looks its attributes up on every call, and this runs for every event.
 */
class Tally {
  readonly counts = new Map<string, number>()
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n)
  }
}

export class RuntimeMetrics {
  private readonly places = new Map<string, TaskPlace>()
  private readonly backendOf = new Map<string, string>()
  private startedAt: number | undefined
  private readonly runs = new Tally()
  private readonly tasks = new Tally()
  private readonly events = new Tally()
  /** By model and provider (`model\u0000provider`). */
  private readonly cost = new Tally()
  private readonly taskDuration
  private readonly tokens

  constructor(meter: Meter) {
    const observe = (
      name: string,
      description: string,
      unit: string,
      tally: Tally,
      attrs: (key: string) => Attributes,
    ) =>
      meter.createObservableCounter(name, { description, unit }).addCallback((result) => {
        for (const [key, n] of tally.counts) result.observe(n, attrs(key))
      })
    observe('weft.runs', 'Runs that ended, by status', '{run}', this.runs, (k) => ({ [WEFT.runStatus]: k }))
    observe(
      'weft.tasks',
      'Tasks that ended, by status (succeeded, failed, canceled, skipped)',
      '{task}',
      this.tasks,
      (k) => ({ [WEFT.taskStatus]: k }),
    )
    observe('weft.events', 'Events committed, by type', '{event}', this.events, (k) => ({
      'weft.event.type': k,
    }))
    observe('weft.cost', 'Cost by model and provider', 'USD', this.cost, (k) => {
      const [model, provider] = k.split('\u0000')
      return { [GEN_AI.requestModel]: model ?? 'unknown', [GEN_AI.providerName]: provider ?? 'unknown' }
    })
    this.taskDuration = meter.createHistogram('weft.task.duration', {
      description: 'Duration of finished tasks, by backend and outcome',
      unit: 's',
    })
    this.tokens = meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Tokens used per backend call, by model and token type (GenAI semantic conventions)',
      unit: '{token}',
    })
    meter
      .createObservableGauge('weft.queue.tasks', {
        description: 'Tasks of this runtime waiting for a slot (queued) and running',
        unit: '{task}',
      })
      .addCallback((result) => {
        let queued = 0
        let running = 0
        for (const p of this.places.values()) p === 'queued' ? queued++ : running++
        result.observe(queued, { 'weft.queue.state': 'queued' })
        result.observe(running, { 'weft.queue.state': 'running' })
      })
    meter
      .createObservableGauge('weft.uptime', { description: 'Time since the runtime started', unit: 's' })
      .addCallback((result) => {
        if (this.startedAt !== undefined) result.observe((Date.now() - this.startedAt) / 1000)
      })
  }

  lifecycle(e: RuntimeLifecycleEvent): void {
    if (e.type === 'runtime.started') this.startedAt = Date.parse(e.ts)
    else this.startedAt = undefined
  }

  event(e: WeftEvent): void {
    if (e.type === 'agent.delta') return
    this.events.add(e.type)
    const key = e.taskId ? `${e.runId}\u0000${e.taskId}` : ''
    switch (e.type) {
      case 'task.queued':
        this.places.set(key, 'queued')
        return
      case 'task.started':
        this.places.set(key, 'running')
        if (e.data.backend) this.backendOf.set(key, e.data.backend)
        return
      case 'task.retry_scheduled':
      case 'task.interrupted':
      case 'task.waiting':
        this.places.delete(key)
        return
      case 'task.succeeded':
      case 'task.failed': {
        const backend = this.backendOf.get(key) ?? 'unknown'
        const outcome = e.type === 'task.succeeded' ? 'succeeded' : 'failed'
        const ms = e.data.durationMs
        if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)
          this.taskDuration.record(ms / 1000, { [WEFT.backend]: backend, [WEFT.taskStatus]: outcome })
        this.tasks.add(outcome)
        this.forget(key)
        return
      }
      case 'task.canceled':
      case 'task.skipped':
        this.tasks.add(e.type.slice('task.'.length))
        this.forget(key)
        return
      case 'usage.recorded': {
        const attrs: Attributes = {
          [GEN_AI.requestModel]: e.data.model ?? 'unknown',
          [GEN_AI.providerName]: providerOf(e.data.backend ?? 'unknown'),
        }
        const input = e.data.inputTokens + e.data.cacheReadTokens + e.data.cacheWriteTokens
        const output = e.data.outputTokens + e.data.reasoningTokens
        if (input > 0) this.tokens.record(input, { ...attrs, [GEN_AI.tokenType]: 'input' })
        if (output > 0) this.tokens.record(output, { ...attrs, [GEN_AI.tokenType]: 'output' })
        if (typeof e.data.costUsd === 'number' && e.data.costUsd > 0)
          this.cost.add(`${attrs[GEN_AI.requestModel]}\u0000${attrs[GEN_AI.providerName]}`, e.data.costUsd)
        return
      }
      case 'run.succeeded':
      case 'run.failed':
      case 'run.canceled': {
        this.runs.add(e.type.slice('run.'.length))
        const prefix = `${e.runId}\u0000`
        for (const k of this.places.keys()) if (k.startsWith(prefix)) this.places.delete(k)
        for (const k of this.backendOf.keys()) if (k.startsWith(prefix)) this.backendOf.delete(k)
        return
      }
    }
  }

  private forget(key: string): void {
    this.places.delete(key)
    this.backendOf.delete(key)
  }
}
