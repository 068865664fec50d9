/**
 * One run as this process executes it: its state (changed only through the reducer), its plan,
 * graph, ledger, memory, commit log, attempts and timers, and the lifecycle phase of its driver.
 * The decisions live in their own modules (scheduler.ts, transitions.ts, preparation.ts,
 * attempt.ts, controls.ts), which take this object.
 */
import { hostname } from 'node:os'
import type { EventDraft, JsonObject, RunSpec, RunSummary, TaskState, WeftEvent } from '@weft/spec'
import { type PlannedTask, planRun, type RunPlan } from '../runtime/plan.js'
import type { Scope } from '../template/expression.js'
import { AttemptTable } from './attempt-table.js'
import type { Batch } from './batches.js'
import { type Clock, systemClock } from './clock.js'
import { CommitLog, isConflict } from './commit-log.js'
import { abandonCompensation } from './compensation.js'
import type { TaskExecutor } from './dispatch.js'
import { creationEventOf, eventOf, SEVERITY } from './event-literals.js'
import type { ExecutionDeps } from './execution-deps.js'
import { TaskGraph } from './graph.js'
import { createInProcessExecutor } from './in-process-executor.js'
import { Ledger } from './ledger.js'
import { MapTracker, restoreMaps } from './map.js'
import { MemoryScopes } from './memory-scopes.js'
import type { RunPhase, Stopping } from './phase.js'
import { applyEvent } from './reducer.js'
import type { RunExecution } from './run-execution.js'
import { step } from './scheduler.js'
import type { RunState } from './state.js'
import { RunScopes, taskScopeView } from './task-scope.js'
import { RunTimers } from './timers.js'

const HOST = hostname()

/**
 * The most attempts one pump starts. A large ready set (thousands of tasks with as many slots, as
 * on a Postgres store with workers) is dispatched a chunk per commit: the first chunk's starts
 * are committed and handed to their executor while the next chunk is prepared, instead of every
 * attempt waiting until all of them are prepared and committed in one piece.
 */
export const DISPATCH_CHUNK = 256

export class LiveRun {
  readonly id: string
  spec: RunSpec
  plan: RunPlan
  readonly state: RunState
  readonly graph: TaskGraph
  readonly log: CommitLog
  readonly ledger: Ledger
  readonly memory: MemoryScopes
  readonly clock: Clock
  readonly executor: TaskExecutor
  readonly timers: RunTimers
  /** Where attempts run, for `task.process_started`. */
  readonly host = HOST
  /** Mapped tasks and their items (map.ts). */
  readonly maps = new MapTracker()
  /** Attempts of this run holding a slot: being prepared or running. */
  readonly attempts = new AttemptTable()
  phase: RunPhase = { name: 'active' }
  /** Batched mode: the batch in flight. */
  batch?: Batch
  /** The ready tasks of batched mode's current wave not yet in a batch, in dispatch order. */
  wave: string[] = []
  waveAt = 0
  /** The template scopes, with `tasks.<id>` a view of the live task states, built on access. */
  private readonly scopes: RunScopes
  /** The facade the host knows this run by (given to `onFinished`). */
  facade!: RunExecution
  private loop: 'idle' | 'stepping' | 'again' = 'idle'
  private waiters: { resolve(s: RunSummary): void; reject(e: Error): void }[] = []
  private idleWaiters: (() => void)[] = []
  /** Tasks changed since a stopping run's last cancel pass; undefined before its first pass. */
  private changedSinceStopPass: Set<string> | undefined

  constructor(
    readonly deps: ExecutionDeps,
    spec: RunSpec,
    state: RunState,
  ) {
    this.id = state.summary.id
    this.spec = spec
    this.state = state
    this.clock = deps.clock ?? systemClock
    this.plan = planRun(spec, deps.agents, deps.defaultParallelism)
    // The declared tasks by order, in one pass: a lookup by id for each (the graph asks for every
    // task when it is built) cost a tenth of a large run's start.
    for (const p of this.plan.tasks.values()) this.plannedByOrder[p.order] = p
    this.executor =
      deps.executor ??
      createInProcessExecutor({
        backends: deps.backends,
        store: deps.store,
        workDir: deps.workDir,
        warn: deps.warn,
      })
    this.timers = new RunTimers(this.clock)
    this.ledger = new Ledger(this)
    this.memory = new MemoryScopes(deps.store, this.id)
    this.scopes = new RunScopes(this, taskScopeView(state.tasks))
    this.graph = new TaskGraph(
      state.tasks,
      state.byOrder,
      (t) => this.planned(t)?.approval !== undefined,
      (t) => this.isReady(t),
    )
    this.log = new CommitLog({
      runId: this.id,
      store: deps.store,
      lastSeq: state.summary.lastSeq,
      summary: () => this.state.summary,
      spec: () => this.spec,
      handOver: (order) => this.state.handOver(order),
      committed: (lastSeq) => this.state.committed(lastSeq),
      published: (e) => this.publish(e),
      failed: (err) => this.halt(err),
    })
    restoreMaps(this)
    this.graph.rebuild()
  }

  get summary(): RunSummary {
    return this.state.summary
  }

  task(taskId: string): TaskState {
    return this.state.tasks.get(taskId)!
  }

  /**
   * A task's plan, found by its order: the scheduler asks several times per task, and a lookup by
   * id in a map of every task of a large run costs far more than an array read. A task's entry in
   * the plan is written once, when the task is added, and never replaced.
   */
  planned(t: TaskState): PlannedTask | undefined {
    const cached = this.plannedByOrder[t.order]
    if (cached !== undefined && cached.id === t.taskId) return cached
    const p = this.plan.tasks.get(t.taskId)
    if (p !== undefined) this.plannedByOrder[t.order] = p
    return p
  }

  private readonly plannedByOrder: PlannedTask[] = []

  /** The state of the task of order `order` (an attempt knows its task's order). */
  taskAt(order: number): TaskState {
    return this.state.byOrder[order]!
  }

  /**
   * Records an event: it is applied to the state through the reducer and buffered for the next
   * commit; a task it changed is committed with it and looked at again by the scheduler. `known`:
   * the event's task as the caller has it, if it does (the reducer checks it; see applyEvent).
   */
  record(draft: EventDraft, known?: TaskState): TaskState | undefined {
    return this.applied(eventOf(this.id, this.clock.iso(), draft), known)
  }

  /** `record` for the events a new run records in bulk before it starts (see event-literals.ts). */
  recordAtCreation(draft: EventDraft): TaskState | undefined {
    return this.applied(creationEventOf(this.id, this.clock.iso(), draft), undefined)
  }

  /** An event applied to the state through the reducer and buffered for the next commit. */
  private applied(event: WeftEvent, known: TaskState | undefined): TaskState | undefined {
    const changed = applyEvent(this.state, event, known)
    this.log.add(event)
    if (changed) {
      this.log.touch(changed)
      this.graph.touched(changed)
      this.changedSinceStopPass?.add(changed.taskId)
      if (changed.parent !== undefined) this.maps.itemChanged(changed, event.type)
    }
    return changed
  }

  /** A live-only event (a delta): followers see it, the log does not keep it. */
  publishLive(draft: EventDraft): void {
    this.publish({
      ...draft,
      runId: this.id,
      seq: this.log.lastSeq,
      ts: this.clock.iso(),
      severity: draft.severity ?? SEVERITY[draft.type] ?? 'info',
    } as WeftEvent)
  }

  private publish(event: WeftEvent): void {
    this.deps.bus.publish(event)
    if (this.deps.traceSink) {
      try {
        this.deps.traceSink(event)
      } catch (err) {
        this.deps.warn(`traceSink failed: ${(err as Error).message}`)
      }
    }
  }

  flush(create = false): Promise<void> {
    return this.log.flush(create)
  }

  grouped(fn: () => void): void {
    this.log.grouped(fn)
  }

  /** A queued task, or a retry that is due, that is not being prepared already. */
  isReady(t: TaskState): boolean {
    if (t.status === 'queued') return !this.attempts.has(t)
    return t.status === 'retrying' && this.timers.isDue(t.taskId) && !this.attempts.has(t)
  }

  /** Still acting on the run: not finished, detached or halted. */
  get acting(): boolean {
    const p = this.phase.name
    return p === 'active' || p === 'draining' || p === 'stopping' || p === 'compensating'
  }

  get stopping(): Stopping | undefined {
    return this.phase.name === 'stopping' ? this.phase.stop : undefined
  }

  get running(): number {
    let n = 0
    for (const a of this.attempts.values()) if (a.stage !== 'preparing') n++
    return n
  }

  /** The template scope (`inputs`, `tasks`, `run`, `memory`; see task-scope.ts). */
  scope(agent?: JsonObject): Scope {
    return this.scopes.scope(agent)
  }

  /** The scope a task's templates render in: its agent's memory, or an empty one. */
  taskScope(agent: JsonObject | undefined): Scope {
    return this.scopes.taskScope(agent)
  }

  /** Looks at the run again and acts; a call made while it runs makes it go round once more. */
  pump(): void {
    if (this.loop !== 'idle') {
      this.loop = 'again'
      return
    }
    this.dispatchesLeft = DISPATCH_CHUNK
    try {
      do {
        this.loop = 'stepping'
        step(this)
      } while ((this.loop as LiveRun['loop']) === 'again')
    } finally {
      this.loop = 'idle'
    }
    void this.flush()
    if (this.pumpWanted) {
      this.pumpWanted = false
      if (!this.pumpScheduled) {
        this.pumpScheduled = true
        this.log.whenTaken(this.schedulePump)
      }
    }
    this.checkSettled()
  }

  /**
   * Asks for a pump once what this pump recorded is on its way to the store (one, however often
   * asked), in a turn of the event loop of its own: a large ready set goes a chunk per commit.
   */
  pumpSoon(): void {
    this.pumpWanted = true
  }

  private pumpWanted = false
  private pumpScheduled = false
  /** Attempts the current pump may still start (see DISPATCH_CHUNK). */
  dispatchesLeft = DISPATCH_CHUNK
  private readonly schedulePump = () => setImmediate(this.scheduledPump)
  private readonly scheduledPump = () => {
    this.pumpScheduled = false
    if (this.acting) this.grouped(() => this.pump())
  }

  /** A pump was asked for while stepping: the step will run again right after this one. */
  get pumpRequested(): boolean {
    return this.loop === 'again'
  }

  /** Runs `fn` with pumps held back: a pump asked for meanwhile happens once, after it. */
  withPumpsHeld(fn: () => void): void {
    if (this.loop !== 'idle') {
      fn()
      return
    }
    this.loop = 'stepping'
    let again = false
    try {
      fn()
    } finally {
      again = (this.loop as LiveRun['loop']) === 'again'
      this.loop = 'idle'
    }
    if (again) this.pump()
  }

  /**
   * For a stopping run's cancel passes (one per step, so one per attempt that ends): the tasks
   * changed since the last pass, or undefined for the first (every task). Only a change can make a
   * task unstarted again, so a pass over the changes is a pass over every task that needs one.
   */
  takeStopPassChanges(): Set<string> | undefined {
    const since = this.changedSinceStopPass
    this.changedSinceStopPass = new Set()
    return since
  }

  releaseSlot(a: { holdsSlot?: boolean }): void {
    if (!a.holdsSlot) return
    this.deps.slots.release()
    // One look for free slots per burst of endings: `onSlotFreed` fills every free slot, so the
    // endings queued behind one already waiting share it (a microtask and a closure per attempt).
    if (this.slotCheckQueued) return
    this.slotCheckQueued = true
    queueMicrotask(this.slotCheck)
  }

  private slotCheckQueued = false
  private readonly slotCheck = () => {
    this.slotCheckQueued = false
    this.deps.onSlotFreed()
  }

  attemptEnded(): void {
    // `running` walks the attempts: asked only when someone waits, or every ending of a run with
    // 10,000 attempts in flight would cost 10,000 steps.
    if (this.idleWaiters.length > 0 && this.running === 0) for (const w of this.idleWaiters.splice(0)) w()
  }

  settled(): Promise<RunSummary> {
    if (this.phase.name === 'halted') return Promise.reject(this.phase.error)
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      this.checkSettled()
    })
  }

  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Resolves waiters when the run is finished, or paused with nothing running. */
  checkSettled(): void {
    if (this.waiters.length === 0) return
    const settled =
      this.phase.name === 'finished' || (this.state.status === 'paused' && this.attempts.size === 0)
    if (!settled) return
    const waiters = this.waiters.splice(0)
    void this.log.settled().then(() => {
      const halted = this.phase.name === 'halted' ? this.phase.error : undefined
      if (halted) for (const w of waiters) w.reject(halted)
      else for (const w of waiters) w.resolve(structuredClone(this.state.summary))
    })
  }

  /** This process stops acting on the run (a failed commit, a lost lease); nothing more is written. */
  halt(err: Error): void {
    if (this.phase.name === 'halted') return
    abandonCompensation(this, err.message)
    this.phase = { name: 'halted', error: err }
    if (!isConflict(err)) this.deps.warn(`run ${this.id} stopped in this process: ${err.message}`, err)
    this.timers.clear()
    for (const a of this.attempts.values()) a.controller.abort({ kind: 'shutdown', message: err.message })
    for (const w of this.waiters.splice(0)) w.reject(err)
    this.log.halt(err)
    this.deps.onFinished(this.facade)
  }
}
