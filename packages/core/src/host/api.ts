/** The `Runtime` interface: what a composed runtime offers its callers (CLI, server, embedders). */
import type {
  Backend,
  BudgetSpec,
  DiagnosticsMode,
  Json,
  Page,
  QueueChange,
  RunFilter,
  RunLease,
  RunSpecInput,
  RunStatus,
  RunSummary,
  RuntimeLifecycleEvent,
  Store,
  TaskQuery,
  TaskState,
  WeftEvent,
  WorkflowInput,
} from '@weft/spec'
import type { EventListener } from '../runtime/event-bus.js'
import type { Locator } from '../workflow/load.js'
import type { ValidationResult } from '../workflow/validate.js'
import type { TaskCancelResult } from './task-control.js'

export type { TaskCancelResult } from './task-control.js'

/** What `recover` did with one unfinished run. */
export interface RecoveryReport {
  runId: string
  name?: string
  /**
   * `recovered`: this runtime took it over and continues it. `owned`: another process holds its
   * lease (see `holder`). `paused`: it waits for someone (approval or manual pause) and nobody runs
   * it; resume it. `finished`: it ended meanwhile.
   */
  outcome: 'recovered' | 'owned' | 'paused' | 'finished'
  /** Tasks that were running when their process stopped; they run again. */
  interrupted?: string[]
  /** Tasks that had succeeded; they are not run again. */
  kept?: string[]
  lease?: RunLease
  /**
   * With `owned`: `alive` when the holder runs on this host and was seen alive; `unverified` when
   * it cannot be checked from here (another host, or an owner name without a pid), so only the
   * lease's expiry tells that it died.
   */
  holder?: 'alive' | 'unverified'
  /**
   * With `recovered`, when another process held the run: why it could be taken (`dead`: it ran on
   * this host and is gone, a zombie, or its pid now names another process; `expired`: its lease
   * ran out; `released`: it let go, e.g. at shutdown).
   */
  previousOwner?: { owner: string; because: 'dead' | 'expired' | 'released' }
  /** Process groups of the earlier attempts that were still running and were ended first. */
  endedProcesses?: number
}

export interface ShutdownOptions {
  /** How long running tasks may take to finish before they are interrupted. Default 10000 ms. */
  graceMs?: number
}

export interface StartOptions {
  /** The workflow's file and a locator, so diagnostics point at lines. */
  file?: string
  locate?: Locator
  /**
   * Record the run (`pending`) without running it in this process: a process that recovers
   * unowned runs (`weft worker`, `recover({ keepTrying })`) starts it. Needs a store shared by
   * processes (`multiProcess`); `start` then returns the pending run's summary.
   */
  detach?: boolean
}

export interface EventsOptions {
  /** Only events with `seq` greater than this. */
  after?: number
  /** Keep waiting for new events until the run finishes. */
  follow?: boolean
  /** Include live-only text deltas (only while following a run of this process). */
  deltas?: boolean
  signal?: AbortSignal
}

/** Runtime-wide dispatch: what runs and waits across every run of this runtime. */
export interface RuntimeQueueStatus {
  /** `pauseQueue()` was called: no new attempts start until `resumeQueue()`. */
  paused: boolean
  /** Why it was paused. */
  reason?: string
  /** Who paused or resumed it last. */
  by?: string
  /** When it last changed. */
  changedAt?: string
  /**
   * The flag is kept in the store (`store.queue`): every process that shares the store honours
   * it, and it outlives this one. False: it is this runtime's alone.
   */
  durable: boolean
  /** Unfinished runs this runtime runs (running, paused or winding down). */
  activeRuns: number
  /** Attempts holding a slot (preparing or running). */
  runningTasks: number
  /** Tasks ready to start that wait for a slot (or for dispatch to resume). */
  queuedTasks: number
  /** The runtime-wide cap on running tasks (`maxParallelism`). */
  capacity: number
  /** Runs in the store by status (every run, not only this runtime's). */
  runs: Record<RunStatus, number>
}

export interface RecoverOptions {
  /** Only this run; a run held by a live process is then refused with `conflict`. */
  runId?: string
  /**
   * Runs that a live lease holds are tried again in the background (every `recoveryRetryMs`) until
   * this runtime takes them, they finish, or they pause; for a service that recovers at start-up
   * (`weft serve`). Stops at `shutdown`/`close`.
   */
  keepTrying?: boolean
}

export interface Runtime {
  readonly store: Store
  readonly backends: ReadonlyMap<string, Backend>
  /** Validates a workflow against this runtime's backends without running it. */
  validate(
    workflow: unknown,
    options?: StartOptions & {
      inputs?: Record<string, Json>
      backend?: string
      diagnostics?: DiagnosticsMode
    },
  ): ValidationResult
  /** Validates and starts a run. Throws `workflow_invalid` with every diagnostic; writes nothing then. */
  start(
    spec: RunSpecInput | (Omit<RunSpecInput, 'workflow'> & { workflow: WorkflowInput }),
    options?: StartOptions,
  ): Promise<RunSummary>
  get(runId: string): Promise<RunSummary | undefined>
  tasks(runId: string): Promise<TaskState[]>
  list(filter?: RunFilter): Promise<Page<RunSummary>>
  events(runId: string, options?: EventsOptions): AsyncIterable<WeftEvent>
  /** Live events of all runs (or one run) of this process. Returns the unsubscribe function. */
  subscribe(listener: EventListener, runId?: string): () => void
  /**
   * The runtime's own events, `runtime.started` (its store opened) and `runtime.stopped` (after its
   * shutdown): not in any run's log; trace sinks get them too. A listener added after the start
   * gets `runtime.started` at once. Returns the unsubscribe function.
   */
  onLifecycle(listener: (event: RuntimeLifecycleEvent) => void): () => void
  /** Resolves when the run is finished, or paused with nothing running. */
  wait(runId: string, options?: { signal?: AbortSignal }): Promise<RunSummary>
  /**
   * Cancels a run. A run another live process runs gets a signal (that process stops it); a run
   * whose process died (or whose lease expired) is taken over here and recorded as canceled.
   */
  cancel(runId: string, reason?: string): Promise<RunSummary>
  pause(runId: string): Promise<RunSummary>
  /** Resumes a paused run; with `token`, answers an approval and `input` becomes the task's output. */
  resume(
    runId: string,
    options?: {
      token?: string
      input?: Json
      /** Reject the approval of `token` with this reason instead of approving it. */
      reject?: string
      /** Who answers (an API key's name, `cli:<user>`), kept on the approval. */
      by?: string
      budget?: BudgetSpec
    },
  ): Promise<RunSummary>
  addTasks(runId: string, tasks: Record<string, unknown>): Promise<RunSummary>
  /**
   * Stops dispatch: no run starts a new attempt (running ones finish). Runs can still be started;
   * their tasks queue up. Idempotent. With a store that keeps the flag (`store.queue`) it is
   * durable: every process sharing the store stops dispatching within its `queuePollMs`, and the
   * change is kept in the queue's history. Takes effect in this runtime at once, before the
   * returned promise resolves.
   */
  pauseQueue(change?: { reason?: string; by?: string }): Promise<RuntimeQueueStatus>
  /** Dispatches again after `pauseQueue` (everywhere, when durable). Idempotent. */
  resumeQueue(change?: { by?: string; reason?: string }): Promise<RuntimeQueueStatus>
  queueStatus(): Promise<RuntimeQueueStatus>
  /** The queue flag's changes, newest first (empty when the store does not keep them). */
  queueHistory(options?: { limit?: number }): Promise<QueueChange[]>
  /** Tasks across runs (every run in the store, not only this runtime's), newest run first. */
  queryTasks(query?: TaskQuery): Promise<TaskState[]>
  /**
   * Cancels one task: it ends `canceled`, its dependents are skipped, the rest of the run goes
   * on. A task of a run another live process runs gets a signal; `outcome` says what happened.
   */
  cancelTask(runId: string, taskId: string, reason?: string): Promise<TaskCancelResult>
  /**
   * Continues unfinished runs whose process stopped (all of them, or one): succeeded tasks are
   * kept, tasks that were running run again as a new attempt, after the process groups their
   * earlier attempt left on this host are ended. A holder on this host that is dead (pid gone,
   * zombie, pid reused) does not protect its runs; a live one, or one on another host until its
   * lease expires, does: such a run is reported `owned` (or, when named, refused with `conflict`).
   */
  recover(options?: RecoverOptions): Promise<RecoveryReport[]>
  /**
   * Starts a new run of the same spec that reuses the recorded outputs of every task that
   * succeeded and is not `from` or downstream of it.
   */
  rerun(runId: string, options: { from: string; initiator?: RunSpecInput['initiator'] }): Promise<RunSummary>
  /**
   * Graceful stop: no new attempts, running tasks get `graceMs` to finish, the rest are recorded
   * as interrupted (a later `recover` runs them again), leases are released, the store closes.
   */
  shutdown(options?: ShutdownOptions): Promise<void>
  /**
   * Stops this runtime: running attempts are aborted (a shell command is killed) but their tasks
   * stay `running` in the store, as after a crash, so a later recovery can run them again; then
   * backends are disposed and the store closes.
   */
  close(): Promise<void>
}
