/**
 * One run being executed: the scheduler. It owns the run's state in memory, commits every
 * transition through the store (state and events together) before acting on it, and decides what
 * runs next. All decisions happen in `step()`, which is synchronous; I/O happens in the commit
 * chain and in attempts.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Backend, BackendEvent, TaskContext, TaskResult } from '@weft/spec'
import type { ContextPipeline } from '@weft/spec'
import type { CostModel } from '@weft/spec'
import type { Diagnostic } from '@weft/spec'
import { BackendError, WeftError } from '@weft/spec'
import type { EventDraft, Severity, WeftEvent } from '@weft/spec'
import type { Json, JsonObject } from '@weft/spec'
import type { RunSpec, RunSummary, TaskCounts } from '@weft/spec'
import type { Commit, Store } from '@weft/spec'
import {
  type ErrorInfo,
  isTerminalTaskStatus,
  TASK_STATUSES,
  type TaskState,
  type TaskStatus,
} from '@weft/spec'
import { addUsage, emptyUsage, type Usage } from '@weft/spec'
import type { BudgetSpec, RetryPolicy, TaskSpec } from '@weft/spec'
import { cloneJson } from '../store/clone.js'
import { isTruthy, type Scope } from '../template/expression.js'
import { renderTemplate } from '../template/template.js'
import {
  type BudgetBreach,
  type BudgetPolicy,
  checkBudget,
  describeBreach,
  type Estimate,
  mergeBudgets,
} from './budget.js'
import type { SlotPool } from './concurrency.js'
import { type AbortReason, abortReasonOf, toErrorInfo, toJsonValue } from './errors.js'
import type { EventBus } from './event-bus.js'
import { KeyHeap } from './heap.js'
import { newResumeToken, nowIso } from './ids.js'
import { type AgentProfile, type PlannedTask, planRun, planTask, type RunPlan } from './plan.js'
import { type PreparedTask, prepareTask } from './prepare.js'
import { resolveRetryPolicy, retryDelayMs } from './retry.js'

type MemoryWrite = NonNullable<Commit['memory']>[number]

export interface ReusedOutput {
  fromRunId: string
  output?: Json
  text?: string
}

export interface ExecutionDeps {
  store: Store
  /** Prices and token counts; without it, estimates come only from backends that give them. */
  cost?: CostModel
  /** Builds and compacts each task's context; without it, `context:` settings are not applied. */
  context?: ContextPipeline
  /** The runtime's default budget (the workflow and the run override it field by field). */
  budget?: BudgetSpec
  bus: EventBus
  slots: SlotPool
  backends: ReadonlyMap<string, Backend>
  agents: Record<string, AgentProfile>
  retryDefaults?: RetryPolicy
  defaultParallelism: number
  workDir: string
  random: () => number
  /** How long a backend may take to stop after its signal aborted before it is abandoned. */
  cancelGraceMs: number
  warn(message: string, context?: unknown): void
  traceSink?: (event: WeftEvent) => void
  /** A slot of the shared pool became free: other runs may dispatch. */
  onSlotFreed(): void
  onFinished(execution: RunExecution): void
}

interface Attempt {
  taskId: string
  number: number
  controller: AbortController
  startedMs: number
  done: boolean
  suspended: boolean
  ctx?: TaskContext
  backend?: Backend
  timers: NodeJS.Timeout[]
}

type Outcome = { ok: true; result: Awaited<ReturnType<Backend['execute']>> } | { ok: false; error: unknown }

interface Stopping {
  kind: 'cancel' | 'fail_fast' | 'run_timeout'
  reason: string
  error?: ErrorInfo
}

const SEVERITY: Partial<Record<EventDraft['type'], Severity>> = {
  'task.failed': 'error',
  'run.failed': 'error',
  'task.retry_scheduled': 'warn',
  'run.canceling': 'warn',
  'run.canceled': 'warn',
  'agent.delta': 'debug',
}

export class RunExecution {
  readonly id: string
  spec: RunSpec
  summary: RunSummary
  readonly tasks = new Map<string, TaskState>()
  private plan: RunPlan
  /** Tasks in an order where every task comes after the tasks it needs. */
  private topo: string[] = []
  /** Each task's position in `topo`. */
  private topoIndex = new Map<string, number>()
  /** The tasks that need each task: they are looked at again when it changes. */
  private dependents = new Map<string, string[]>()
  /** Approval gates, in `topo` order: the only tasks that open without a slot. */
  private approvalGates: string[] = []
  /** Each task's position in `tasks`, to break ties of priority and order as a stable sort would. */
  private readonly rank = new Map<string, number>()
  /**
   * Pending tasks whose needs changed since they were last looked at, taken in `topo` order, so
   * that moving pending tasks on costs what changed, not a scan of every task.
   */
  private pendingChecks = new KeyHeap<number>((a, b) => a < b)
  /**
   * Candidates for dispatch by priority, then declaration order. An entry may be stale (the task
   * started or finished since): it is checked with `isReady` and dropped when it is taken.
   */
  private readonly readyQueue = new KeyHeap<string>((a, b) => this.before(a, b))
  /** Task counts of the summary, kept up to date from the tasks each commit carries. */
  private counts: TaskCounts
  /** The status each task was last counted with. */
  private readonly counted = new Map<string, TaskStatus>()
  /** `tasks.<id>` of the template scope: a view of the live task states, built on access. */
  private readonly scopeTasks = taskScopeView(this.tasks)
  private readonly running = new Map<string, Attempt>()
  private readonly retryTimers = new Map<string, NodeJS.Timeout>()
  private readonly retryDue = new Set<string>()
  private batch?: Set<string>
  private stopping?: Stopping
  private runTimer?: NodeJS.Timeout
  private finished = false
  private halted?: Error
  private closed = false
  /** Shutting down: no new attempts start; running ones may finish. */
  private draining = false
  private idleWaiters: (() => void)[] = []
  private lastSeq: number
  /** Commits run one after another; `chain` never rejects, `lastCommit` is the newest commit itself. */
  private chain: Promise<void> = Promise.resolve()
  private lastCommit: Promise<void> = Promise.resolve()
  private buffer: { events: EventDraft[]; tasks: Set<string>; spec: boolean; memory: MemoryWrite[] } = {
    events: [],
    tasks: new Set(),
    spec: false,
    memory: [],
  }
  /** Tasks whose attempt is being prepared (context, templates, estimate): they hold a slot. */
  private readonly preparing = new Set<string>()
  /** Estimates of running attempts, counted against the budget until their usage is recorded. */
  private readonly reserved = new Map<string, Estimate>()
  /** Memory this run's tasks read in templates; agent scopes load on first use. */
  private runMemory: JsonObject = {}
  private readonly agentMemory = new Map<string, JsonObject>()
  private readonly unknownCostModels = new Set<string>()
  private pumping = false
  private pumpAgain = false
  private waiters: { resolve(s: RunSummary): void; reject(e: Error): void }[] = []

  private constructor(
    private readonly deps: ExecutionDeps,
    spec: RunSpec,
    summary: RunSummary,
    tasks: TaskState[],
  ) {
    this.id = summary.id
    this.spec = spec
    this.summary = summary
    this.lastSeq = summary.lastSeq
    this.plan = planRun(spec, deps.agents, deps.defaultParallelism)
    for (const t of tasks) {
      this.rank.set(t.taskId, this.rank.size)
      this.tasks.set(t.taskId, t)
      this.counted.set(t.taskId, t.status)
    }
    this.counts = countTasks(tasks)
    this.computeTopo()
    for (const t of tasks) this.enqueueIfReady(t.taskId)
  }

  /**
   * Creates a new run: commits `run.created` and its tasks, then the caller starts it. `reuse`
   * (a rerun) gives tasks that start out succeeded with the output recorded by an earlier run.
   */
  static async create(
    deps: ExecutionDeps,
    id: string,
    spec: RunSpec,
    diagnostics: Diagnostic[],
    reuse: ReadonlyMap<string, ReusedOutput> = new Map(),
  ): Promise<RunExecution> {
    const now = nowIso()
    const plan = planRun(spec, deps.agents, deps.defaultParallelism)
    const tasks: TaskState[] = [...plan.tasks.values()].map((p) => ({
      runId: id,
      taskId: p.id,
      status: 'pending',
      attempt: 0,
      priority: p.priority,
      order: p.order,
      needs: p.needs,
      ...(p.backend ? { backend: p.backend } : {}),
    }))
    const summary: RunSummary = {
      id,
      name: spec.workflow.name,
      status: 'pending',
      health: diagnostics.some((d) => d.level === 'warning') ? 'warning' : 'ok',
      initiator: spec.initiator,
      ...(spec.source ? { source: spec.source } : {}),
      tags: spec.tags,
      createdAt: now,
      updatedAt: now,
      usage: emptyUsage(),
      taskCounts: countTasks(tasks),
      diagnostics,
      lastSeq: 0,
    }
    const exec = new RunExecution(deps, spec, summary, tasks)
    exec.record({
      type: 'run.created',
      data: {
        name: spec.workflow.name,
        ...(spec.source ? { source: spec.source } : {}),
        inputs: spec.inputs as JsonObject,
        taskIds: tasks.map((t) => t.taskId),
        diagnostics,
      },
    })
    for (const t of tasks) {
      exec.record(
        {
          type: 'task.added',
          taskId: t.taskId,
          data: { needs: t.needs, priority: t.priority, ...(t.backend ? { backend: t.backend } : {}) },
        },
        t.taskId,
      )
    }
    for (const t of tasks) {
      const reused = reuse.get(t.taskId)
      if (!reused) continue
      t.status = 'succeeded'
      t.completedAt = now
      t.output = reused.output ?? null
      if (reused.text !== undefined) t.text = reused.text
      exec.record(
        {
          type: 'task.reused',
          taskId: t.taskId,
          data: {
            fromRunId: reused.fromRunId,
            output: t.output,
            ...(reused.text !== undefined ? { text: reused.text } : {}),
          },
        },
        t.taskId,
      )
    }
    await exec.flush(true)
    return exec
  }

  /** Rebuilds an execution from the store, to act on a run that no process is running (e.g. paused). */
  static async load(deps: ExecutionDeps, id: string): Promise<RunExecution | undefined> {
    const [summary, spec, tasks, memory] = await Promise.all([
      deps.store.runs.get(id),
      deps.store.runs.getSpec(id),
      deps.store.tasks.list(id),
      deps.store.memory.list(`run:${id}`),
    ])
    if (!summary || !spec) return undefined
    const exec = new RunExecution(deps, spec, summary, tasks)
    exec.runMemory = Object.fromEntries(memory.map((e) => [e.key, e.value])) as JsonObject
    exec.finished = isTerminalRun(summary.status)
    if (!exec.finished) {
      for (const t of tasks) if (t.status === 'retrying') exec.scheduleRetryTimer(t.taskId, t.nextRetryAt)
      exec.armRunTimer()
    }
    return exec
  }

  /** Running tasks recorded in the store that this process did not start (another process, or a crash). */
  get orphanedRunningTasks(): string[] {
    return [...this.tasks.values()]
      .filter((t) => t.status === 'running' && !this.running.has(t.taskId))
      .map((t) => t.taskId)
  }

  get isFinished(): boolean {
    return this.finished
  }

  /** Tasks that could start now but wait for a slot (or for dispatch to resume). */
  get waitingForSlot(): number {
    let n = 0
    for (const t of this.tasks.values()) if (this.isReady(t)) n++
    return n
  }

  /** Attempts of this run that hold a slot (preparing or running). */
  get holdingSlots(): number {
    return this.running.size + this.preparing.size
  }

  begin(): Promise<void> {
    const now = nowIso()
    this.summary.status = 'running'
    this.summary.startedAt = now
    this.record({
      type: 'run.started',
      data: { maxParallelism: this.plan.maxParallelism, mode: this.plan.mode },
    })
    this.armRunTimer()
    const committed = this.flush()
    this.pump()
    return committed
  }

  // ── public operations ─────────────────────────────────────────────────────────────────────────

  cancel(reason = 'canceled'): Promise<void> {
    if (this.finished) return this.chain
    this.stop({ kind: 'cancel', reason })
    return this.flush()
  }

  pause(reason: 'manual' | 'budget' = 'manual'): Promise<void> {
    this.assertActive()
    if (this.summary.status === 'paused') return this.chain
    if (this.summary.status === 'canceling') {
      throw new WeftError('run_finished', `run ${this.id} is being canceled and cannot be paused`)
    }
    this.enterPause(reason)
    for (const a of this.running.values()) void this.suspend(a)
    this.pump()
    return this.flush()
  }

  /** `via` names who asked (e.g. `signal:12`), so a process that forwarded the request can tell it won. */
  resume(options: { token?: string; input?: Json; via?: string; budget?: BudgetSpec } = {}): Promise<void> {
    this.assertActive()
    const waiting = this.waitingApprovals()
    if (options.budget) {
      // Raising the budget is part of the resume: it is kept in the run's spec, so it survives recovery.
      this.spec = { ...this.spec, budget: mergeBudgets(this.spec.budget, options.budget) }
      this.buffer.spec = true
      this.record({
        type: 'log',
        severity: 'info',
        data: { message: 'budget changed', fields: { budget: this.budget() as Json } },
      })
      if (options.token === undefined && this.summary.status !== 'paused') {
        this.pump()
        return this.flush()
      }
    }
    if (options.token !== undefined) {
      const task = [...this.tasks.values()].find((t) => t.approval?.token === options.token)
      if (!task) {
        throw new WeftError(
          'resume_token_invalid',
          `run ${this.id} has no approval with token '${options.token}'`,
          {
            hint: waiting.length
              ? `waiting approvals: ${waiting.map((w) => `${w.taskId} (token ${w.token})`).join(', ')}`
              : 'this run has no approval waiting',
          },
        )
      }
      if (task.approval!.status !== 'waiting') {
        throw new WeftError(
          'resume_token_used',
          `the approval token of task '${task.taskId}' was already used`,
          {
            hint: `task '${task.taskId}' is ${task.status}; nothing to resume`,
          },
        )
      }
      const now = nowIso()
      task.approval = { ...task.approval!, status: 'approved', respondedAt: now }
      task.status = 'succeeded'
      task.completedAt = now
      task.output = options.input ?? { approved: true }
      this.record(
        {
          type: 'task.approved',
          taskId: task.taskId,
          data: {
            token: options.token,
            ...(options.input !== undefined ? { input: options.input } : {}),
            ...(options.via ? { via: options.via } : {}),
          },
        },
        task.taskId,
      )
      this.record(
        {
          type: 'task.succeeded',
          taskId: task.taskId,
          data: { output: task.output, durationMs: Date.parse(now) - Date.parse(task.startedAt ?? now) },
        },
        task.taskId,
      )
      if (this.summary.status === 'paused' && this.summary.pause?.reason === 'approval') {
        this.leavePause({ reason: 'approval', token: options.token, taskId: task.taskId })
      } else if (this.summary.pause) {
        this.summary.pause = { ...this.summary.pause, waiting: this.waitingApprovals() }
      }
    } else {
      if (this.summary.status !== 'paused') {
        throw new WeftError('run_not_paused', `run ${this.id} is ${this.summary.status}, not paused`)
      }
      if (this.summary.pause?.reason === 'approval') {
        throw new WeftError(
          'resume_token_required',
          `run ${this.id} waits for an approval; resume it with its token`,
          {
            hint: waiting
              .map((w) => `weft runs resume ${this.id} --token ${w.token}   # ${w.taskId}: ${w.message}`)
              .join('\n'),
          },
        )
      }
      this.leavePause({ reason: this.summary.pause?.reason ?? 'manual' })
      for (const a of this.running.values()) void this.unsuspend(a)
    }
    this.pump()
    return this.flush()
  }

  addTasks(specs: Record<string, TaskSpec>): Promise<void> {
    this.assertActive()
    const workflow = { ...this.spec.workflow, tasks: { ...this.spec.workflow.tasks, ...specs } }
    this.spec = { ...this.spec, workflow }
    this.buffer.spec = true
    let order = this.tasks.size
    for (const [id, spec] of Object.entries(specs)) {
      const planned = planTask(id, spec, order++, this.spec, this.deps.agents)
      this.plan.tasks.set(id, planned)
      const state: TaskState = {
        runId: this.id,
        taskId: id,
        status: 'pending',
        attempt: 0,
        priority: planned.priority,
        order: planned.order,
        needs: planned.needs,
        ...(planned.backend ? { backend: planned.backend } : {}),
      }
      this.rank.set(id, this.rank.size)
      this.tasks.set(id, state)
      this.record(
        {
          type: 'task.added',
          taskId: id,
          data: {
            needs: state.needs,
            priority: state.priority,
            dynamic: true,
            ...(state.backend ? { backend: state.backend } : {}),
          },
        },
        id,
      )
    }
    this.computeTopo()
    this.pump()
    return this.flush()
  }

  /** Resolves when the run is finished, or paused with nothing running: a point where someone must act. */
  settled(): Promise<RunSummary> {
    if (this.halted) return Promise.reject(this.halted)
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      this.checkSettled()
    })
  }

  /**
   * Takes over a run loaded from the store whose process stopped (or that was paused and
   * released). Attempts recorded as running were lost with their process: each goes back to the
   * queue and runs again as a new attempt, keeping its session id for backends that can resume.
   * Succeeded tasks are kept: their recorded outputs feed their dependents.
   */
  adopt(owner: string, previousOwner?: string): Promise<{ interrupted: string[]; kept: string[] }> {
    const interrupted: string[] = []
    for (const t of this.tasks.values()) {
      if (t.status !== 'running' || this.running.has(t.taskId)) continue
      t.status = 'queued'
      interrupted.push(t.taskId)
      this.record(
        {
          type: 'task.interrupted',
          taskId: t.taskId,
          attempt: t.attempt || undefined,
          severity: 'warn',
          data: {
            reason: `attempt ${t.attempt} was lost when its process stopped${previousOwner ? ` (${previousOwner})` : ''}`,
            ...(t.sessionId ? { sessionId: t.sessionId } : {}),
          },
        },
        t.taskId,
      )
    }
    const kept = [...this.tasks.values()].filter((t) => t.status === 'succeeded').map((t) => t.taskId)
    const settledPause = this.summary.status === 'paused' && interrupted.length === 0
    if (!settledPause && !this.finished) {
      this.record({
        type: 'run.recovered',
        severity: 'warn',
        data: { owner, interrupted, kept, ...(previousOwner ? { previousOwner } : {}) },
      })
    }
    if (this.summary.status === 'canceling')
      this.stopping = { kind: 'cancel', reason: 'canceled before its process stopped' }
    const begun = this.summary.status === 'pending' ? this.begin() : undefined
    this.pump()
    return (begun ?? this.flush()).then(() => ({ interrupted, kept }))
  }

  /** Starts no new attempts from now on; resolves when none is running. */
  drain(): Promise<void> {
    this.draining = true
    return this.idle()
  }

  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /**
   * Aborts the running attempts for a shutdown. Each is recorded as interrupted and queued again,
   * so the run continues (as a new attempt) when a runtime recovers it.
   */
  interruptRunning(message: string): void {
    this.draining = true
    for (const a of this.running.values()) this.abortAttempt(a, { kind: 'shutdown', message })
  }

  /** Stops acting on this run: commits what is recorded, then drops timers. The store keeps the state. */
  async detach(): Promise<void> {
    this.draining = true
    await this.flush().catch(() => {})
    this.closed = true
    this.clearTimers()
    for (const a of this.running.values())
      a.controller.abort({ kind: 'shutdown', message: 'the runtime is closing' } satisfies AbortReason)
    await this.chain
  }

  /** This process no longer owns the run (its lease was taken): stop without writing. */
  abandon(reason: Error): void {
    this.halt(reason)
  }

  /** Called by the runtime when slots free up elsewhere, or when it wants this run re-examined. */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true
      return
    }
    this.pumping = true
    try {
      do {
        this.pumpAgain = false
        this.step()
      } while (this.pumpAgain)
    } finally {
      this.pumping = false
    }
    void this.flush()
    this.checkSettled()
  }

  // ── the scheduler ─────────────────────────────────────────────────────────────────────────────

  private step(): void {
    if (this.finished || this.halted || this.closed) return
    this.resolvePending()

    if (this.stopping) {
      this.cancelUnstarted(this.stopping.reason)
      if (this.running.size === 0 && this.preparing.size === 0) this.finalize()
      return
    }
    if (this.summary.status !== 'running') return

    // Approval gates need no slot: they wait for a person as soon as they are ready.
    for (const id of this.approvalGates) {
      const t = this.tasks.get(id)!
      if (t.status === 'queued') this.openApproval(t)
    }

    if (this.draining) return
    if (this.plan.mode === 'batched') this.dispatchBatch()
    else {
      // The ready task first in priority, then declaration order, until no slot is left.
      let t = this.nextReady()
      while (t && this.tryDispatch(t)) t = this.nextReady()
    }

    const quiescent =
      this.running.size === 0 &&
      this.preparing.size === 0 &&
      this.retryTimers.size === 0 &&
      this.nextReady() === undefined
    if (!quiescent) return
    const open = [...this.tasks.values()].filter((t) => !isTerminalTaskStatus(t.status))
    if (open.length === 0) {
      this.finalize()
      return
    }
    if (open.some((t) => t.status === 'waiting')) {
      this.enterPause('approval')
      return
    }
    // Nothing runs, nothing can start, work is left: the run can never finish on its own.
    const stuck = open.map((t) => t.taskId)
    this.record({
      type: 'diagnostic',
      severity: 'error',
      data: {
        level: 'error',
        code: 'deadlock',
        message: `nothing is running and nothing can start, but tasks are unfinished: ${stuck.join(', ')}`,
        hint: 'check the needs of these tasks',
      },
    })
    this.stopping = {
      kind: 'fail_fast',
      reason: 'deadlock',
      error: { code: 'deadlock', message: `deadlock: stuck tasks ${stuck.join(', ')}` },
    }
    this.cancelUnstarted('the run is deadlocked')
    this.finalize()
  }

  /** Moves pending tasks on: skipped when a need did not succeed, queued when all needs did. */
  private resolvePending(): void {
    // In `topo` order, as a scan would go: a task settled here (skipped, failed) adds its
    // dependents, which come later in that order, so they are looked at in the same pass.
    for (let at = this.pendingChecks.pop(); at !== undefined; at = this.pendingChecks.pop()) {
      const id = this.topo[at]!
      const t = this.tasks.get(id)!
      if (t.status !== 'pending') continue
      const needs = t.needs.map((n) => this.tasks.get(n)!)
      const broken = needs.find(
        (n) => n.status === 'failed' || n.status === 'canceled' || n.status === 'skipped',
      )
      if (broken) {
        this.finishWithout(
          t,
          'skipped',
          `needs '${broken.taskId}', which ${broken.status === 'skipped' ? 'was skipped' : broken.status}`,
        )
        continue
      }
      if (!needs.every((n) => n.status === 'succeeded')) continue
      const when = this.plan.tasks.get(id)!.when
      if (when !== undefined) {
        let pass: boolean
        try {
          pass = isTruthy(renderTemplate(when, this.scope()))
        } catch (err) {
          this.fail(t, { code: 'template', message: `when: ${(err as Error).message}`, retryable: false })
          continue
        }
        if (!pass) {
          this.finishWithout(t, 'skipped', `condition ${when} is false`)
          continue
        }
      }
      t.status = 'queued'
      t.queuedAt = nowIso()
      this.record({ type: 'task.queued', taskId: id, data: {} }, id)
    }
  }

  /** A queued task, or a retry that is due, that is not being prepared already. */
  private isReady(t: TaskState): boolean {
    if (this.preparing.has(t.taskId)) return false
    return t.status === 'queued' || (t.status === 'retrying' && this.retryDue.has(t.taskId))
  }

  /** Priority, then declaration order (then position, as a stable sort keeps it). */
  private before(a: string, b: string): boolean {
    const x = this.tasks.get(a)!
    const y = this.tasks.get(b)!
    if (x.priority !== y.priority) return x.priority < y.priority
    if (x.order !== y.order) return x.order < y.order
    return this.rank.get(a)! < this.rank.get(b)!
  }

  /** Offers a task to the ready queue; it is taken only while it is ready. */
  private enqueueIfReady(taskId: string): void {
    const t = this.tasks.get(taskId)
    if (t && this.isReady(t)) this.readyQueue.push(taskId)
  }

  /** The first ready task by priority, then declaration order, dropping stale entries. */
  private nextReady(): TaskState | undefined {
    for (let id = this.readyQueue.peek(); id !== undefined; id = this.readyQueue.peek()) {
      const t = this.tasks.get(id)!
      if (this.isReady(t)) return t
      this.readyQueue.pop()
    }
    return undefined
  }

  /** The first `n` ready tasks in dispatch order; the queue keeps them. */
  private firstReady(n: number): TaskState[] {
    const out: TaskState[] = []
    for (let t = this.nextReady(); t && out.length < n; t = this.nextReady()) {
      this.readyQueue.pop()
      out.push(t)
    }
    for (const t of out) this.readyQueue.push(t.taskId)
    return out
  }

  private tryDispatch(t: TaskState): boolean {
    if (this.running.size + this.preparing.size >= this.plan.maxParallelism) return false
    if (!this.deps.slots.tryAcquire()) return false
    this.preparing.add(t.taskId)
    void this.prepareAndStart(t)
    return true
  }

  private releaseSlot(): void {
    this.deps.slots.release()
    queueMicrotask(() => this.deps.onSlotFreed())
  }

  /**
   * The per-task pipeline before an attempt: context, templates, options, estimate, then the
   * budget pre-check. The task holds its slot meanwhile; it starts only if all of it passes.
   */
  private async prepareAndStart(t: TaskState): Promise<void> {
    const planned = this.plan.tasks.get(t.taskId)!
    let prepared: PreparedTask | undefined
    let failure: unknown
    try {
      const agent = planned.agent ? await this.loadAgentMemory(planned.agent) : undefined
      prepared = await prepareTask({
        runId: this.id,
        task: t,
        planned,
        backends: this.deps.backends,
        cost: this.deps.cost,
        context: this.deps.context,
        tasks: this.tasks,
        inputs: this.spec.inputs as JsonObject,
        scope: { ...this.scope(), memory: { run: this.runMemory, agent: agent ?? {} } },
        memory: { run: this.runMemory, ...(agent ? { agent } : {}) },
        summarize: (text, maxTokens) => this.summarize(t, planned, text, maxTokens),
      })
    } catch (err) {
      failure = err
    }
    this.grouped(() => this.afterPrepare(t, planned, prepared, failure))
  }

  /** Starts the prepared attempt, unless the run or the budget says otherwise meanwhile. */
  private afterPrepare(
    t: TaskState,
    planned: PlannedTask,
    prepared: PreparedTask | undefined,
    failure: unknown,
  ): void {
    this.preparing.delete(t.taskId)
    // Not started after all (paused, stopped, over budget…): it is a candidate again.
    this.enqueueIfReady(t.taskId)
    if (this.closed || this.halted) {
      this.releaseSlot()
      return
    }
    if (t.status !== 'queued' && t.status !== 'retrying') {
      // Canceled while it was being prepared.
      this.releaseSlot()
      this.pump()
      return
    }
    if (!prepared) {
      this.releaseSlot()
      this.fail(t, toErrorInfo(failure))
      this.pump()
      return
    }
    if (prepared.context) this.recordContext(t, prepared.context)
    // Stopped, paused or draining meanwhile: the task stays queued for later.
    if (this.stopping || this.draining || this.summary.status !== 'running') {
      this.releaseSlot()
      this.pump()
      return
    }
    if (prepared.estimate) {
      const breach = checkBudget({
        run: this.budget(),
        ...(planned.budget ? { task: planned.budget } : {}),
        spent: this.summary.usage,
        reserved: this.reservedTotals(),
        estimate: prepared.estimate,
      })
      if (breach) {
        this.releaseSlot()
        this.onBudgetBreach(t, breach, prepared.estimate)
        this.pump()
        return
      }
    }
    this.startAttempt(t, prepared)
    this.pump()
  }

  private recordContext(t: TaskState, c: NonNullable<PreparedTask['context']>): void {
    this.record({
      type: 'context.built',
      taskId: t.taskId,
      data: {
        tokens: c.context.tokens,
        cap: c.cap,
        sources: c.context.sources as unknown as Json,
        ...(c.skipped?.length ? { skipped: c.skipped } : {}),
      },
    })
    if (c.compaction) {
      this.record({ type: 'context.compacted', taskId: t.taskId, data: { ...c.compaction } })
    }
  }

  /** A backend call that condenses an over-long source; counted in usage and cost like any call. */
  private async summarize(
    t: TaskState,
    planned: PlannedTask,
    text: string,
    maxTokens: number,
  ): Promise<string> {
    const backend = planned.backend ? this.deps.backends.get(planned.backend) : undefined
    if (!backend)
      throw new BackendError('not_installed', `backend '${planned.backend}' is not available`, {
        retryable: false,
      })
    const attempt = t.attempt + 1
    const result = await backend.execute(
      {
        runId: this.id,
        taskId: t.taskId,
        attempt,
        prompt: `Condense the text below to at most ${maxTokens} tokens. Keep names, numbers, decisions and open questions; drop repetition.\n\n${text}`,
        ...(planned.model ? { model: planned.model } : {}),
        options: planned.with,
        upstream: {},
      },
      {
        runId: this.id,
        taskId: t.taskId,
        attempt,
        signal: new AbortController().signal,
        emit: () => {},
        log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
        workDir: this.deps.workDir,
      },
    )
    if (result.usage) this.recordUsage(t, undefined, result.usage, 'summarize')
    return (
      result.text ?? (typeof result.output === 'string' ? result.output : JSON.stringify(result.output ?? ''))
    )
  }

  /** The run's budget: the runtime's default, then the workflow's, then the run's override. */
  private budget(): BudgetSpec {
    return mergeBudgets(this.deps.budget, this.spec.workflow.budget, this.spec.budget)
  }

  private reservedTotals(): { tokens: number; costUsd: number } {
    let tokens = 0
    let costUsd = 0
    for (const e of this.reserved.values()) {
      tokens += e.inputTokens + e.outputTokens
      costUsd += e.costUsd ?? 0
    }
    return { tokens, costUsd }
  }

  private onBudgetBreach(t: TaskState, breach: BudgetBreach, estimate: Estimate): void {
    const policy: BudgetPolicy = this.budget().onExceeded ?? 'pause'
    const message = describeBreach(t.taskId, breach)
    // Pausing helps only when a person can raise the run's budget; a task's own limit fails it.
    const applied: BudgetPolicy = breach.scope === 'task' && policy === 'pause' ? 'fail_task' : policy
    this.record({
      type: 'budget.exceeded',
      taskId: t.taskId,
      severity: 'warn',
      data: {
        message,
        scope: breach.scope,
        limit: breach.limit,
        max: breach.max,
        spent: breach.spent,
        estimate: breach.estimate,
        estimatedTokens: estimate.inputTokens + estimate.outputTokens,
        ...(estimate.costUsd !== undefined ? { estimatedCostUsd: estimate.costUsd } : {}),
        policy: applied,
      },
    })
    if (applied === 'pause') {
      this.enterPause('budget', message)
      return
    }
    const error: ErrorInfo = {
      code: 'budget',
      message,
      retryable: false,
      hint: 'raise the budget (workflow `budget:`, or `--budget-usd` / `--budget-tokens`) and rerun',
    }
    this.fail(t, error)
    if (applied === 'fail_run') {
      this.stop({ kind: 'fail_fast', reason: message, error: { code: 'budget_exceeded', message } })
    }
  }

  private async loadAgentMemory(name: string): Promise<JsonObject> {
    const cached = this.agentMemory.get(name)
    if (cached) return cached
    const entries = await this.deps.store.memory.list(`agent:${name}`)
    const loaded = Object.fromEntries(entries.map((e) => [e.key, e.value])) as JsonObject
    this.agentMemory.set(name, loaded)
    return loaded
  }

  /** Memory a task wrote: applied in memory now, committed with the task's completion. */
  private applyMemory(t: TaskState, writes: NonNullable<TaskResult['memory']>): void {
    const planned = this.plan.tasks.get(t.taskId)!
    const apply = (scope: string, target: JsonObject, values: JsonObject) => {
      for (const [key, value] of Object.entries(values)) {
        if (value === null) delete target[key]
        else target[key] = value
        this.buffer.memory.push({ scope, key, value })
      }
    }
    if (writes.run) apply(`run:${this.id}`, this.runMemory, writes.run)
    if (writes.agent) {
      if (!planned.agent) {
        this.record({
          type: 'log',
          taskId: t.taskId,
          severity: 'warn',
          data: { message: `task '${t.taskId}' wrote agent memory but runs as no agent; ignored` },
        })
      } else {
        const target = this.agentMemory.get(planned.agent) ?? {}
        this.agentMemory.set(planned.agent, target)
        apply(`agent:${planned.agent}`, target, writes.agent)
      }
    }
  }

  /** Batched mode: the ready set runs as a batch; the next batch starts when this one is done. */
  private dispatchBatch(): void {
    const batchOpen =
      this.batch &&
      [...this.batch].some((id) => {
        const s = this.tasks.get(id)!.status
        return s === 'running' || s === 'retrying' || s === 'queued'
      })
    if (!batchOpen) {
      const first = this.firstReady(this.plan.maxParallelism)
      if (first.length === 0) return
      this.batch = new Set(first.map((t) => t.taskId))
    }
    // The batch's ready tasks in dispatch order (a batch is at most maxParallelism tasks).
    const members = [...this.batch!]
      .filter((id) => this.isReady(this.tasks.get(id)!))
      .sort((a, b) => (this.before(a, b) ? -1 : this.before(b, a) ? 1 : 0))
    for (const id of members) {
      if (this.running.has(id)) continue
      if (!this.tryDispatch(this.tasks.get(id)!)) break
    }
  }

  private openApproval(t: TaskState): void {
    const planned = this.plan.tasks.get(t.taskId)!
    const token = newResumeToken()
    const now = nowIso()
    t.status = 'waiting'
    t.startedAt = now
    t.approval = { token, message: planned.approval!.message, requestedAt: now, status: 'waiting' }
    this.record(
      { type: 'task.waiting', taskId: t.taskId, data: { token, message: planned.approval!.message } },
      t.taskId,
    )
  }

  private enterPause(reason: 'manual' | 'approval' | 'budget', message?: string): void {
    this.summary.status = 'paused'
    this.summary.pause = {
      reason,
      since: nowIso(),
      waiting: this.waitingApprovals(),
      ...(message ? { message } : {}),
    }
    this.record({ type: 'run.paused', data: this.summary.pause })
  }

  private leavePause(data: { reason: string; token?: string; taskId?: string }): void {
    this.summary.status = 'running'
    delete this.summary.pause
    this.record({ type: 'run.resumed', data })
  }

  private waitingApprovals() {
    return [...this.tasks.values()]
      .filter((t) => t.status === 'waiting' && t.approval?.status === 'waiting')
      .map((t) => ({ taskId: t.taskId, token: t.approval!.token, message: t.approval!.message }))
  }

  private stop(stopping: Stopping): void {
    if (this.stopping || this.finished) return
    this.stopping = stopping
    this.summary.status = 'canceling'
    delete this.summary.pause
    this.record({ type: 'run.canceling', data: { reason: stopping.reason } })
    if (this.runTimer) clearTimeout(this.runTimer)
    const kind =
      stopping.kind === 'cancel' ? 'cancel' : stopping.kind === 'run_timeout' ? 'run_timeout' : 'fail_fast'
    for (const a of this.running.values()) this.abortAttempt(a, { kind, message: stopping.reason })
    this.pump()
  }

  private cancelUnstarted(reason: string): void {
    for (const t of this.tasks.values()) {
      if (
        t.status === 'pending' ||
        t.status === 'queued' ||
        t.status === 'retrying' ||
        t.status === 'waiting'
      ) {
        const timer = this.retryTimers.get(t.taskId)
        if (timer) clearTimeout(timer)
        this.retryTimers.delete(t.taskId)
        this.retryDue.delete(t.taskId)
        if (t.approval?.status === 'waiting') t.approval = { ...t.approval, status: 'canceled' }
        this.finishWithout(t, 'canceled', reason)
      }
    }
  }

  private finishWithout(t: TaskState, status: 'skipped' | 'canceled', reason: string): void {
    t.status = status
    t.reason = reason
    t.completedAt = nowIso()
    delete t.nextRetryAt
    this.record(
      status === 'skipped'
        ? { type: 'task.skipped', taskId: t.taskId, data: { reason } }
        : { type: 'task.canceled', taskId: t.taskId, data: { reason } },
      t.taskId,
    )
  }

  private fail(t: TaskState, error: ErrorInfo, durationMs?: number): void {
    t.status = 'failed'
    t.error = error
    t.completedAt = nowIso()
    delete t.nextRetryAt
    this.record(
      {
        type: 'task.failed',
        taskId: t.taskId,
        attempt: t.attempt || undefined,
        data: { error, attempts: t.attempt, ...(durationMs !== undefined ? { durationMs } : {}) },
      },
      t.taskId,
    )
    if (this.plan.failFast && !this.stopping) {
      this.stop({
        kind: 'fail_fast',
        reason: `task '${t.taskId}' failed (failFast)`,
        error: { code: 'task_failed', message: `task '${t.taskId}' failed: ${error.message}` },
      })
    }
  }

  private finalize(): void {
    if (this.finished) return
    this.finished = true
    this.clearTimers()
    const now = nowIso()
    const durationMs = Date.parse(now) - Date.parse(this.summary.startedAt ?? this.summary.createdAt)
    const usage = this.summary.usage
    this.summary.completedAt = now
    delete this.summary.pause
    const failed = [...this.tasks.values()].filter((t) => t.status === 'failed')
    if (this.stopping?.kind === 'cancel') {
      this.summary.status = 'canceled'
      this.record({ type: 'run.canceled', data: { reason: this.stopping.reason, usage, durationMs } })
    } else if (this.stopping || failed.length > 0) {
      const error = this.stopping?.error ?? {
        code: 'task_failed',
        message:
          failed.length === 1
            ? `task '${failed[0]!.taskId}' failed: ${failed[0]!.error?.message ?? 'unknown error'}`
            : `${failed.length} tasks failed: ${failed.map((t) => t.taskId).join(', ')}`,
      }
      this.summary.status = 'failed'
      this.summary.error = error
      this.summary.health = 'error'
      this.record({ type: 'run.failed', data: { error, usage, durationMs } })
    } else {
      const outputs = this.computeOutputs()
      this.summary.status = 'succeeded'
      this.summary.outputs = outputs
      this.record({ type: 'run.succeeded', data: { outputs, usage, durationMs } })
    }
    void this.flush().then(() => this.deps.onFinished(this))
  }

  private computeOutputs(): JsonObject {
    const outputs: JsonObject = {}
    const declared = this.spec.workflow.outputs
    if (declared) {
      const scope = this.scope()
      for (const [name, template] of Object.entries(declared)) {
        try {
          outputs[name] = renderTemplate(template, scope)
        } catch (err) {
          this.record({
            type: 'diagnostic',
            severity: 'warn',
            data: {
              level: 'warning',
              code: 'output_template',
              message: `output '${name}': ${(err as Error).message}`,
              path: `outputs.${name}`,
            },
          })
        }
      }
      return outputs
    }
    const needed = new Set([...this.tasks.values()].flatMap((t) => t.needs))
    for (const t of this.tasks.values()) {
      if (!needed.has(t.taskId) && t.status === 'succeeded') outputs[t.taskId] = t.output ?? null
    }
    return outputs
  }

  // ── attempts ──────────────────────────────────────────────────────────────────────────────────

  private startAttempt(t: TaskState, prepared: PreparedTask): void {
    const planned = this.plan.tasks.get(t.taskId)!
    this.retryDue.delete(t.taskId)
    t.attempt += 1
    t.status = 'running'
    t.startedAt = nowIso()
    delete t.nextRetryAt
    const attempt: Attempt = {
      taskId: t.taskId,
      number: t.attempt,
      controller: new AbortController(),
      startedMs: Date.now(),
      done: false,
      suspended: false,
      timers: [],
    }
    this.running.set(t.taskId, attempt)
    this.record(
      {
        type: 'task.started',
        taskId: t.taskId,
        attempt: t.attempt,
        data: {
          ...(planned.backend ? { backend: planned.backend } : {}),
          ...(planned.model ? { model: planned.model } : {}),
          ...(t.sessionId ? { sessionId: t.sessionId } : {}),
        },
      },
      t.taskId,
    )
    if (prepared.estimate) {
      t.estimate = prepared.estimate
      this.reserved.set(t.taskId, prepared.estimate)
      const tokens = prepared.estimate.inputTokens + prepared.estimate.outputTokens
      const previous = this.summary.estimated
      const costUsd =
        prepared.estimate.costUsd === undefined
          ? previous?.costUsd
          : (previous?.costUsd ?? 0) + prepared.estimate.costUsd
      this.summary.estimated = {
        tokens: (previous?.tokens ?? 0) + tokens,
        ...(costUsd !== undefined ? { costUsd } : {}),
      }
    }
    if (planned.timeoutMs !== undefined) {
      const ms = planned.timeoutMs
      attempt.timers.push(
        setTimeout(
          () =>
            this.abortAttempt(attempt, {
              kind: 'timeout',
              message: `task '${t.taskId}' timed out after ${ms} ms`,
            }),
          ms,
        ),
      )
    }
    // The start is committed before the backend is called: a crash never hides a running attempt.
    const committed = this.flush()
    committed
      .then(() => this.execute(t, prepared, attempt))
      .then(
        (result) => this.grouped(() => this.settleAttempt(attempt, { ok: true, result })),
        (error) => this.grouped(() => this.settleAttempt(attempt, { ok: false, error })),
      )
  }

  private async execute(t: TaskState, prepared: PreparedTask, attempt: Attempt) {
    if (attempt.controller.signal.aborted) throw new BackendError('canceled', 'canceled before it started')
    const backend = prepared.backend
    attempt.backend = backend
    const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string) =>
      this.onBackendEvent(attempt, { type: 'log', level, message })
    const ctx: TaskContext = {
      runId: this.id,
      taskId: t.taskId,
      attempt: attempt.number,
      signal: attempt.controller.signal,
      emit: (event) => this.onBackendEvent(attempt, event),
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      workDir: this.deps.workDir,
    }
    attempt.ctx = ctx
    if (this.summary.status === 'paused') void this.suspend(attempt)
    const result = await backend.execute({ ...prepared.request, attempt: attempt.number }, ctx)
    await this.keepArtifacts(t, result.artifacts ?? [])
    return result
  }

  /** Files a task reports are copied into the store before the task counts as done. */
  private async keepArtifacts(t: TaskState, artifacts: NonNullable<TaskResult['artifacts']>): Promise<void> {
    for (const a of artifacts) {
      if (!a.path) continue
      let data: Uint8Array
      try {
        data = await readFile(resolve(this.deps.workDir, a.path))
      } catch (err) {
        throw new BackendError(
          'bad_output',
          `artifact '${a.name}' cannot be read from ${a.path}: ${(err as Error).message}`,
          {
            retryable: false,
          },
        )
      }
      await this.deps.store.artifacts.put({
        runId: this.id,
        taskId: t.taskId,
        name: a.name,
        ...(a.contentType ? { contentType: a.contentType } : {}),
        data,
      })
    }
  }

  private onBackendEvent(attempt: Attempt, event: BackendEvent): void {
    if (attempt.done || this.closed) return
    const t = this.tasks.get(attempt.taskId)!
    const base = { taskId: attempt.taskId, attempt: attempt.number }
    switch (event.type) {
      case 'delta':
        // Deltas are live only: followers see them, the log keeps the messages they add up to.
        this.publish({
          ...base,
          runId: this.id,
          seq: this.lastSeq,
          ts: nowIso(),
          type: 'agent.delta',
          severity: 'debug',
          data: { text: event.text },
        })
        return
      case 'message':
        this.record({
          ...base,
          type: 'agent.message',
          data: { role: event.role ?? 'assistant', text: event.text },
        })
        break
      case 'tool_start':
        this.record({
          ...base,
          type: 'tool.started',
          data: {
            toolId: event.toolId,
            name: event.name,
            ...(event.input !== undefined ? { input: event.input } : {}),
          },
        })
        break
      case 'tool_end':
        this.record({
          ...base,
          type: 'tool.finished',
          data: {
            toolId: event.toolId,
            name: event.name,
            ...(event.output !== undefined ? { output: event.output } : {}),
            ...(event.error !== undefined ? { error: event.error } : {}),
          },
        })
        break
      case 'usage': {
        const { type: _type, ...usage } = event
        this.recordUsage(t, attempt.number, usage)
        break
      }
      case 'session':
        t.sessionId = event.sessionId
        this.record(
          {
            ...base,
            type: 'log',
            severity: 'debug',
            data: { message: `session ${event.sessionId}`, fields: { sessionId: event.sessionId } },
          },
          t.taskId,
        )
        break
      case 'log':
        this.record({
          ...base,
          type: 'log',
          severity: event.level ?? 'info',
          data: { message: event.message, ...(event.stream ? { stream: event.stream } : {}) },
        })
        break
    }
    this.grouped(() => void this.flush())
  }

  private settleAttempt(attempt: Attempt, outcome: Outcome): void {
    if (attempt.done) return
    attempt.done = true
    for (const timer of attempt.timers) clearTimeout(timer)
    this.running.delete(attempt.taskId)
    this.reserved.delete(attempt.taskId)
    this.deps.slots.release()
    queueMicrotask(() => this.deps.onSlotFreed())
    if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w()
    if (this.closed || this.halted) return
    const t = this.tasks.get(attempt.taskId)!
    const durationMs = Date.now() - attempt.startedMs
    const abort = abortReasonOf(attempt.controller.signal)

    if (outcome.ok) {
      let output: Json
      try {
        output = toJsonValue(outcome.result.output ?? outcome.result.text ?? null)
      } catch (err) {
        const error = {
          code: 'bad_output',
          message: `the output is not JSON: ${(err as Error).message}`,
          retryable: false,
        }
        this.afterFailure(t, error, durationMs)
        return
      }
      const usage = outcome.result.usage
      if (usage && !this.usageSeen.has(`${t.taskId}#${attempt.number}`))
        this.recordUsage(t, attempt.number, usage)
      if (outcome.result.memory) this.applyMemory(t, outcome.result.memory)
      t.status = 'succeeded'
      t.output = output
      if (outcome.result.text !== undefined) t.text = outcome.result.text
      if (outcome.result.sessionId) t.sessionId = outcome.result.sessionId
      t.completedAt = nowIso()
      delete t.error
      this.record(
        {
          type: 'task.succeeded',
          taskId: t.taskId,
          attempt: attempt.number,
          data: {
            output,
            ...(t.text !== undefined ? { text: t.text } : {}),
            durationMs,
            ...(t.usage ? { usage: t.usage } : {}),
            ...(t.sessionId ? { sessionId: t.sessionId } : {}),
          },
        },
        t.taskId,
      )
    } else if (abort?.kind === 'shutdown') {
      // Not the task's fault: it goes back to the queue and runs again when the run is recovered.
      t.status = 'queued'
      this.record(
        {
          type: 'task.interrupted',
          taskId: t.taskId,
          attempt: attempt.number,
          severity: 'warn',
          data: { reason: abort.message, ...(t.sessionId ? { sessionId: t.sessionId } : {}) },
        },
        t.taskId,
      )
    } else if (abort && abort.kind !== 'timeout') {
      this.finishWithout(t, 'canceled', abort.message)
    } else {
      const error: ErrorInfo = abort
        ? { code: 'timeout', message: abort.message, retryable: true }
        : toErrorInfo(outcome.error)
      this.afterFailure(t, error, durationMs)
    }
    this.pump()
  }

  /** Attempts that reported usage as events; their result's usage is then not counted again. */
  private readonly usageSeen = new Set<string>()

  /**
   * Records usage and prices it: a cost the backend reports wins over the cost model's figure, and
   * both are kept on the event. An unknown model is an unknown cost (a diagnostic), never a zero.
   */
  private recordUsage(
    t: TaskState,
    attempt: number | undefined,
    reported: Partial<Usage> & { model?: string },
    purpose?: 'summarize',
  ): void {
    const { model: reportedModel, costUsd: reportedCostUsd, ...counts } = reported
    const model = reportedModel ?? this.plan.tasks.get(t.taskId)?.model
    if (attempt !== undefined) this.usageSeen.add(`${t.taskId}#${attempt}`)
    const usage = addUsage(emptyUsage(), counts)
    const computedCostUsd = this.deps.cost ? this.deps.cost.cost(usage, model) : undefined
    const costUsd = reportedCostUsd ?? computedCostUsd
    if (costUsd !== undefined) usage.costUsd = costUsd
    if (costUsd === undefined && this.deps.cost && model && !this.unknownCostModels.has(model)) {
      this.unknownCostModels.add(model)
      this.record({
        type: 'diagnostic',
        severity: 'warn',
        data: {
          level: 'warning',
          code: 'unknown_model_cost',
          message: `model '${model}' is not in the model catalog, so its cost is unknown (not zero)`,
          hint: 'add it under `models:` in weft.config.yaml with its prices',
        },
      })
    }
    t.usage = addUsage(t.usage ?? emptyUsage(), usage)
    this.summary.usage = addUsage(this.summary.usage, usage)
    const modelKey = model ?? 'unknown'
    const byModel = { ...this.summary.usageByModel }
    byModel[modelKey] = addUsage(byModel[modelKey] ?? emptyUsage(), usage)
    this.summary.usageByModel = byModel
    if (t.backend) {
      const byBackend = { ...this.summary.usageByBackend }
      byBackend[t.backend] = addUsage(byBackend[t.backend] ?? emptyUsage(), usage)
      this.summary.usageByBackend = byBackend
    }
    this.record(
      {
        type: 'usage.recorded',
        taskId: t.taskId,
        ...(attempt !== undefined ? { attempt } : {}),
        data: {
          ...usage,
          ...(model ? { model } : {}),
          ...(t.backend ? { backend: t.backend } : {}),
          ...(reportedCostUsd !== undefined ? { reportedCostUsd } : {}),
          ...(computedCostUsd !== undefined ? { computedCostUsd } : {}),
          ...(purpose ? { purpose } : {}),
        },
      },
      t.taskId,
    )
  }

  private afterFailure(t: TaskState, error: ErrorInfo, durationMs: number): void {
    const planned = this.plan.tasks.get(t.taskId)!
    const backend = planned.backend ? this.deps.backends.get(planned.backend) : undefined
    const policy = resolveRetryPolicy(
      this.deps.retryDefaults,
      backend?.retry,
      planned.workflowRetry,
      planned.retry,
      this.spec.retry,
    )
    if (error.retryable && t.attempt < policy.maxAttempts && !this.stopping) {
      const delayMs = retryDelayMs(policy, t.attempt, this.deps.random)
      t.status = 'retrying'
      t.error = error
      t.nextRetryAt = new Date(Date.now() + delayMs).toISOString()
      this.record(
        {
          type: 'task.retry_scheduled',
          taskId: t.taskId,
          attempt: t.attempt,
          data: { error, delayMs, nextAttempt: t.attempt + 1, maxAttempts: policy.maxAttempts },
        },
        t.taskId,
      )
      this.scheduleRetryTimer(t.taskId, t.nextRetryAt)
    } else {
      this.fail(t, error, durationMs)
    }
    this.pump()
  }

  private scheduleRetryTimer(taskId: string, dueAt: string | undefined): void {
    const delay = Math.max(0, (dueAt ? Date.parse(dueAt) : Date.now()) - Date.now())
    const timer = setTimeout(() => {
      this.retryTimers.delete(taskId)
      this.retryDue.add(taskId)
      this.enqueueIfReady(taskId)
      this.grouped(() => this.pump())
    }, delay)
    this.retryTimers.set(taskId, timer)
  }

  private abortAttempt(attempt: Attempt, reason: AbortReason): void {
    if (attempt.done || attempt.controller.signal.aborted) return
    if (attempt.suspended) void this.unsuspend(attempt)
    attempt.controller.abort(reason)
    // A backend that ignores its signal is abandoned after a grace period, so cancel always ends.
    const grace = setTimeout(() => {
      if (attempt.done) return
      this.record({
        type: 'log',
        taskId: attempt.taskId,
        attempt: attempt.number,
        severity: 'warn',
        data: {
          message: `backend did not stop within ${this.deps.cancelGraceMs} ms of ${reason.kind}; abandoning the attempt`,
          fields: { code: 'backend_abandoned', reason: reason.kind },
        },
      })
      this.settleAttempt(attempt, { ok: false, error: new BackendError('canceled', reason.message) })
    }, this.deps.cancelGraceMs)
    grace.unref()
    attempt.timers.push(grace)
  }

  private async suspend(attempt: Attempt): Promise<void> {
    if (!attempt.backend?.pause || !attempt.ctx || attempt.suspended) return
    attempt.suspended = true
    try {
      await attempt.backend.pause(attempt.ctx)
    } catch (err) {
      this.deps.warn(`could not pause task ${attempt.taskId}: ${(err as Error).message}`)
    }
  }

  private async unsuspend(attempt: Attempt): Promise<void> {
    if (!attempt.backend?.resume || !attempt.ctx || !attempt.suspended) return
    attempt.suspended = false
    try {
      await attempt.backend.resume(attempt.ctx)
    } catch (err) {
      this.deps.warn(`could not resume task ${attempt.taskId}: ${(err as Error).message}`)
    }
  }

  // ── persistence ───────────────────────────────────────────────────────────────────────────────

  /**
   * Buffers an event for the next commit. `taskId` says that task's state changed (every change
   * of a task's state is recorded with it): it is committed, and the scheduler looks at it and
   * at the tasks that need it again.
   */
  private record(event: EventDraft, taskId?: string): void {
    this.buffer.events.push(event)
    if (taskId) {
      this.buffer.tasks.add(taskId)
      this.touched(taskId)
    }
  }

  private touched(taskId: string): void {
    if (this.tasks.get(taskId)?.status === 'pending') this.checkPending(taskId)
    else this.enqueueIfReady(taskId)
    for (const d of this.dependents.get(taskId) ?? []) {
      if (this.tasks.get(d)?.status === 'pending') this.checkPending(d)
    }
  }

  /** A pending task to look at in the next pass (a task added since `computeTopo` waits for it). */
  private checkPending(taskId: string): void {
    const at = this.topoIndex.get(taskId)
    if (at !== undefined) this.pendingChecks.push(at)
  }

  /**
   * Commits what was recorded since the last flush, as one atomic store commit, after every
   * earlier commit. Every commit states the last seq it expects, so a second process acting on
   * the same run makes one of them fail loudly instead of both writing.
   *
   * Group commit: the scheduler's own transitions (attempts that settle, attempts that start,
   * backend events, retries that fall due) join the commit that waits for its turn, if there is
   * one, instead of each queueing a commit: that commit takes what is recorded when its turn
   * comes. A burst of them (tasks settling together, the attempts they start) then costs one
   * store transaction, and every caller's promise still resolves only once its records are
   * committed. Any other flush joins a waiting commit too, and else builds its commit at once, as
   * every flush did before (so `begin` commits the run's start before its first attempt starts).
   */
  private flush(create = false): Promise<void> {
    const { events, tasks, spec, memory } = this.buffer
    // Nothing new: report on the latest commit, so a caller learns if it (or the run) failed.
    if (events.length === 0 && tasks.size === 0 && !spec && memory.length === 0)
      return this.halted ? handledRejection(this.halted) : this.lastCommit
    if (!create && (this.waitingCommit || this.grouping > 0)) {
      // Counts and time move now, for readers of the summary; the commit takes them again.
      this.summary.updatedAt = nowIso()
      for (const id of tasks) this.recount(id)
      this.summary.taskCounts = { ...this.counts }
      return this.waitingCommit ?? this.queueCommit(undefined, false)
    }
    return this.queueCommit(this.takeCommit(create), create)
  }

  /** Grouped transitions: their flushes join the waiting commit (see `flush`). */
  private grouping = 0

  private grouped(fn: () => void): void {
    this.grouping++
    try {
      fn()
    } finally {
      this.grouping--
    }
  }

  /** A commit queued behind others that takes the buffer when its turn comes. */
  private waitingCommit?: Promise<void>

  /** Queues a commit after every earlier one; without `built`, it is the waiting commit. */
  private queueCommit(built: Commit | undefined, create: boolean): Promise<void> {
    const next: Promise<void> = this.chain.then(async () => {
      if (this.waitingCommit === next) this.waitingCommit = undefined
      if (this.halted) throw this.halted
      const commit = built ?? this.takeCommit(false)
      if (!create) commit.expectLastSeq = this.lastSeq
      const stored = await this.deps.store.commit(commit)
      if (stored.length) this.lastSeq = stored[stored.length - 1]!.seq
      this.summary.lastSeq = this.lastSeq
      for (const e of stored) this.publish(e)
    })
    if (!built) this.waitingCommit = next
    this.chain = next.catch((err) => this.halt(err as Error))
    this.lastCommit = next
    return next
  }

  /** Empties the buffer into a commit: the summary and task states as they are now. */
  private takeCommit(create: boolean): Commit {
    const { events, tasks, spec, memory } = this.buffer
    this.buffer = { events: [], tasks: new Set(), spec: false, memory: [] }
    const ts = nowIso()
    this.summary.updatedAt = ts
    for (const id of tasks) this.recount(id)
    this.summary.taskCounts = { ...this.counts }
    return {
      runId: this.id,
      ...(create ? { create: { spec: cloneJson(this.spec) } } : {}),
      ...(spec ? { spec: cloneJson(this.spec) } : {}),
      run: cloneJson(this.summary),
      tasks: [...tasks].map((id) => cloneJson(this.tasks.get(id)!)),
      ...(memory.length ? { memory } : {}),
      events: events.map(
        (e) => ({ ...e, severity: e.severity ?? SEVERITY[e.type] ?? 'info', ts }) as Commit['events'][number],
      ),
    }
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

  /** A commit failed: the store and memory may disagree, so this process stops acting on the run. */
  private halt(err: Error): void {
    if (this.halted) return
    this.halted = err
    // A conflict means another process acted on the run first; the caller reloads and decides.
    if (!(err instanceof WeftError && err.code === 'conflict'))
      this.deps.warn(`run ${this.id} stopped in this process: ${err.message}`, err)
    this.clearTimers()
    for (const a of this.running.values())
      a.controller.abort({ kind: 'shutdown', message: err.message } satisfies AbortReason)
    for (const w of this.waiters.splice(0)) w.reject(err)
    this.deps.onFinished(this)
  }

  private checkSettled(): void {
    if (this.waiters.length === 0) return
    const settled =
      this.finished ||
      (this.summary.status === 'paused' && this.running.size === 0 && this.preparing.size === 0)
    if (!settled) return
    const waiters = this.waiters.splice(0)
    this.chain.then(() => {
      if (this.halted) for (const w of waiters) w.reject(this.halted)
      else for (const w of waiters) w.resolve(structuredClone(this.summary))
    })
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────────

  private assertActive(): void {
    if (this.finished || this.stopping) {
      throw new WeftError('run_finished', `run ${this.id} is ${this.summary.status}`, {
        hint: 'start a new run',
      })
    }
  }

  private armRunTimer(): void {
    if (this.plan.timeoutMs === undefined || this.runTimer) return
    const started = Date.parse(this.summary.startedAt ?? this.summary.createdAt)
    const ms = this.plan.timeoutMs
    this.runTimer = setTimeout(
      () =>
        this.stop({
          kind: 'run_timeout',
          reason: `the run timed out after ${ms} ms`,
          error: { code: 'run_timeout', message: `the run timed out after ${ms} ms` },
        }),
      Math.max(0, started + ms - Date.now()),
    )
  }

  private clearTimers(): void {
    if (this.runTimer) clearTimeout(this.runTimer)
    for (const timer of this.retryTimers.values()) clearTimeout(timer)
    this.retryTimers.clear()
  }

  private scope(): Scope {
    return {
      inputs: this.spec.inputs,
      tasks: this.scopeTasks,
      run: { id: this.id, name: this.summary.name },
      memory: { run: this.runMemory },
    }
  }

  /** A committed task's status moves its count from the status it was counted with. */
  private recount(taskId: string): void {
    const status = this.tasks.get(taskId)?.status
    const before = this.counted.get(taskId)
    if (status === undefined || status === before) return
    if (before === undefined) this.counts.total++
    else this.counts[before]--
    this.counts[status]++
    this.counted.set(taskId, status)
  }

  /**
   * Orders the tasks so that each comes after its needs (depth first, in declaration order, with
   * an explicit stack so that a chain of 100,000 tasks cannot overflow the call stack), and
   * indexes what the scheduler looks up: positions, dependents, approval gates, pending checks.
   */
  private computeTopo(): void {
    const order: string[] = []
    const seen = new Set<string>()
    const frames: { id: string; needs: readonly string[]; next: number }[] = []
    const enter = (id: string) => {
      seen.add(id)
      frames.push({ id, needs: this.tasks.get(id)?.needs ?? [], next: 0 })
    }
    for (const t of [...this.tasks.values()].sort((a, b) => a.order - b.order)) {
      if (seen.has(t.taskId)) continue
      enter(t.taskId)
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
    this.topo = order
    this.topoIndex = new Map(order.map((id, i) => [id, i]))
    this.dependents = new Map()
    for (const t of this.tasks.values()) {
      for (const n of t.needs) {
        const list = this.dependents.get(n)
        if (list) list.push(t.taskId)
        else this.dependents.set(n, [t.taskId])
      }
    }
    this.approvalGates = order.filter((id) => this.plan.tasks.get(id)?.approval)
    // Positions changed: every pending task is looked at again, in the new order.
    this.pendingChecks = new KeyHeap<number>((a, b) => a < b)
    order.forEach((id, at) => {
      if (this.tasks.get(id)!.status === 'pending') this.pendingChecks.push(at)
    })
  }
}

/**
 * `tasks` of the template scope: `tasks.<id>` is `{ output, text, status }` of a succeeded task
 * and `{ status }` of any other, read from the live task states when a template reads it, so
 * that a run of 100,000 tasks does not build 100,000 entries for every task it prepares.
 * Templates only read tasks upstream of theirs, whose states no longer change.
 */
function taskScopeView(tasks: ReadonlyMap<string, TaskState>): Record<string, unknown> {
  const entry = (t: TaskState) =>
    t.status === 'succeeded'
      ? { output: t.output ?? null, text: t.text ?? toText(t.output), status: t.status }
      : { status: t.status }
  const own = (key: string | symbol) => (typeof key === 'string' ? tasks.get(key) : undefined)
  return new Proxy({} as Record<string, unknown>, {
    get: (_, key) => {
      const t = own(key)
      return t ? entry(t) : undefined
    },
    has: (_, key) => own(key) !== undefined,
    ownKeys: () => [...tasks.keys()],
    getOwnPropertyDescriptor: (_, key) => {
      const t = own(key)
      return t ? { value: entry(t), writable: false, enumerable: true, configurable: true } : undefined
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  })
}

/** A rejected promise that does not count as unhandled when a caller ignores it. */
function handledRejection(err: Error): Promise<never> {
  const p = Promise.reject(err)
  p.catch(() => {})
  return p
}

function toText(value: Json | undefined): string {
  if (value === undefined || value === null) return ''
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function isTerminalRun(status: RunSummary['status']): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled'
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
