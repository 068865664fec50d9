/**
 * The task graph of one run as the scheduler walks it: a topological order, who needs whom, the
 * approval gates, the pending tasks to look at again, and the ready queue. Each of these costs
 * what changed, never a scan of every task, so a run of 100,000 tasks costs per task what a run
 * of 1,000 does.
 *
 * Tasks are known here by their order (their place in the run, 0, 1, 2, …: the reducer numbers
 * them as they are added), and the edges are orders: a task id is looked up once per edge when
 * the graph is built, not on every step. Lookups by id in maps of 100,000 tasks were most of the
 * time this graph took. The edges of all tasks sit in two flat typed arrays each (compressed rows:
 * the needs of task `o` are `needList[needStart[o]]` up to `needList[needStart[o + 1]]`), not in two
 * arrays per task: the graph lives as long as the run, and those arrays were a tenth of its memory.
 */
import { isTerminalTaskStatus, type TaskState } from '@weft/spec'
import { KeyHeap } from './heap.js'

export class TaskGraph {
  /** Orders in an order where every task comes after the tasks it needs; undefined: the orders themselves. */
  private topo: number[] | undefined
  /** A task's place in `topo`, by order (only when `topo` is not the declaration order). */
  private topoAt: Int32Array | undefined
  /** How many tasks the graph was built with: tasks added since wait for the next `rebuild`. */
  private size = 0
  /** The orders of the tasks each task needs (compressed rows, see above); -1 for a need that is no task. */
  private needStart = new Int32Array(1)
  private needList = new Int32Array(0)
  /** 1 when every need of the task is a task of the run. */
  private needsKnown = new Uint8Array(0)
  /** The orders of the tasks that need each task, in order (compressed rows). */
  private depStart = new Int32Array(1)
  private depList = new Int32Array(0)
  /** Approval gates in topological order: the only tasks that open without a slot. */
  approvalGates: string[] = []
  /**
   * Pending tasks whose needs changed since they were last looked at, taken in topological order
   * (entries are places in it): a task settled in a pass (skipped, failed) adds its dependents,
   * which come later in that order, so they are looked at in the same pass.
   */
  private pendingChecks = new KeyHeap((a, b) => a < b)
  /**
   * Candidates for dispatch by priority, then declaration order. An entry may be stale (the task
   * started or finished since): it is checked with `isReady` and dropped when it is taken. An
   * entry is the task's order; ordering the queue reads priorities from an array by order.
   */
  private readonly priorityByOrder: number[] = []
  private readonly ready = new KeyHeap((a, b) => {
    const pa = this.priorityByOrder[a]!
    const pb = this.priorityByOrder[b]!
    return pa !== pb ? pa < pb : a < b
  })

  /**
   * `states` holds the live task states by order (the reducer keeps it, see `RunState.byOrder`);
   * `tasks` the same by id.
   */
  constructor(
    private readonly tasks: ReadonlyMap<string, TaskState>,
    private readonly states: readonly (TaskState | undefined)[],
    private readonly isApprovalGate: (t: TaskState) => boolean,
    private readonly isReady: (t: TaskState) => boolean,
  ) {}

  /**
   * A task's state changed (`t` is its new state): it is looked at again, and so are the pending
   * tasks that need it once it has ended (before that, nothing about them can change).
   */
  touched(t: TaskState): void {
    if (t.status === 'pending') this.checkPending(t.order)
    else if (this.isReady(t)) this.push(t)
    if (!isTerminalTaskStatus(t.status) || t.order >= this.size) return
    const list = this.depList
    const end = this.depStart[t.order + 1]!
    for (let j = this.depStart[t.order]!; j < end; j++) {
      const d = list[j]!
      if (this.states[d]?.status === 'pending') this.checkPending(d)
    }
  }

  /** Whether another task needs this one. */
  isNeeded(t: TaskState): boolean {
    return t.order < this.size && this.depStart[t.order + 1]! > this.depStart[t.order]!
  }

  /**
   * Whether the graph knows every need of `t` as a task (then the scheduler's hot path reads them
   * with `needAt` instead of looking them up by id).
   */
  needsIndexed(t: TaskState): boolean {
    return t.order < this.size && this.needsKnown[t.order] === 1
  }

  /** The state of the `i`th need of `t` (only when `needsIndexed(t)`). */
  needAt(t: TaskState, i: number): TaskState | undefined {
    return this.states[this.needList[this.needStart[t.order]! + i]!]
  }

  /** The next pending task to look at, in topological order. */
  nextPending(): TaskState | undefined {
    for (let at = this.pendingChecks.pop(); at !== undefined; at = this.pendingChecks.pop()) {
      const t = this.states[this.topo ? this.topo[at]! : at]
      if (t) return t
    }
    return undefined
  }

  /** Offers a task to the ready queue; it is taken only while it is ready. */
  offer(taskId: string): void {
    const t = this.tasks.get(taskId)
    if (t && this.isReady(t)) this.push(t)
  }

  private push(t: TaskState): void {
    this.priorityByOrder[t.order] = t.priority
    this.ready.push(t.order)
  }

  /** The first ready task by priority, then declaration order, dropping stale entries. */
  nextReady(): TaskState | undefined {
    for (let order = this.ready.peek(); order !== undefined; order = this.ready.peek()) {
      const t = this.states[order]
      if (t && this.isReady(t)) return t
      this.ready.pop()
    }
    return undefined
  }

  /** Takes the next ready task off the queue (it is offered again if it stays ready). */
  takeReady(): TaskState | undefined {
    const t = this.nextReady()
    if (t) this.ready.pop()
    return t
  }

  /** Every ready task in dispatch order; the queue keeps them. */
  allReady(): TaskState[] {
    const out: TaskState[] = []
    for (let t = this.takeReady(); t; t = this.takeReady()) out.push(t)
    for (const t of out) this.push(t)
    return out
  }

  private checkPending(order: number): void {
    if (order >= this.size) return
    const at = this.topoAt ? this.topoAt[order]! : order
    if (at >= 0) this.pendingChecks.push(at)
  }

  /**
   * Indexes the graph (each need looked up by id once), orders the tasks so that each comes after
   * its needs, and looks at every pending task again, in that order.
   */
  rebuild(): void {
    const states = this.states
    const n = states.length
    const needStart = new Int32Array(n + 1)
    let edges = 0
    for (let o = 0; o < n; o++) {
      needStart[o] = edges
      edges += states[o]?.needs.length ?? 0
    }
    needStart[n] = edges
    const needList = new Int32Array(edges)
    const needsKnown = new Uint8Array(n)
    const depStart = new Int32Array(n + 1)
    // Most workflows, written or generated, need only tasks declared before: then the declaration
    // order is a topological order, and no search is needed.
    let declared = true
    for (let o = 0; o < n; o++) {
      const t = states[o]
      if (t === undefined) continue
      this.priorityByOrder[o] = t.priority
      const needs = t.needs
      const base = needStart[o]!
      let known = 1
      for (let i = 0; i < needs.length; i++) {
        const need = this.tasks.get(needs[i]!)
        if (need === undefined) {
          needList[base + i] = -1
          known = 0
          continue
        }
        const at = need.order
        needList[base + i] = at
        if (at >= o) declared = false
        depStart[at + 1]!++
      }
      needsKnown[o] = known
    }
    // Counts to starts, then each task listed under its needs, in order.
    for (let o = 0; o < n; o++) depStart[o + 1]! += depStart[o]!
    const depList = new Int32Array(depStart[n]!)
    const fill = depStart.slice(0, n)
    for (let o = 0; o < n; o++) {
      for (let j = needStart[o]!; j < needStart[o + 1]!; j++) {
        const at = needList[j]!
        if (at >= 0) depList[fill[at]!++] = o
      }
    }
    this.needStart = needStart
    this.needList = needList
    this.needsKnown = needsKnown
    this.depStart = depStart
    this.depList = depList
    this.size = n
    if (declared) {
      this.topo = undefined
      this.topoAt = undefined
    } else {
      const topo = this.depthFirstOrder()
      const topoAt = new Int32Array(n).fill(-1)
      for (let at = 0; at < topo.length; at++) topoAt[topo[at]!] = at
      this.topo = topo
      this.topoAt = topoAt
    }
    const gates: string[] = []
    this.pendingChecks = new KeyHeap((a, b) => a < b)
    const count = this.topo ? this.topo.length : n
    for (let at = 0; at < count; at++) {
      const t = states[this.topo ? this.topo[at]! : at]
      if (t === undefined) continue
      if (this.isApprovalGate(t)) gates.push(t.taskId)
      if (t.status !== 'pending') {
        if (this.isReady(t)) this.push(t)
      } else if (this.mayMove(t)) this.pendingChecks.push(at)
    }
    this.approvalGates = gates
  }

  /** Depth first, in declaration order, with an explicit stack (a chain of 100,000 tasks cannot overflow it). */
  private depthFirstOrder(): number[] {
    const states = this.states
    const { needStart, needList } = this
    const order: number[] = []
    const seen = new Uint8Array(states.length)
    // A frame is a task and the place in `needList` of its next need to visit.
    const frameTask: number[] = []
    const frameNext: number[] = []
    const enter = (o: number) => {
      seen[o] = 1
      frameTask.push(o)
      frameNext.push(needStart[o]!)
    }
    for (let o = 0; o < states.length; o++) {
      if (seen[o] || states[o] === undefined) continue
      enter(o)
      while (frameTask.length) {
        const top = frameTask.length - 1
        const at = frameTask[top]!
        const next = frameNext[top]!
        if (next === needStart[at + 1]!) {
          frameTask.pop()
          frameNext.pop()
          order.push(at)
          continue
        }
        frameNext[top] = next + 1
        const need = needList[next]!
        // A need that is no task (-1) is left out.
        if (need >= 0 && !seen[need]) enter(need)
      }
    }
    return order
  }

  /**
   * Whether looking at a pending task could move it on: all its needs have ended, or one of them
   * ended without succeeding (or is not a task). Otherwise a look changes nothing, and `touched`
   * asks for one when a need ends; so a new run of 100,000 tasks looks at its first layer, not at
   * every task.
   */
  private mayMove(t: TaskState): boolean {
    let open = false
    const end = this.needStart[t.order + 1]!
    for (let j = this.needStart[t.order]!; j < end; j++) {
      const at = this.needList[j]!
      // A need that is no task: the look skips the task.
      if (at < 0) return true
      const status = this.states[at]?.status
      if (status === 'failed' || status === 'canceled' || status === 'skipped') return true
      if (status === undefined) return true
      if (!isTerminalTaskStatus(status)) open = true
    }
    return !open
  }
}
