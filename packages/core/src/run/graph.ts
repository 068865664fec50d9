/**
 * The task graph of one run as the scheduler walks it: a topological order, who needs whom, the
 * approval gates, the pending tasks to look at again, and the ready queue. Each of these costs
 * what changed, never a scan of every task, so a run of 100,000 tasks costs per task what a run
 * of 1,000 does.
 */
import { isTerminalTaskStatus, type TaskState } from '@weft/spec'
import { KeyHeap } from './heap.js'

export class TaskGraph {
  /** Tasks in an order where every task comes after the tasks it needs. */
  private topo: string[] = []
  private topoIndex = new Map<string, number>()
  private dependents = new Map<string, string[]>()
  /** Approval gates in `topo` order: the only tasks that open without a slot. */
  approvalGates: string[] = []
  /**
   * Pending tasks whose needs changed since they were last looked at, taken in `topo` order: a
   * task settled in a pass (skipped, failed) adds its dependents, which come later in that order,
   * so they are looked at in the same pass.
   */
  private pendingChecks = new KeyHeap<number>((a, b) => a < b)
  /**
   * Candidates for dispatch by priority, then declaration order. An entry may be stale (the task
   * started or finished since): it is checked with `isReady` and dropped when it is taken. An
   * entry is the task's order (a small integer); ordering the queue reads priorities from an array
   * by order instead of looking up two tasks per comparison, and `byOrder` gives the task back.
   */
  private readonly byOrder: string[] = []
  private readonly priorityByOrder: number[] = []
  private readonly ready = new KeyHeap<number>((a, b) => {
    const pa = this.priorityByOrder[a]!
    const pb = this.priorityByOrder[b]!
    return pa !== pb ? pa < pb : a < b
  })

  constructor(
    private readonly tasks: ReadonlyMap<string, TaskState>,
    private readonly isApprovalGate: (taskId: string) => boolean,
    private readonly isReady: (t: TaskState) => boolean,
  ) {}

  /**
   * A task's state changed: it is looked at again, and so are the pending tasks that need it once
   * it has ended (before that, nothing about them can change).
   */
  touched(taskId: string): void {
    const t = this.tasks.get(taskId)
    if (t?.status === 'pending') this.checkPending(taskId)
    else this.offer(taskId)
    if (!t || !isTerminalTaskStatus(t.status)) return
    const deps = this.dependents.get(taskId)
    if (deps) for (const d of deps) if (this.tasks.get(d)?.status === 'pending') this.checkPending(d)
  }

  /** Whether another task needs this one. */
  isNeeded(taskId: string): boolean {
    return this.dependents.has(taskId)
  }

  /** The next pending task to look at, in topological order. */
  nextPending(): string | undefined {
    const at = this.pendingChecks.pop()
    return at === undefined ? undefined : this.topo[at]
  }

  /** Offers a task to the ready queue; it is taken only while it is ready. */
  offer(taskId: string): void {
    const t = this.tasks.get(taskId)
    if (t && this.isReady(t)) this.push(t)
  }

  private push(t: TaskState): void {
    this.byOrder[t.order] = t.taskId
    this.priorityByOrder[t.order] = t.priority
    this.ready.push(t.order)
  }

  /** The first ready task by priority, then declaration order, dropping stale entries. */
  nextReady(): TaskState | undefined {
    for (let order = this.ready.peek(); order !== undefined; order = this.ready.peek()) {
      const t = this.tasks.get(this.byOrder[order]!)!
      if (this.isReady(t)) return t
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

  private checkPending(taskId: string): void {
    const at = this.topoIndex.get(taskId)
    if (at !== undefined) this.pendingChecks.push(at)
  }

  /**
   * Orders the tasks so that each comes after its needs (depth first, in declaration order, with
   * an explicit stack so that a chain of 100,000 tasks cannot overflow the call stack), and
   * indexes what the scheduler looks up. Every pending task is looked at again, in the new order.
   */
  rebuild(): void {
    const declared = this.declarationOrder()
    const order = declared?.order ?? this.depthFirstOrder()
    this.topo = order
    if (declared) this.topoIndex = declared.index
    else {
      const topoIndex = new Map<string, number>()
      for (let at = 0; at < order.length; at++) topoIndex.set(order[at]!, at)
      this.topoIndex = topoIndex
    }
    this.dependents = new Map()
    for (const t of this.tasks.values()) {
      // Filled in order (the map's), so the arrays stay dense instead of turning into hash tables.
      this.byOrder[t.order] = t.taskId
      this.priorityByOrder[t.order] = t.priority
      for (const n of t.needs) {
        const list = this.dependents.get(n)
        if (list) list.push(t.taskId)
        else this.dependents.set(n, [t.taskId])
      }
    }
    this.approvalGates = order.filter(this.isApprovalGate)
    this.pendingChecks = new KeyHeap<number>((a, b) => a < b)
    for (let at = 0; at < order.length; at++) {
      const t = this.tasks.get(order[at]!)!
      if (t.status !== 'pending') this.offer(t.taskId)
      else if (this.mayMove(t)) this.pendingChecks.push(at)
    }
  }

  /**
   * When every task needs only tasks declared before it (most workflows, written or generated),
   * the depth-first order is the declaration order itself: it and its index, without the search.
   */
  private declarationOrder(): { order: string[]; index: Map<string, number> } | undefined {
    const order: string[] = []
    const index = new Map<string, number>()
    for (const t of this.tasks.values()) {
      for (const n of t.needs) if (!index.has(n)) return undefined
      index.set(t.taskId, order.length)
      order.push(t.taskId)
    }
    return { order, index }
  }

  private depthFirstOrder(): string[] {
    const order: string[] = []
    const seen = new Set<string>()
    const frames: { id: string; needs: readonly string[]; next: number }[] = []
    const enter = (id: string) => {
      seen.add(id)
      frames.push({ id, needs: this.tasks.get(id)?.needs ?? [], next: 0 })
    }
    // The map is in declaration order (the reducer appends added tasks).
    for (const id of this.tasks.keys()) {
      if (seen.has(id)) continue
      enter(id)
      while (frames.length) {
        const frame = frames[frames.length - 1]!
        if (frame.next === frame.needs.length) {
          frames.pop()
          order.push(frame.id)
          continue
        }
        const need = frame.needs[frame.next++]!
        if (!seen.has(need)) enter(need)
      }
    }
    return order
  }

  /**
   * Whether looking at a pending task could move it on: all its needs have ended, or one of them
   * ended without succeeding. Otherwise a look changes nothing, and `touched` asks for one when a
   * need ends; so a new run of 100,000 tasks looks at its first layer, not at every task.
   */
  private mayMove(t: TaskState): boolean {
    let open = false
    for (const n of t.needs) {
      const status = this.tasks.get(n)?.status
      if (status === 'failed' || status === 'canceled' || status === 'skipped') return true
      if (status === undefined) return true
      if (!isTerminalTaskStatus(status)) open = true
    }
    return !open
  }
}
