/**
 * The dispatch seam. The run decides that a task starts (which attempt, with which rendered
 * request, after its budget check) and commits that decision; a `TaskExecutor` then executes it
 * and reports back: backend events as they happen, and the result (or the error) at the end. The
 * run turns both into stored events. In-process execution (in-process-executor.ts) is one
 * executor; a worker that claims attempts from a shared store is meant to be another, behind the
 * same interface: it sends the request to the worker, relays the worker's events to `emit`, and
 * resolves `result` from the worker's report. Nothing in it decides anything about the run.
 */
import type { AbortReason, BackendEvent, TaskRequest, TaskResult } from '@weft/spec'

/** One attempt the run decided to start: everything needed to execute it. */
export interface DispatchedAttempt {
  runId: string
  taskId: string
  /** 1 for the first attempt. */
  attempt: number
  /** The id of the backend that runs it. */
  backend: string
  /** Templates rendered, options parsed, context built; `request.attempt` is `attempt`. */
  request: TaskRequest
  /** The task's priority (0 highest … 100 lowest): the order a shared queue hands attempts out in. */
  priority?: number
}

/**
 * An executor rejects an attempt's result with this when the attempt was lost without an outcome
 * (the worker running it stopped or missed its lease): not the task's fault, so the run records it
 * as interrupted and the task runs again as a new attempt, as after a crash.
 */
export class AttemptLostError extends Error {
  override readonly name = 'AttemptLostError'
}

export interface AttemptIO {
  /**
   * Aborts when the run cancels the attempt, its timeout passes, the run fails fast or the runtime
   * shuts down; `signal.reason` is an `AbortReason` saying which. The run decides the outcome from
   * that reason, so an executor only has to stop.
   */
  signal: AbortSignal
  /**
   * Calls `listener` once when the attempt aborts (at once if it has), with the same reason as
   * `signal.reason`. Reading `signal` makes an AbortController for the attempt; an executor that
   * only needs to hear of the abort (one that queues the attempt elsewhere) can use this instead.
   * Optional: executors fall back to `signal`.
   */
  onAbort?(listener: (reason: AbortReason) => void): void
  /** Backend events as they happen (the run maps them to stored events and live deltas). */
  emit(event: BackendEvent): void
}

/** An attempt being executed. */
export interface RunningAttempt {
  /** The backend's result once the attempt is done (artifacts kept), or its error. */
  result: Promise<TaskResult>
  /** Suspends the attempt where the backend can (e.g. SIGSTOP); does nothing otherwise. */
  suspend(): Promise<void>
  /** Continues a suspended attempt. */
  resume(): Promise<void>
}

export interface TaskExecutor {
  /** Starts executing one attempt. Called only after the attempt's start is committed. */
  start(attempt: DispatchedAttempt, io: AttemptIO): RunningAttempt
  /**
   * When this process takes a run over: the attempts of the run that are still being executed
   * elsewhere (queued, or held by a live worker), task id → attempt number, now reported to this
   * process. The run follows them (`follow`) instead of running them again. Optional: without it
   * every attempt recorded as running is interrupted and runs again.
   */
  inFlight?(runId: string): Promise<ReadonlyMap<string, number>>
  /** Follows an attempt that `inFlight` named: its result comes as if this process had started it. */
  follow?(attempt: Omit<DispatchedAttempt, 'request'>, io: AttemptIO): RunningAttempt
}
