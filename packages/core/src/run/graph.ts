/**
 * The task graph of one run as the scheduler walks it: a topological order, who needs whom, the
 * approval gates, the pending tasks to look at again, and the ready queue. Each of these costs
 * what changed, never a scan of every task, so a run of 100,000 tasks costs per task what a run
 * of 1,000 does.
 *
 * Tasks are known here by their order (their place in the run, 0, 1, 2, …: the reducer numbers
 * them as they are added), and the edges are arrays of orders: a task id is looked up once per
 * edge when the graph is built, not on every step. Lookups by id in maps of 100,000 tasks were
 * most of the time this graph took.
 */
import { isTerminalTaskStatus, type TaskState } from '@weft/spec'
import { KeyHeap } from './heap.js'

const NONE: readonly number[] = []

export class TaskGraph {
  /** Orders in an order where every task comes after the tasks it needs; undefined: the orders themselves. */
  private topo: number[] | undefined
  /** A task's place in `topo`, by order (only when `topo` is not the declaration order). */
  private topoAt: Int32Array | undefined
  /** How many tasks the graph was built with: tasks added since wait for the next `rebuild`. */
  private size = 0
  /** The tasks that need a task, by order. */
  private dependents: (number[] | undefined)[] = []
  /** The tasks a task needs, by order; undefined when one of its needs is not a task of the run. */
  private needOrders: (readonly number[] | undefined)[] = []
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
    private readonly isApprovalGate: (taskId: string) => boolean,
    private readonly isReady: (t: TaskState) => boolean,
  ) {}

  /**
   * A task's state changed (`t` is its new state): it is looked at again, and so are the pending
   * tasks that need it once it has ended (before that, nothing about them can change).
   */
  touched(t: TaskState): void {
    if (t.status === 'pending') this.checkPending(t.order)
    else if (this.isReady(t)) this.push(t)
    if (!isTerminalTaskStatus(t.status)) return
    const deps = this.dependents[t.order]
    if (deps) for (const d of deps) if (this.states[d]?.status === 'pending') this.checkPending(d)
  }

  /** Whether another task needs this one. */
  isNeeded(t: TaskState): boolean {
    return this.dependents[t.order] !== undefined
  }

  /**
   * The orders of the tasks `t` needs, when all are tasks of the graph (the scheduler's hot path
   * reads `stateAt` with them instead of looking needs up by id); else undefined.
   */
  needOrdersOf(t: TaskState): readonly number[] | undefined {
    const orders = this.needOrders[t.order]
    return orders && orders.length === t.needs.length ? orders : undefined
  }

  stateAt(order: number): TaskState | undefined {
    return this.states[order]
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
    const dependents: (number[] | undefined)[] = new Array(n)
    const needOrders: (readonly number[] | undefined)[] = new Array(n)
    // Most workflows, written or generated, need only tasks declared before: then the declaration
    // order is a topological order, and no search is needed.
    let declared = true
    for (let o = 0; o < n; o++) {
      const t = states[o]
      if (t === undefined) continue
      this.priorityByOrder[o] = t.priority
      const needs = t.needs
      if (needs.length === 0) {
        needOrders[o] = NONE
        continue
      }
      const orders = new Array<number>(needs.length)
      let known = true
      for (let i = 0; i < needs.length; i++) {
        const need = this.tasks.get(needs[i]!)
        if (need === undefined) {
          known = false
          continue
        }
        const at = need.order
        orders[i] = at
        if (at >= o) declared = false
        const list = dependents[at]
        if (list) list.push(o)
        else dependents[at] = [o]
      }
      needOrders[o] = known ? orders : undefined
    }
    this.dependents = dependents
    this.needOrders = needOrders
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
      if (this.isApprovalGate(t.taskId)) gates.push(t.taskId)
      if (t.status !== 'pending') {
        if (this.isReady(t)) this.push(t)
      } else if (this.mayMove(t)) this.pendingChecks.push(at)
    }
    this.approvalGates = gates
  }

  /** Depth first, in declaration order, with an explicit stack (a chain of 100,000 tasks cannot overflow it). */
  private depthFirstOrder(): number[] {
    const states = this.states
    const order: number[] = []
    const seen = new Uint8Array(states.length)
    const frames: { at: number; needs: readonly number[]; next: number }[] = []
    const enter = (o: number) => {
      seen[o] = 1
      frames.push({ at: o, needs: this.needOrders[o] ?? this.knownNeeds(o), next: 0 })
    }
    for (let o = 0; o < states.length; o++) {
      if (seen[o] || states[o] === undefined) continue
      enter(o)
      while (frames.length) {
        const frame = frames[frames.length - 1]!
        if (frame.next === frame.needs.length) {
          frames.pop()
          order.push(frame.at)
          continue
        }
        const need = frame.needs[frame.next++]!
        if (!seen[need]) enter(need)
      }
    }
    return order
  }

  /** The orders of the needs of a task that names something that is not a task (those are left out). */
  private knownNeeds(o: number): number[] {
    const out: number[] = []
    for (const id of this.states[o]?.needs ?? []) {
      const need = this.tasks.get(id)
      if (need) out.push(need.order)
    }
    return out
  }

  /**
   * Whether looking at a pending task could move it on: all its needs have ended, or one of them
   * ended without succeeding (or is not a task). Otherwise a look changes nothing, and `touched`
   * asks for one when a need ends; so a new run of 100,000 tasks looks at its first layer, not at
   * every task.
   */
  private mayMove(t: TaskState): boolean {
    let open = false
    const orders = this.needOrdersOf(t)
    for (let i = 0; i < t.needs.length; i++) {
      const status = (orders ? this.states[orders[i]!] : this.tasks.get(t.needs[i]!))?.status
      if (status === 'failed' || status === 'canceled' || status === 'skipped') return true
      if (status === undefined) return true
      if (!isTerminalTaskStatus(status)) open = true
    }
    return !open
  }
}
