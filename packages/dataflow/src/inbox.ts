import type { EdgeRuntime } from './execution-node.js'
import { Ring } from './ring.js'

/**
 * Runs at least this long are queued and handed on as they are; shorter ones are merged (copied
 * one by one), so that messages emitted one at a time still reach a `processBatch` in batches.
 */
const SMALL_RUN = 64

/**
 * Consecutive messages of one edge in an inbox: a plain array of their values, the first `start`
 * of which are taken. The array is the inbox's own (never a component's), so a whole run can be
 * handed to a `processBatch` call without a copy.
 */
interface Run {
  edge: EdgeRuntime
  values: unknown[]
  start: number
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
    if (tail !== undefined && tail.edge === edge) tail.values.push(value)
    else this.append({ edge, values: [value], start: 0 })
    this.count++
  }

  /**
   * Appends the first `k` of `values`, all arrived on `edge`. With `owned`, the array is handed
   * over: no one else holds it, so when it is taken whole it becomes the run itself.
   */
  pushRun(edge: EdgeRuntime, values: readonly unknown[], k: number, owned: boolean): void {
    const tail = this.tail
    if (k < SMALL_RUN && tail !== undefined && tail.edge === edge) {
      const into = tail.values
      for (let j = 0; j < k; j++) into.push(values[j])
    } else if (owned && k === values.length) {
      this.append({ edge, values: values as unknown[], start: 0 })
    } else {
      this.append({ edge, values: values.slice(0, k), start: 0 })
    }
    this.count += k
  }

  /**
   * Takes the oldest messages while they arrived on one port (`port`), at most `max`, and returns
   * their values in an array that is the caller's own. A run taken whole is handed over as is.
   * For each run taken from, appends its edge to `runEdges` and how many to `runCounts` (the
   * caller settles the edges after, when the inbox is consistent again).
   */
  takeRun(port: string, max: number, runEdges: EdgeRuntime[], runCounts: number[]): unknown[] {
    const runs = this.runs
    let out: unknown[] | undefined
    let taken = 0
    while (taken < max && runs.length > 0) {
      const run = runs.peek()!
      if (run.edge.toPort !== port) break
      // A big batch goes alone: merging the runs after it would copy them one by one, for nothing.
      if (taken >= SMALL_RUN) break
      const values = run.values
      const available = values.length - run.start
      const k = Math.min(available, max - taken)
      if (out === undefined) out = k === available && run.start === 0 ? values : values.slice(run.start, run.start + k)
      else for (let j = run.start, end = run.start + k; j < end; j++) out.push(values[j])
      runEdges.push(run.edge)
      runCounts.push(k)
      taken += k
      if (k === available) this.removeHead()
      // The values taken stay referenced until the rest of the run is taken too: a run is at most
      // a queue's capacity, and clearing them would cost a write per message.
      else run.start += k
    }
    this.count -= taken
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
    if (run.start === run.values.length) this.removeHead()
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
