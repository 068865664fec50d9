import type { EdgeRuntime } from './execution-node.js'
import { Ring } from './ring.js'

/**
 * Runs at least this long are queued and handed on as they are; shorter ones are merged (copied
 * one by one), so that messages emitted one at a time still reach a `processBatch` in batches.
 */
const SMALL_RUN = 64
/**
 * Slots of the array a run starts with: few for a trickle, four times more each time a run of the
 * same edge fills up before its consumer takes it, up to the most: 16 KB of slots, so that a batch
 * stays in the first-level cache while map, filter and output each pass over it. Filling
 * preallocated slots costs less than growing an array one push at a time.
 */
const FIRST_CHUNK = 8
const MOST_CHUNK = 2048

/**
 * What `takeRun` took, run by run: edge and count (reused, with `n` in use, so that a batch
 * allocates nothing here: truncating an array frees its storage, and the next push allocates).
 */
export interface Taken {
  edges: EdgeRuntime[]
  counts: number[]
  n: number
}

/**
 * Consecutive messages of one edge in an inbox: a plain array of their values, of which those
 * from `start` to `end` are queued. The array is the inbox's own (never a component's), so a whole
 * run can be handed to a `processBatch` call without a copy.
 */
interface Run {
  edge: EdgeRuntime
  values: unknown[]
  start: number
  /** Slots in use: `values` may have room beyond them. */
  end: number
}

/**
 * A node's queue of messages, in arrival order over all its incoming edges, kept as runs: the
 * messages of one edge that arrived one after another share one array. At millions of messages a
 * second, per-message bookkeeping (an object, or a slot in four parallel arrays) was most of the
 * cost of a hop; a run costs one array slot per message, and a batch taken whole costs nothing
 * per message. Sequence numbers and timestamps are not kept: only `port.emit` observers see them,
 * and they get them when the message is delivered.
 */
export class Inbox {
  private readonly runs = new Ring<Run>()
  /** The newest run (the one `push` appends to while the edge is the same), if any. */
  private tail: Run | undefined
  private count = 0
  get length(): number {
    return this.count
  }

  push(edge: EdgeRuntime, value: unknown): void {
    const tail = this.tail
    if (tail !== undefined && tail.edge === edge && tail.end < tail.values.length)
      tail.values[tail.end++] = value
    else {
      const values = new Array(this.nextSize(edge, 1))
      values[0] = value
      this.append({ edge, values, start: 0, end: 1 })
    }
    this.count++
  }

  /**
   * Appends the first `k` of `values`, all arrived on `edge`. With `owned`, the array is handed
   * over (no one else holds it), so a big run becomes a run of the queue as it is. Another big run
   * is copied into an array of its own (`slice`: a native copy, with no slots to prefill); small
   * ones into the newest run while it has room.
   */
  pushRun(edge: EdgeRuntime, values: readonly unknown[], k: number, owned: boolean): void {
    const tail = this.tail
    if (owned && k >= SMALL_RUN && k === values.length) {
      this.append({ edge, values: values as unknown[], start: 0, end: k })
    } else if (k >= SMALL_RUN) {
      this.append({ edge, values: values.slice(0, k), start: 0, end: k })
    } else if (tail !== undefined && tail.edge === edge && tail.end + k <= tail.values.length) {
      copy(values, k, tail.values, tail.end)
      tail.end += k
    } else {
      const into = new Array(this.nextSize(edge, k))
      copy(values, k, into, 0)
      this.append({ edge, values: into, start: 0, end: k })
    }
    this.count += k
  }

  /** Slots for a new run of `edge` that starts with `k` messages. */
  private nextSize(edge: EdgeRuntime, k: number): number {
    const tail = this.tail
    // A run of this edge filled up before it was taken: the next one gets more room.
    const chunk =
      tail !== undefined && tail.edge === edge ? Math.min(MOST_CHUNK, tail.values.length * 4) : FIRST_CHUNK
    return Math.max(k, chunk)
  }

  /**
   * Takes the oldest messages while they arrived on one port (`port`), at most `max`, and returns
   * their values in an array that is the caller's own. A run taken whole is handed over as is.
   * For each run taken from, records its edge and how many in `taken` (the caller settles the
   * edges after, when the inbox is consistent again).
   */
  takeRun(port: string, max: number, taken: Taken): unknown[] {
    const runs = this.runs
    let out: unknown[] | undefined
    let count = 0
    while (count < max && runs.length > 0) {
      const run = runs.peek()!
      if (run.edge.toPort !== port) break
      // A big batch goes alone: merging the runs after it would copy them one by one, for nothing.
      if (count >= SMALL_RUN) break
      const values = run.values
      const available = run.end - run.start
      const k = Math.min(available, max - count)
      if (out === undefined) {
        if (k === available && run.start === 0) {
          if (values.length > k) values.length = k
          out = values
        } else out = values.slice(run.start, run.start + k)
      } else for (let j = run.start, end = run.start + k; j < end; j++) out.push(values[j])
      taken.edges[taken.n] = run.edge
      taken.counts[taken.n++] = k
      count += k
      if (k === available) this.removeHead()
      // The values taken stay referenced until the rest of the run is taken too: a run is at most
      // a queue's capacity, and clearing them would cost a write per message.
      else run.start += k
    }
    this.count -= count
    return out ?? []
  }

  /** The edge of the oldest message (call only when `length > 0`). */
  headEdge(): EdgeRuntime {
    return this.runs.peek()!.edge
  }

  /** Takes the oldest message and returns its value (call only when `length > 0`). */
  shift(): unknown {
    const run = this.runs.peek()!
    const value = run.values[run.start]
    run.values[run.start++] = undefined
    if (run.start === run.end) this.removeHead()
    this.count--
    return value
  }

  /** The edges of the queued messages, oldest first (an edge once per run). */
  queuedEdges(): EdgeRuntime[] {
    return [...this.runs].map((run) => run.edge)
  }

  clear(): void {
    this.runs.clear()
    this.tail = undefined
    this.count = 0
  }

  private append(run: Run): void {
    this.runs.push(run)
    this.tail = run
  }

  private removeHead(): void {
    const run = this.runs.shift()!
    if (run === this.tail) this.tail = undefined
  }
}

function copy(from: readonly unknown[], k: number, into: unknown[], at: number): void {
  for (let j = 0; j < k; j++) into[at + j] = from[j]
}
