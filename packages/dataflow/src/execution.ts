import { type EventDraft, EventLog } from './event-log.js'
import {
  DataflowError,
  type DataflowEvent,
  type ExecutionError,
  type ExecutionState,
  TERMINAL_STATES,
} from './events.js'
import { ExecutionHost, OutputSink } from './execution-host.js'
import { createNodeContext, type EdgeRuntime, type NodeRuntime } from './execution-node.js'
import { Injection, type InjectTarget, NO_TARGET } from './injection.js'
import type { Message } from './message.js'
import { aggregateMetrics, type ExecutionMetrics } from './metrics.js'
import type { GraphPlan } from './plan.js'
import { buildRuntime } from './runtime-graph.js'
import { Scheduler } from './scheduler.js'

export type { InjectTarget } from './injection.js'

export interface ExecutionOptions {
  id?: string
  /** Recorded events kept in memory (the oldest are dropped past it; counted in `droppedEvents`). Default 10,000. */
  maxRecordedEvents?: number
  /** How often a `metrics` event is sent to listeners while running. Default 1000 ms. */
  metricsIntervalMs?: number
}

export interface ExecutionSnapshot {
  id: string
  graph: string
  state: ExecutionState
  createdAt: string
  startedAt?: string
  completedAt?: string
  error?: ExecutionError
  metrics: ExecutionMetrics
}

type Listener = (event: DataflowEvent) => void

let counter = 0

/**
 * One run of a graph: `pending → initializing → running ⇄ paused → completed | failed | cancelled`.
 * Messages enter through `inject`/`offer`/`send` and leave through `output` nodes (`onOutput`);
 * `end()` says no more will come, and the execution completes once everything has drained.
 */
export class Execution {
  readonly id: string
  readonly graph: string
  readonly createdAt = new Date().toISOString()
  startedAt: string | undefined
  completedAt: string | undefined
  error: ExecutionError | undefined
  private _state: ExecutionState = 'pending'
  /** Completed, failed or cancelled (read on every injection). */
  private finished = false
  /**
   * The edge into the only input node while the execution takes input: `offer()` without a target
   * skips the liveness check and the lookup (`pnpm bench --only dataflow`, one offer per value:
   * ~42M msgs/s through `Injection.edge`, ~55M with it).
   */
  private liveDefaultEdge: EdgeRuntime | undefined
  private readonly sched: Scheduler
  /** Values reaching `output` nodes: counted, and handed to the `onOutput` listeners. */
  private readonly sink = new OutputSink()
  private portEmitListeners = 0
  private readonly log: EventLog
  private readonly abort = new AbortController()
  private readonly injection: Injection
  private metricsTimer: NodeJS.Timeout | undefined
  private ended = false
  private flushIndex = 0
  private injected = 0
  private readonly usageTotals = { inputTokens: 0, outputTokens: 0, costUsd: 0 }
  private readonly startMs = Date.now()
  private endMs: number | undefined
  private settle!: (snapshot: ExecutionSnapshot) => void
  /** Settles with the final snapshot when the execution reaches a terminal state (never rejects). */
  readonly done: Promise<ExecutionSnapshot>

  constructor(
    readonly plan: GraphPlan,
    private readonly options: ExecutionOptions = {},
  ) {
    this.id =
      options.id ??
      `dfx_${Date.now().toString(36)}${(++counter).toString(36)}${Math.random().toString(36).slice(2, 6)}`
    this.graph = plan.name
    this.log = new EventLog(this.id, options.maxRecordedEvents ?? 10_000)
    this.done = new Promise((resolve) => {
      this.settle = resolve
    })
    const nodes = buildRuntime(plan, this.id)
    this.sched = new Scheduler(nodes.order, {
      deliverHook: (msg) => this.portEmit(msg),
      onBackpressure: (node, edge) =>
        this.log.backpressure(node.id, `${edge.source} -> ${edge.target}`, edge.depth, edge.capacity),
      onError: (node, port, err) => this.nodeError(node, port, err),
      onIdle: () => this.maybeComplete(),
    })
    this.injection = new Injection(plan, this.sched, this.id)
    const host = new ExecutionHost(this.id, this.abort.signal, this.sched, this.sink, {
      error: (node, port, err) => {
        this.nodeError(node, port, err)
        return this.sched.running
      },
      log: (node, level, message, meta) =>
        this.record({ type: 'node.log', nodeId: node.id, level, message, ...(meta ? { meta } : {}) }),
      usage: (u) => {
        this.usageTotals.inputTokens += u.inputTokens ?? 0
        this.usageTotals.outputTokens += u.outputTokens ?? 0
        this.usageTotals.costUsd += u.costUsd ?? 0
      },
    })
    for (const node of nodes.order) node.ctx = createNodeContext(node, host)
  }

  get state(): ExecutionState {
    return this._state
  }

  /** Runs every node's `initialize` (in topological order), then starts routing messages. */
  async start(): Promise<void> {
    if (this._state !== 'pending') throw this.invalid('start')
    this.startedAt = new Date().toISOString()
    this.setState('initializing')
    for (const node of this.sched.nodes) {
      if (this.state !== 'initializing') return
      try {
        await node.component.initialize?.(node.ctx)
        node.initialized = true
      } catch (err) {
        node.initialized = true
        await this.finish('failed', {
          message: `node '${node.id}' failed to initialize: ${(err as Error).message}`,
          nodeId: node.id,
        })
        return
      }
    }
    if (this.state !== 'initializing') return
    this.setState('running')
    const every = this.options.metricsIntervalMs ?? 1000
    this.metricsTimer = setInterval(() => {
      if (this.log.listening) this.publish({ type: 'metrics', metrics: this.metrics() })
    }, every)
    this.metricsTimer.unref()
    this.sched.kick()
  }

  /**
   * Puts a message into an input port (by default the `in` port of the graph's only `input`
   * node). Throws `DataflowError('queue_full')` when that port's queue is at its bound: wait
   * (`whenWritable`, `send`), resume a paused execution, or raise `queueCapacity`.
   */
  inject(value: unknown, target: InjectTarget = NO_TARGET): { id: string; sequence: number } {
    const edge = this.injectEdge(target)
    if (edge.depth >= edge.capacity) {
      throw new DataflowError(
        'queue_full',
        `the queue of ${edge.target} is full (${edge.capacity} messages${this._state === 'paused' ? ', the execution is paused' : ''}); the message was not accepted`,
        this._state === 'paused'
          ? 'resume the execution to drain it, or retry later'
          : 'retry when there is room (send() waits for it), or raise queueCapacity',
      )
    }
    this.injected++
    const sequence = this.sched.inject(edge, value)
    return { id: `${this.id}:${edge.index}:${sequence}`, sequence }
  }

  /** `inject` that answers false instead of throwing when the queue is full. */
  offer(value: unknown, target: InjectTarget = NO_TARGET): boolean {
    const edge = this.injectEdge(target)
    if (edge.depth >= edge.capacity) return false
    this.injected++
    this.sched.inject(edge, value)
    return true
  }

  /**
   * `offer` for many values: puts them in order into the target's queue while there is room, and
   * returns how many it took (all of them, or the first `n` when the queue filled up; offer the
   * rest after `whenWritable`). The values are copied: the array stays the caller's to reuse.
   * One call instead of one per value, for producers that have values in hand in bulk.
   */
  offerMany(values: readonly unknown[], target: InjectTarget = NO_TARGET): number {
    const edge = this.injectEdge(target)
    const k = Math.min(values.length, edge.capacity - edge.depth)
    if (k <= 0) return 0
    this.injected += k
    this.sched.injectRun(edge, values, k)
    return k
  }

  /** Resolves when the target's queue has room (at once when it has). */
  whenWritable(target: InjectTarget = NO_TARGET): Promise<void> {
    const edge = this.injectEdge(target)
    if (edge.depth < edge.capacity) return Promise.resolve()
    return new Promise((resolve) => edge.waiters.push(resolve))
  }

  /** Injects, waiting for room first: a producer that awaits it never overruns the bound. */
  async send(value: unknown, target: InjectTarget = NO_TARGET): Promise<void> {
    while (!this.offer(value, target)) await this.whenWritable(target)
  }

  /** No more input: the execution completes once every queue has drained and every node flushed. */
  end(): void {
    this.assertLive('end')
    this.ended = true
    if (this._state === 'running') this.sched.kick()
  }

  pause(): void {
    if (this._state !== 'running') throw this.invalid('pause')
    this.setState('paused')
  }

  resume(): void {
    if (this._state !== 'paused') throw this.invalid('resume')
    this.setState('running')
    this.sched.kick()
  }

  /** Cancels: queues are cleared, waiting senders fail, every node's `cleanup` runs. */
  async stop(): Promise<ExecutionSnapshot> {
    if (TERMINAL_STATES.has(this._state)) throw this.invalid('stop')
    await this.finish('cancelled')
    return this.done
  }

  on(listener: Listener): () => void {
    return this.log.on(listener)
  }

  /** Every message each hop carries, as `port.emit` events (costly: only while subscribed). */
  onPortEmit(listener: Listener): () => void {
    this.portEmitListeners++
    this.sched.observed = true
    const off = this.on((e) => e.type === 'port.emit' && listener(e))
    return () => {
      this.portEmitListeners--
      this.sched.observed = this.portEmitListeners > 0
      off()
    }
  }

  /** Values reaching `output` nodes, in the order each output node received them. */
  onOutput(listener: (nodeId: string, value: unknown) => void): () => void {
    this.sink.listeners.add(listener)
    return () => void this.sink.listeners.delete(listener)
  }

  /** Recorded events dropped past `maxRecordedEvents`. */
  get droppedEvents(): number {
    return this.log.dropped
  }

  /** Recorded events (state changes, errors, backpressure, logs), oldest first. */
  events(): readonly DataflowEvent[] {
    return this.log.recordedEvents()
  }

  /** Messages waiting in every queue now (cheap: no latency percentiles). */
  queueDepth(): number {
    let depth = 0
    for (const node of this.sched.nodes) depth += node.inbox.length
    return depth
  }

  metrics(): ExecutionMetrics {
    return aggregateMetrics(this.sched.nodes, {
      messagesInjected: this.injected,
      messagesOutput: this.sink.count,
      durationMs: (this.endMs ?? Date.now()) - this.startMs,
      usage: { ...this.usageTotals },
    })
  }

  snapshot(): ExecutionSnapshot {
    return {
      id: this.id,
      graph: this.graph,
      state: this._state,
      createdAt: this.createdAt,
      ...(this.startedAt ? { startedAt: this.startedAt } : {}),
      ...(this.completedAt ? { completedAt: this.completedAt } : {}),
      ...(this.error ? { error: this.error } : {}),
      metrics: this.metrics(),
    }
  }

  private injectEdge(target: InjectTarget): EdgeRuntime {
    if (target === NO_TARGET && this.liveDefaultEdge !== undefined) return this.liveDefaultEdge
    this.assertLive('inject')
    const edge = this.injection.edge(target)
    if (target === NO_TARGET) this.liveDefaultEdge = edge
    return edge
  }

  private maybeComplete(): void {
    if (!this.ended || this._state !== 'running' || !this.sched.idle()) return
    // Flush in topological order: a node flushes only after everything upstream has flushed and
    // what that emitted has drained.
    const nodes = this.sched.nodes
    while (this.flushIndex < nodes.length) {
      const node = nodes[this.flushIndex++]!
      if (!node.component.flush) continue
      this.sched.callHook(node, () => node.component.flush!(node.ctx))
      if (!this.sched.idle()) return
    }
    void this.finish('completed')
  }

  private nodeError(node: NodeRuntime, port: string | undefined, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err)
    node.counters.errors++
    this.record({
      type: 'node.error',
      nodeId: node.id,
      ...(port ? { port } : {}),
      message,
      action: node.onError,
    })
    if (node.onError === 'fail') {
      void this.finish('failed', { message: `node '${node.id}' failed: ${message}`, nodeId: node.id })
    } else if (node.onError === 'route' && node.out.error) {
      const w = this.sched.emit(node, 'error', { error: message, node: node.id, ...(port ? { port } : {}) })
      if (w) void w
    }
  }

  private async finish(state: 'completed' | 'failed' | 'cancelled', error?: ExecutionError): Promise<void> {
    if (TERMINAL_STATES.has(this._state)) return
    if (error) this.error = error
    this.endMs = Date.now()
    this.completedAt = new Date().toISOString()
    clearInterval(this.metricsTimer)
    if (state !== 'completed')
      this.abort.abort(error ?? { kind: 'cancel', message: 'the execution was stopped' })
    this.setState(state, error)
    const cancelled = new DataflowError('execution_finished', `the execution ${this.id} is ${state}`)
    this.sched.clear((edge) => {
      for (const w of edge.waiters.splice(0)) w()
    }, cancelled)
    this.injection.wakeAll()
    for (const node of this.sched.nodes) {
      if (!node.initialized || !node.component.cleanup) continue
      try {
        await node.component.cleanup(node.ctx)
      } catch (err) {
        this.record({
          type: 'node.log',
          nodeId: node.id,
          level: 'error',
          message: `cleanup failed: ${(err as Error).message}`,
        })
      }
    }
    this.publish({ type: 'metrics', metrics: this.metrics() })
    this.settle(this.snapshot())
  }

  private setState(state: ExecutionState, error?: ExecutionError): void {
    const previous = this._state
    this._state = state
    this.sched.running = state === 'running'
    this.finished = TERMINAL_STATES.has(state)
    if (this.finished) this.liveDefaultEdge = undefined
    this.record({ type: 'execution.state', state, previous, ...(error ? { error } : {}) })
  }

  private record(event: EventDraft): void {
    this.publish(event)
  }

  private publish(draft: EventDraft): void {
    this.log.publish(draft)
  }

  private portEmit(msg: Message): void {
    this.publish({
      type: 'port.emit',
      messageId: msg.id,
      source: msg.source,
      target: msg.target,
      sequence: msg.sequence,
      timestamp: msg.timestamp,
      value: msg.value,
    })
  }

  private assertLive(what: string): void {
    if (this.finished) {
      throw new DataflowError(
        'execution_finished',
        `cannot ${what}: the execution ${this.id} is ${this._state}`,
      )
    }
  }

  private invalid(what: string): DataflowError {
    return new DataflowError(
      TERMINAL_STATES.has(this._state) ? 'execution_finished' : 'invalid_state',
      `cannot ${what} the execution ${this.id}: it is ${this._state}`,
    )
  }
}
