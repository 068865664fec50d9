/**
 * One run being executed, as the host (runtime.ts) sees it: creating or loading a run, starting
 * it, the controls, and the questions the host asks (finished? how many slots?). A thin facade:
 * the state lives in `LiveRun` and changes only through the reducer; the decisions live in the
 * modules of this folder.
 */
import type { Diagnostic, Json, JsonObject, RunSpec, RunSummary, TaskSpec, TaskState } from '@weft/spec'
import { isTerminalRunStatus } from '@weft/spec'
import { armApprovalTimeout } from './approvals.js'
import { abortAttempt, scheduleRetry } from './attempt.js'
import { abandonCompensation, resumeCompensation } from './compensation.js'
import * as controls from './controls.js'
import type { ExecutionDeps } from './execution-deps.js'
import { LiveRun } from './live-run.js'
import { emptyRunState, RunState } from './state.js'
import { cancelTask, type TaskCancelOutcome } from './task-cancel.js'
import { stopRun } from './transitions.js'

export type { ExecutionDeps } from './execution-deps.js'
export { countTasks } from './state.js'

export interface ReusedOutput {
  fromRunId: string
  output?: Json
  text?: string
}

export class RunExecution {
  private constructor(private readonly run: LiveRun) {
    run.facade = this
  }

  get id(): string {
    return this.run.id
  }

  get spec(): RunSpec {
    return this.run.spec
  }

  get summary(): RunSummary {
    return this.run.summary
  }

  /**
   * The summary as last committed: what a reader outside the run should see. The live one may
   * already say `succeeded` while the commit of the run's last events is still on its way, so its
   * `lastSeq` would not count them yet.
   */
  get committedSummary(): RunSummary {
    return this.run.log.committedSummary ?? this.run.summary
  }

  /** The live task states by id (read only: they change through the reducer). */
  get tasks(): ReadonlyMap<string, TaskState> {
    return this.run.state.tasks
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
    const run = new LiveRun(
      deps,
      spec,
      emptyRunState(id, {
        initiator: spec.initiator,
        tags: spec.tags,
        ...(spec.parent ? { parent: spec.parent } : {}),
      }),
    )
    const exec = new RunExecution(run)
    const taskIds = [...run.plan.tasks.keys()]
    run.record({
      type: 'run.created',
      data: {
        name: spec.workflow.name,
        ...(spec.source ? { source: spec.source } : {}),
        inputs: spec.inputs as JsonObject,
        taskIds,
        diagnostics,
        ...(spec.trace ? { trace: spec.trace } : {}),
        ...(spec.parent ? { parent: spec.parent } : {}),
      },
    })
    for (const p of run.plan.tasks.values()) {
      // One literal with exactly its fields, no spread: an object with a field added after it was
      // made carries a second array for it, and every run keeps this one per task.
      const data = p.backend
        ? { needs: p.needs, priority: p.priority, backend: p.backend }
        : { needs: p.needs, priority: p.priority }
      run.recordAtCreation({ type: 'task.added', taskId: p.id, data })
    }
    // A rerun's reused outputs, in declaration order; a run that reuses nothing skips the walk.
    if (reuse.size > 0) {
      for (const taskId of taskIds) {
        const reused = reuse.get(taskId)
        if (!reused) continue
        run.record({
          type: 'task.reused',
          taskId,
          data: {
            fromRunId: reused.fromRunId,
            output: reused.output ?? null,
            ...(reused.text !== undefined ? { text: reused.text } : {}),
          },
        })
      }
    }
    run.graph.rebuild()
    await run.flush(true)
    return exec
  }

  /** Rebuilds an execution from the store, to act on a run that no process is running (e.g. paused). */
  static async load(deps: ExecutionDeps, id: string): Promise<RunExecution | undefined> {
    const [summary, spec, tasks] = await Promise.all([
      deps.store.runs.get(id),
      deps.store.runs.getSpec(id),
      deps.store.tasks.list(id),
    ])
    if (!summary || !spec) return undefined
    const state = new RunState(summary)
    for (const t of [...tasks].sort((a, b) => a.order - b.order)) state.setTask(t)
    const run = new LiveRun(deps, spec, state)
    await run.memory.loadRun()
    const exec = new RunExecution(run)
    if (isTerminalRunStatus(summary.status)) run.phase = { name: 'finished' }
    else if (summary.compensation?.status === 'running') resumeCompensation(run)
    else {
      for (const t of tasks) if (t.status === 'retrying') scheduleRetry(run, t.taskId, t.nextRetryAt)
      for (const t of tasks)
        if (t.approval?.status === 'waiting')
          armApprovalTimeout(run, t, run.plan.tasks.get(t.taskId)?.approval)
      exec.armRunTimer()
    }
    return exec
  }

  /** Running tasks recorded in the store that this process did not start (another process, or a crash). */
  get orphanedRunningTasks(): string[] {
    const out: string[] = []
    for (const t of this.run.state.tasks.values())
      if (t.status === 'running' && !this.run.attempts.has(t)) out.push(t.taskId)
    return out
  }

  get isFinished(): boolean {
    return this.run.phase.name === 'finished'
  }

  /** Tasks that could start now but wait for a slot (or for dispatch to resume). */
  get waitingForSlot(): number {
    let n = 0
    for (const t of this.run.state.tasks.values()) if (this.run.isReady(t)) n++
    return n
  }

  /** Attempts of this run that hold a slot (preparing or running). */
  get holdingSlots(): number {
    return this.run.attempts.size
  }

  begin(): Promise<void> {
    const run = this.run
    run.record({
      type: 'run.started',
      data: { maxParallelism: run.plan.maxParallelism, mode: run.plan.mode },
    })
    this.armRunTimer()
    const committed = run.flush()
    // The first dispatch happens after `start()` has returned: a caller that subscribes to the run
    // as soon as it has the run's id sees its first attempts start.
    setImmediate(() => run.pump())
    return committed
  }

  cancel(reason = 'canceled'): Promise<void> {
    return controls.cancel(this.run, reason)
  }

  /** Cancels one task (its dependents are skipped, the rest goes on); commits before resolving. */
  async cancelTask(taskId: string, reason = 'canceled'): Promise<TaskCancelOutcome> {
    const outcome = cancelTask(this.run, taskId, reason)
    await this.run.flush()
    return outcome
  }

  /** Resolves once what is recorded so far is committed. */
  flushed(): Promise<void> {
    return this.run.flush()
  }

  pause(reason: 'manual' | 'budget' = 'manual'): Promise<void> {
    return controls.pause(this.run, reason)
  }

  resume(options: controls.ResumeOptions = {}): Promise<void> {
    return controls.resume(this.run, options)
  }

  addTasks(specs: Record<string, TaskSpec>): Promise<void> {
    return controls.addTasks(this.run, specs)
  }

  /** Resolves when the run is finished, or paused with nothing running: a point where someone must act. */
  settled(): Promise<RunSummary> {
    return this.run.settled()
  }

  /** `inFlight`: attempts a worker still runs (`TaskExecutor.inFlight`), followed instead of rerun. */
  adopt(
    owner: string,
    previousOwner?: string,
    inFlight?: ReadonlyMap<string, number>,
  ): Promise<{ interrupted: string[]; kept: string[] }> {
    return controls.adopt(this.run, owner, previousOwner, () => this.begin(), inFlight)
  }

  /** Starts no new attempts from now on; resolves when none is running. */
  drain(): Promise<void> {
    if (this.run.phase.name === 'active') this.run.phase = { name: 'draining' }
    return this.run.idle()
  }

  idle(): Promise<void> {
    return this.run.idle()
  }

  /**
   * Aborts the running attempts for a shutdown. Each is recorded as interrupted and queued again,
   * so the run continues (as a new attempt) when a runtime recovers it.
   */
  interruptRunning(message: string): void {
    if (this.run.phase.name === 'active') this.run.phase = { name: 'draining' }
    for (const a of this.run.attempts.values()) abortAttempt(this.run, a, { kind: 'shutdown', message })
  }

  /** Stops acting on this run: commits what is recorded, then drops timers. The store keeps the state. */
  async detach(): Promise<void> {
    const run = this.run
    if (run.phase.name === 'active') run.phase = { name: 'draining' }
    await run.flush().catch(() => {})
    // A compensation in flight is let go: the process that recovers the run starts it again.
    abandonCompensation(run, 'the runtime is closing')
    if (run.acting) run.phase = { name: 'detached' }
    run.timers.clear()
    for (const a of run.attempts.values())
      a.controller.abort({ kind: 'shutdown', message: 'the runtime is closing' })
    await run.log.settled()
  }

  /** This process no longer owns the run (its lease was taken): stop without writing. */
  abandon(reason: Error): void {
    this.run.halt(reason)
  }

  /** Called by the runtime when slots free up elsewhere, or when it wants this run re-examined. */
  pump(): void {
    this.run.pump()
  }

  private armRunTimer(): void {
    const run = this.run
    const ms = run.plan.timeoutMs
    if (ms === undefined) return
    const started = Date.parse(run.summary.startedAt ?? run.summary.createdAt)
    const message = `the run timed out after ${ms} ms`
    run.timers.armRun(started + ms, () =>
      run.grouped(() =>
        stopRun(run, { kind: 'run_timeout', reason: message, error: { code: 'run_timeout', message } }),
      ),
    )
  }
}
