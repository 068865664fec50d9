import type { EdgeRuntime, NodeRuntime } from './execution-node.js'
import type { Taken } from './inbox.js'
import { Message } from './message.js'
import { SYNC_SAMPLE_EVERY } from './metrics.js'
import { Ring } from './ring.js'

/** Messages a node takes from its inbox one by one in a turn before the next ready node's turn. */
const NODE_TURN = 1024
/**
 * Messages a `processBatch` node takes in a turn: above the default queue capacity (10,000), so
 * that a queue filled by one run goes over in one batch, without a copy.
 */
const BATCH_MAX = 16_384
/** Calls in one drain before yielding to the event loop (timers, I/O, other executions). */
const DRAIN_BUDGET = 65_536

export interface SchedulerHooks {
  /** Called for every delivered message while `observed` is set (the execution's `port.emit`). */
  deliverHook(msg: Message): void
  onBackpressure(node: NodeRuntime, edge: EdgeRuntime): void
  onError(node: NodeRuntime, port: string | undefined, err: unknown): void
  /** Called when a drain ends with nothing left to do. */
  onIdle(): void
}

/**
 * The hot path: delivers messages into bounded edge queues and runs ready nodes, synchronously
 * while components are synchronous (no promise per message), in batches per node.
 *
 * Backpressure: a message for an edge at its capacity is not delivered; it waits in its
 * producer's `pending` list, the producer is `blocked` (its `emit` returns a promise, and it gets
 * no new message) until the consumer has taken enough for every pending message to fit. Nothing
 * is dropped, and memory is bounded by the capacities plus what one call emits.
 */
export class Scheduler {
  private readonly ready = new Ring<NodeRuntime>()
  private draining = false
  private drainQueued = false
  private queued = 0
  private busyCount = 0
  private blockedCount = 0
  private edgeCount = 1_000_000
  /** The time stamp of what is emitted now: read when first needed after it went stale. */
  private now = Date.now()
  private clockFresh = false
  private closed = false
  private readonly staleClock = () => {
    this.clockFresh = false
  }
  /** Whether nodes may run: the execution sets it as its state changes (read on every message). */
  running = false
  /** Whether someone watches every hop (`onPortEmit`). */
  observed = false
  /** Scratch of `runBatch`: the edges a batch came from, and how many of each. */
  private readonly taken: Taken = { edges: [], counts: [], n: 0 }

  constructor(
    readonly nodes: NodeRuntime[],
    private readonly hooks: SchedulerHooks,
  ) {}

  newEdge(
    from: NodeRuntime | undefined,
    to: NodeRuntime,
    toPort: string,
    capacity: number,
    executionId: string,
    fromPort?: string,
  ): EdgeRuntime {
    return {
      executionId,
      index: this.edgeCount++,
      source: from ? `${from.id}:${fromPort}` : 'inject',
      target: `${to.id}:${toPort}`,
      from,
      to,
      toPort,
      capacity,
      depth: 0,
      seq: 0,
      waiters: [],
    }
  }

  /**
   * The time for messages injected from outside: read once per synchronous burst (a loop of
   * `offer` calls reads the clock once), fresh again after the next microtask.
   */
  clock(): number {
    if (!this.clockFresh) {
      this.now = Date.now()
      this.clockFresh = true
      // A drain marks it stale at each node's turn; outside one, the next microtask does.
      if (!this.draining) queueMicrotask(this.staleClock)
    }
    return this.now
  }

  /** Nothing queued, running or waiting for room. */
  idle(): boolean {
    return this.queued === 0 && this.busyCount === 0 && this.blockedCount === 0
  }

  /** Starts a drain soon (after the current synchronous code). */
  kick(): void {
    if (this.drainQueued || this.draining) return
    this.drainQueued = true
    queueMicrotask(this.drain)
  }

  /**
   * Puts a message in its edge's target queue (the caller checked the edge has room). Its time
   * stamp is read (or given) only for whoever watches every hop.
   */
  deliver(edge: EdgeRuntime, sequence: number, value: unknown, timestamp?: number): void {
    edge.depth++
    const to = edge.to
    to.inbox.push(edge, value)
    this.queued++
    if (this.observed) this.hooks.deliverHook(new Message(edge, sequence, timestamp ?? this.clock(), value))
    if (!to.scheduled && !to.busy && !to.blocked) this.schedule(to)
  }

  /** Delivers a message injected from outside (the caller checked the edge has room); returns its sequence. */
  inject(edge: EdgeRuntime, value: unknown): number {
    const sequence = ++edge.seq
    this.deliver(edge, sequence, value)
    return sequence
  }

  /** `inject` for the first `count` values (the caller checked the edge has room for them). */
  injectRun(edge: EdgeRuntime, values: readonly unknown[], count: number): void {
    this.deliverRun(edge, values, count, false)
  }

  emit(node: NodeRuntime, port: string, value: unknown): void | Promise<void> {
    // After a stop or a failure, what a component still emits (a timer, an await that resumed) goes nowhere.
    if (this.closed) return
    const edges = node.out[port]
    if (edges === undefined) {
      // An output port nothing listens to: the value goes nowhere and is not counted as sent.
      if (node.outPorts.has(port)) return
      throw new Error(
        `node '${node.id}' has no output port '${port}' (its ports: ${[...node.outPorts].join(', ') || 'none'})`,
      )
    }
    node.counters.messagesOut++
    for (let i = 0; i < edges.length; i++) {
      const edge = edges[i]!
      if (node.pending.length === 0 && edge.depth < edge.capacity) this.deliver(edge, ++edge.seq, value)
      else node.pending.push(new Message(edge, ++edge.seq, this.clock(), value))
    }
    if (node.pending.length > 0) return this.block(node)
  }

  /**
   * `emit` for many values of one port: the same routing, order and backpressure, one call. With
   * `owned`, `values` is handed over (the caller keeps no reference), so one edge's queue may take
   * the array itself instead of a copy.
   */
  emitBatch(
    node: NodeRuntime,
    port: string,
    values: readonly unknown[],
    owned = false,
  ): void | Promise<void> {
    const n = values.length
    if (n === 1) return this.emit(node, port, values[0])
    if (this.closed || n === 0) return
    const edges = node.out[port]
    if (edges === undefined) return this.emit(node, port, values[0])
    node.counters.messagesOut += n
    const pending = node.pending
    // The last edge may take the array itself: every other edge has copied what it needs by then.
    const last = edges.length - 1
    for (let i = 0; i <= last; i++) {
      const edge = edges[i]!
      let k = 0
      if (pending.length === 0 && edge.depth < edge.capacity) {
        k = Math.min(n, edge.capacity - edge.depth)
        this.deliverRun(edge, values, k, owned && i === last)
      }
      if (k < n) {
        const now = this.clock()
        for (; k < n; k++) pending.push(new Message(edge, ++edge.seq, now, values[k]))
      }
    }
    if (pending.length > 0) return this.block(node)
  }

  /** `deliver` for the first `count` values (the caller checked the edge has room for them). */
  private deliverRun(edge: EdgeRuntime, values: readonly unknown[], count: number, owned: boolean): void {
    const first = edge.seq + 1
    edge.seq += count
    edge.depth += count
    const to = edge.to
    to.inbox.pushRun(edge, values, count, owned)
    this.queued += count
    if (this.observed) {
      const timestamp = this.clock()
      for (let j = 0; j < count; j++)
        this.hooks.deliverHook(new Message(edge, first + j, timestamp, values[j]))
    }
    if (!to.scheduled && !to.busy && !to.blocked) this.schedule(to)
  }

  /** Runs a hook outside `process` (a flush) with the same busy/error handling. */
  callHook(node: NodeRuntime, hook: () => void | Promise<void>): void {
    let result: void | Promise<void>
    try {
      result = hook()
    } catch (err) {
      this.hooks.onError(node, undefined, err)
      return
    }
    if (result && typeof (result as Promise<void>).then === 'function') this.await(node, result, 0, undefined)
  }

  /** Empties every queue; wakes waiting producers (their `emit` promises resolve, their messages are gone). */
  clear(wakeInjectors: (edge: EdgeRuntime) => void, _reason: Error): void {
    this.closed = true
    for (const node of this.nodes) {
      for (const edge of node.inbox.queuedEdges()) wakeInjectors(edge)
      node.inbox.clear()
      node.pending.clear()
      node.blocked = false
      const release = node.release
      node.release = undefined
      node.unblocked = undefined
      release?.()
    }
    this.queued = 0
    this.blockedCount = 0
    this.ready.clear()
  }

  private readonly drain = (): void => {
    this.drainQueued = false
    if (!this.running) return
    this.draining = true
    let budget = DRAIN_BUDGET
    const ready = this.ready
    try {
      while (ready.length > 0 && budget > 0 && this.running) {
        const node = ready.shift()!
        node.scheduled = false
        budget -= this.runNode(node)
      }
    } finally {
      this.draining = false
    }
    if (!this.running) return
    if (ready.length > 0) {
      this.drainQueued = true
      setImmediate(this.drain)
    } else if (this.idle()) this.hooks.onIdle()
  }

  private schedule(node: NodeRuntime): void {
    node.scheduled = true
    this.ready.push(node)
    if (!this.draining) this.kick()
  }

  private runNode(node: NodeRuntime): number {
    const inbox = node.inbox
    const component = node.component
    const ctx = node.ctx
    const counters = node.counters
    // Messages this turn emits get a fresh time stamp (read only if one is needed).
    this.clockFresh = false
    const batched = component.processBatch !== undefined
    const limit = batched ? BATCH_MAX : NODE_TURN
    let n = 0
    while (n < limit && inbox.length > 0 && !node.busy && !node.blocked && this.running) {
      if (batched) {
        n += this.runBatch(node, limit - n)
        continue
      }
      const edge = inbox.headEdge()
      const value = inbox.shift()
      this.queued--
      this.took(edge, 1)
      n++
      counters.messagesIn++
      const calls = ++counters.invocations
      // Every call of the first 256, then every 16th: small runs get exact figures, big ones cheap ones.
      const sample = calls <= 256 || calls % SYNC_SAMPLE_EVERY === 0
      const t0 = sample ? performance.now() : 0
      let result: void | Promise<void>
      try {
        result = component.process(ctx, edge.toPort, value)
      } catch (err) {
        this.hooks.onError(node, edge.toPort, err)
        continue
      }
      if (result !== undefined && result !== null && typeof (result as Promise<void>).then === 'function') {
        this.await(node, result, sample ? t0 : performance.now(), edge.toPort)
      } else if (sample) counters.recordLatency(performance.now() - t0)
    }
    if (inbox.length > 0 && !node.busy && !node.blocked && !node.scheduled) this.schedule(node)
    return n
  }

  /**
   * Hands `processBatch` the queued messages at the head of the inbox that arrived on one port (at
   * most `max`), taken off their edges as `runNode` takes them one by one. Returns how many.
   */
  private runBatch(node: NodeRuntime, max: number): number {
    const inbox = node.inbox
    const port = inbox.headEdge().toPort
    const taken = this.taken
    taken.n = 0
    const values = inbox.takeRun(port, max, taken)
    const k = values.length
    this.queued -= k
    for (let r = 0; r < taken.n; r++) this.took(taken.edges[r]!, taken.counts[r]!)
    const counters = node.counters
    counters.messagesIn += k
    counters.invocations += k
    // Timed as calls of `process` are: every batch of the first 256, then every 16th.
    const batches = ++counters.batches
    const sample = batches <= 256 || batches % SYNC_SAMPLE_EVERY === 0
    const t0 = sample ? performance.now() : 0
    let result: void | Promise<void>
    try {
      result = node.component.processBatch!(node.ctx, port, values)
    } catch (err) {
      this.hooks.onError(node, port, err)
      return k
    }
    if (result !== undefined && result !== null && typeof (result as Promise<void>).then === 'function') {
      this.await(node, result, sample ? t0 : performance.now(), port, k)
    } else if (sample) counters.recordLatency((performance.now() - t0) / k)
    return k
  }

  /**
   * `count` messages of `edge` left its queue: a producer blocked on it may move its pending
   * messages on, and `send()` callers waiting to inject into it may go.
   */
  private took(edge: EdgeRuntime, count: number): void {
    edge.depth -= count
    const from = edge.from
    if (from !== undefined) {
      if (from.blocked) this.tryUnblock(from)
    } else if (edge.waiters.length > 0) {
      for (const w of edge.waiters.splice(0)) w()
    }
  }

  private await(
    node: NodeRuntime,
    result: Promise<void>,
    t0: number,
    port: string | undefined,
    messages = 1,
  ): void {
    node.busy = true
    this.busyCount++
    const done = (err?: unknown, failed?: boolean) => {
      node.busy = false
      this.busyCount--
      if (t0) node.counters.recordLatency((performance.now() - t0) / messages)
      if (failed) this.hooks.onError(node, port, err)
      if (!this.running) return
      if (node.inbox.length > 0 && !node.blocked && !node.scheduled) this.schedule(node)
      else this.kick()
    }
    result.then(
      () => done(),
      (err) => done(err, true),
    )
  }

  private block(node: NodeRuntime): Promise<void> {
    if (!node.blocked) {
      node.blocked = true
      this.blockedCount++
      node.counters.backpressureEvents++
      this.hooks.onBackpressure(node, node.pending.peek()!.edge)
    }
    node.unblocked ??= new Promise<void>((resolve) => {
      node.release = resolve
    })
    return node.unblocked
  }

  /** Moves a blocked producer's pending messages downstream as room allows; unblocks it when all fit. */
  private tryUnblock(node: NodeRuntime): void {
    const pending = node.pending
    while (pending.length > 0) {
      const msg = pending.peek()!
      if (msg.edge.depth >= msg.edge.capacity) return
      pending.shift()
      this.deliver(msg.edge, msg.sequence, msg.value, msg.timestamp)
    }
    node.blocked = false
    this.blockedCount--
    const release = node.release
    node.release = undefined
    node.unblocked = undefined
    release?.()
    if (node.inbox.length > 0 && !node.busy && !node.scheduled) this.schedule(node)
    else if (!this.draining) this.kick()
  }
}
