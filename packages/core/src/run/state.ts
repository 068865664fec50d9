/**
 * The state of one run: its summary and its tasks' states, as the store keeps them. Only the
 * reducer (reducer.ts) changes it. It replaces the summary with a new object, so a reader may
 * keep one. A task's state it changes in place, until a commit hands that object to the store
 * (`handOver`); the next change then starts from a copy (`own`). So a task costs a copy per commit
 * that is followed by another change, not one per event, and its last state is shared with the
 * store instead of kept twice.
 *
 * Most events change only the summary's task counts, `updatedAt` and `lastSeq`. Copying the whole
 * summary for each of them was the largest single cost of a run, so those three are kept aside
 * (`tick`) and folded into a new summary object only when someone reads `summary` (a commit, a
 * control, a caller): one copy per commit instead of one per event. Usage and estimates add up
 * the same way (`addUsage`, `addEstimate`; see usage-sums.ts).
 */
import type { Initiator, RunStatus, RunSummary, TaskCounts, TaskState, TaskStatus } from '@weft/spec'
import { emptyUsage, TASK_STATUSES, type Usage } from '@weft/spec'
import { withRoom } from './typed-room.js'
import { UsageSums } from './usage-sums.js'

export class RunState {
  /** By id, in declaration order (tasks added later come after). */
  readonly tasks = new TaskTable()
  /** The same states by their `order` (0, 1, 2, …): the scheduler's graph reads them by index. */
  readonly byOrder: TaskState[] = this.tasks.byOrder
  private folded: RunSummary
  /** The counts since the last fold: this state's own copy, changed in place; undefined when clean. */
  private counts?: TaskCounts
  private pendingAt?: string
  private pendingSeq?: number
  /** Usage totals added to since the last fold; undefined when clean. */
  private sums?: UsageSums

  constructor(summary: RunSummary) {
    this.folded = summary
  }

  /** Orders whose current state object a commit handed to the store (1), by order. */
  private handed = new Uint8Array(64)

  /** Adds a task's state (or replaces it, for a state built elsewhere): the reducer's only way in. */
  setTask(t: TaskState): void {
    this.tasks.set(t)
  }

  /** The state at `order`, handed to a commit: it is not changed again (see `own`). */
  handOver(order: number): TaskState | undefined {
    this.handed = withRoom(this.handed, order)
    this.handed[order] = 1
    return this.byOrder[order]
  }

  /**
   * The task's state as an object the reducer may change: `t` itself, or a copy in its place
   * when `t` was handed to a commit. Fields that hold objects are replaced, never changed inside,
   * so a shallow copy does.
   */
  own(t: TaskState): TaskState {
    if (this.handed[t.order] !== 1 || this.byOrder[t.order] !== t) return t
    this.handed[t.order] = 0
    const copy = { ...t }
    this.tasks.set(copy)
    return copy
  }

  /** The summary with every change applied (a new object after changes, the same one otherwise). */
  get summary(): RunSummary {
    if (this.pendingSeq !== undefined) {
      const s = this.folded
      this.folded = {
        ...s,
        ...(this.counts ? { taskCounts: this.counts } : {}),
        updatedAt: this.pendingAt!,
        lastSeq: this.pendingSeq,
      }
      this.sums?.foldInto(this.folded)
      this.sums = undefined
      this.counts = undefined
      this.pendingAt = undefined
      this.pendingSeq = undefined
    }
    return this.folded
  }

  set summary(next: RunSummary) {
    // A replacement is built from `summary` (the getter folded everything pending into it).
    this.folded = next
    this.sums = undefined
    this.counts = undefined
    this.pendingAt = undefined
    this.pendingSeq = undefined
  }

  get id(): string {
    return this.folded.id
  }

  /** The run's status (never changed by `tick`): read without folding. */
  get status(): RunStatus {
    return this.folded.status
  }

  /** A task moved from `was` (undefined: it is new) to `now`, at `ts`, by the event `seq`. */
  tick(was: TaskStatus | undefined, now: TaskStatus | undefined, ts: string, seq: number): void {
    if (was !== now) {
      // The folded summary's counts are shared with whoever read it: change a copy of our own.
      this.counts ??= { ...this.folded.taskCounts }
      const counts = this.counts
      if (was === undefined) counts.total++
      else counts[was]--
      if (now !== undefined) counts[now]++
    }
    this.pendingAt = ts
    this.pendingSeq = seq
  }

  /** Usage recorded by the event `seq`: added to the run's totals and its splits by model and backend. */
  addUsage(usage: Partial<Usage>, model: string, backend: string | undefined, ts: string, seq: number): void {
    this.sums ??= new UsageSums(this.folded)
    this.sums.add(usage, model, backend)
    this.pendingAt = ts
    this.pendingSeq = seq
  }

  /** An attempt started with this estimate (tokens, and cost when known). */
  addEstimate(tokens: number, costUsd: number | undefined): void {
    this.sums ??= new UsageSums(this.folded)
    this.sums.addEstimate(tokens, costUsd)
    // A task event recorded it: its `tick` has set the seq the fold waits for.
  }

  /** An event that changed nothing else: the summary's `updatedAt` and `lastSeq` move on. */
  touch(ts: string, seq: number): void {
    if (seq !== this.lastSeq || ts > this.updatedAt) {
      this.pendingAt = ts
      this.pendingSeq = seq
    }
  }

  /** The store numbered what was committed up to `lastSeq`. */
  committed(lastSeq: number): void {
    this.pendingAt = this.updatedAt
    this.pendingSeq = lastSeq
  }

  get lastSeq(): number {
    return this.pendingSeq ?? this.folded.lastSeq
  }

  get updatedAt(): string {
    return this.pendingAt ?? this.folded.updatedAt
  }
}

/**
 * A run's task states, held in an array by their `order` and found by id through an index that is
 * written once per task, when it is added. A state replaced by an event (four or more per task)
 * is then an array store instead of a store into a map of every task id: those map writes were a
 * visible share of a run of 100,000 tasks. Reads by id cost what they did (one map lookup).
 * Iteration follows the orders, which is the order the tasks were added in.
 */
export class TaskTable implements ReadonlyMap<string, TaskState> {
  readonly byOrder: TaskState[] = []
  private readonly index = new Map<string, number>()
  /** Every order below `byOrder.length` holds a task (the usual case): iteration is the array's own. */
  private dense = true

  get size(): number {
    return this.index.size
  }

  get(taskId: string): TaskState | undefined {
    const order = this.index.get(taskId)
    return order === undefined ? undefined : this.byOrder[order]
  }

  has(taskId: string): boolean {
    return this.index.has(taskId)
  }

  /** A new task, or a new state of one (same id, same order). */
  set(t: TaskState): void {
    const was = this.byOrder[t.order]
    if (was === undefined || was.taskId !== t.taskId) {
      // A task new to the table, or (never from the reducer) one that moved to another order.
      const before = this.index.get(t.taskId)
      if (before !== undefined && before !== t.order) {
        delete this.byOrder[before]
        this.dense = false
      }
      this.index.set(t.taskId, t.order)
      if (t.order > this.byOrder.length) this.dense = false
    }
    this.byOrder[t.order] = t
  }

  values(): MapIterator<TaskState> {
    // An array's own iterator makes no result object per step (a generator does: a run's end
    // walks every task a few times).
    return this.dense ? this.byOrder.values() : this.sparseValues()
  }

  private *sparseValues(): MapIterator<TaskState> {
    for (const t of this.byOrder) if (t !== undefined) yield t
  }

  *keys(): MapIterator<string> {
    for (const t of this.values()) yield t.taskId
  }

  *entries(): MapIterator<[string, TaskState]> {
    for (const t of this.values()) yield [t.taskId, t]
  }

  [Symbol.iterator](): MapIterator<[string, TaskState]> {
    return this.entries()
  }

  forEach(
    fn: (value: TaskState, key: string, map: ReadonlyMap<string, TaskState>) => void,
    self?: unknown,
  ): void {
    for (const t of this.values()) fn.call(self, t, t.taskId, this)
  }
}

/** The state before `run.created`: what the events do not carry comes from here. */
export function emptyRunState(
  runId: string,
  init: { initiator?: Initiator; tags?: string[]; createdAt?: string; parent?: RunSummary['parent'] } = {},
): RunState {
  const at = init.createdAt ?? new Date(0).toISOString()
  return new RunState({
    id: runId,
    name: '',
    status: 'pending',
    health: 'ok',
    initiator: init.initiator ?? 'code',
    tags: init.tags ?? [],
    ...(init.parent ? { parent: init.parent } : {}),
    createdAt: at,
    updatedAt: at,
    usage: emptyUsage(),
    taskCounts: countTasks([]),
    diagnostics: [],
    lastSeq: 0,
  })
}

export function countTasks(tasks: Iterable<TaskState>): TaskCounts {
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as TaskCounts
  counts.total = 0
  for (const t of tasks) {
    counts[t.status]++
    counts.total++
  }
  return counts
}

/** The run's approval gates that wait for a person, as `pause.waiting` lists them. */
export function waitingApprovals(tasks: Iterable<TaskState>) {
  const out: { taskId: string; token: string; message: string }[] = []
  for (const t of tasks) {
    if (t.status === 'waiting' && t.approval?.status === 'waiting')
      out.push({ taskId: t.taskId, token: t.approval.token, message: t.approval.message })
  }
  return out
}
