import type { EdgeRuntime } from './execution-node.js'

/**
 * A node's queue of messages, kept as parallel arrays (edge, value, sequence, timestamp) rather
 * than one object per message: at millions of messages a second, an object per hop was most of
 * the garbage the collector had to deal with. A `Message` is made only when someone looks
 * (`port.emit` subscribers).
 */
export class Inbox {
  private edges: (EdgeRuntime | undefined)[]
  private values: unknown[]
  private seqs: Float64Array
  private times: Float64Array
  private head = 0
  private count = 0
  private mask: number

  constructor(initialCapacity = 64) {
    let size = 16
    while (size < initialCapacity) size *= 2
    this.edges = new Array(size)
    this.values = new Array(size)
    this.seqs = new Float64Array(size)
    this.times = new Float64Array(size)
    this.mask = size - 1
  }

  get length(): number {
    return this.count
  }

  push(edge: EdgeRuntime, sequence: number, timestamp: number, value: unknown): void {
    if (this.count === this.edges.length) this.grow()
    const i = (this.head + this.count) & this.mask
    this.edges[i] = edge
    this.values[i] = value
    this.seqs[i] = sequence
    this.times[i] = timestamp
    this.count++
  }

  /** Appends the first `k` values, all arrived on `edge`, numbered from `firstSeq`, at one time. */
  pushRun(
    edge: EdgeRuntime,
    firstSeq: number,
    timestamp: number,
    values: readonly unknown[],
    k: number,
  ): void {
    while (this.count + k > this.edges.length) this.grow()
    const { edges, seqs, times, mask } = this
    const vals = this.values
    let i = (this.head + this.count) & mask
    let seq = firstSeq
    for (let j = 0; j < k; j++) {
      edges[i] = edge
      vals[i] = values[j]
      seqs[i] = seq++
      times[i] = timestamp
      i = (i + 1) & mask
    }
    this.count += k
  }

  /**
   * Moves the oldest messages into `out` (from index 0) while they arrived on one port (`port`),
   * at most `max`.
   * For each run of consecutive messages of one edge, appends the edge to `runEdges` and the run's
   * length to `runCounts` (the caller settles the edges after, when the inbox is consistent again).
   * Returns how many it moved.
   */
  takeRun(port: string, max: number, out: unknown[], runEdges: EdgeRuntime[], runCounts: number[]): number {
    const { edges, mask } = this
    const vals = this.values
    let h = this.head
    let taken = 0
    let current: EdgeRuntime | undefined
    let run = 0
    while (taken < max && taken < this.count) {
      const edge = edges[h]!
      if (edge !== current) {
        if (edge.toPort !== port) break
        if (current !== undefined) {
          runEdges.push(current)
          runCounts.push(run)
        }
        current = edge
        run = 0
      }
      out[taken] = vals[h]
      edges[h] = undefined
      vals[h] = undefined
      h = (h + 1) & mask
      run++
      taken++
    }
    if (current !== undefined) {
      runEdges.push(current)
      runCounts.push(run)
    }
    this.head = h
    this.count -= taken
    return taken
  }

  /** The edge of the oldest message (call only when `length > 0`). */
  headEdge(): EdgeRuntime {
    return this.edges[this.head]!
  }

  headValue(): unknown {
    return this.values[this.head]
  }

  /** Drops the oldest message. */
  drop(): void {
    const h = this.head
    this.edges[h] = undefined
    this.values[h] = undefined
    this.head = (h + 1) & this.mask
    this.count--
  }

  /** The edges of the queued messages, oldest first. */
  *queuedEdges(): IterableIterator<EdgeRuntime> {
    for (let i = 0; i < this.count; i++) yield this.edges[(this.head + i) & this.mask]!
  }

  clear(): void {
    this.edges.fill(undefined)
    this.values.fill(undefined)
    this.head = 0
    this.count = 0
  }

  private grow(): void {
    const size = this.edges.length * 2
    const edges = new Array<EdgeRuntime | undefined>(size)
    const values = new Array<unknown>(size)
    const seqs = new Float64Array(size)
    const times = new Float64Array(size)
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask
      edges[k] = this.edges[i]
      values[k] = this.values[i]
      seqs[k] = this.seqs[i]!
      times[k] = this.times[i]!
    }
    this.edges = edges
    this.values = values
    this.seqs = seqs
    this.times = times
    this.head = 0
    this.mask = size - 1
  }
}
