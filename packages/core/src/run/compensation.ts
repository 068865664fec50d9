/**
 * Compensation (seed 004's rollbacks). When a run fails or is canceled, the `compensate:` calls of
 * its tasks that succeeded run one at a time, in reverse order of completion, and only then is the
 * run's end recorded: a compensating run has not ended.
 *
 * Every step is an event folded by the reducer (`run.compensating` lists them in order, then
 * `compensation.started|succeeded|failed|canceled`), and each start is committed before its backend
 * is called. So a process that recovers the run after a crash knows which compensations finished
 * (never run again), which one was started but not finished (run again: a backend call cannot be
 * made atomic with the log, so that one is at-least-once) and which are left (none is skipped).
 *
 * Cancel: a cancel of a run that failed marks it `canceling` and the compensations go on; a cancel
 * of a run that is already canceling (the cancel that started them, then a second one) aborts the
 * compensation in flight and cancels the ones left. A failed compensation is recorded and the next
 * one runs; compensations are not retried. They run in the process that owns the run (not through
 * the dispatch seam) and take no slot of the runtime's pool.
 */
import type {
  CompensatingData,
  ErrorInfo,
  Json,
  RunCompensation,
  TaskResult,
  TaskState,
  Usage,
} from '@weft/spec'
import { type AbortReason, BackendError } from '@weft/spec'
import { toErrorInfo, toJsonValue } from '../runtime/errors.js'
import type { TimerHandle } from './clock.js'
import { FINISHED_COMPENSATION } from './compensation-fold.js'
import { compensationContext, plannedOf, prepareCompensation } from './compensation-request.js'
import type { LiveRun } from './live-run.js'

/** How the run ends once its compensations are done. */
export type RunEnd =
  | { outcome: 'succeeded' }
  | ({ outcome: 'failed' | 'canceled' } & Omit<CompensatingData, 'tasks' | 'outcome'>)

interface InFlight {
  taskId: string
  backend: string
  controller: AbortController
  timers: TimerHandle[]
  settled: boolean
  /** The backend reported usage while it ran: its result's usage is the same, not more. */
  usageReported?: boolean
}

/** The compensation phase of one run in this process: which one runs, and whether a cancel aborted them. */
export class CompensationDrive {
  current?: InFlight
  /** A cancel of a canceling run: the one in flight is aborted, the rest are canceled. */
  abortReason?: string
  /** Reading the order from the store. */
  private loading = false
  /** The order was read and no succeeded task has a compensation to run (e.g. all were reused). */
  private none = false
  /** Entries before it are finished. */
  private cursor = 0

  constructor(
    private readonly run: LiveRun,
    readonly end: RunEnd,
  ) {}

  private get mine(): boolean {
    const p = this.run.phase
    return p.name === 'compensating' && p.drive === this
  }

  /** Starts the next compensation when none runs; false once every one is finished. */
  next(): boolean {
    if (this.current || this.loading) return true
    const comp = this.run.summary.compensation
    if (!comp) {
      if (this.none) return false
      this.load()
      return true
    }
    const tasks = comp.tasks
    while (this.cursor < tasks.length && FINISHED_COMPENSATION.has(tasks[this.cursor]!.status)) this.cursor++
    if (this.cursor >= tasks.length) return false
    if (this.abortReason !== undefined) {
      for (const t of tasks.slice(this.cursor))
        this.run.record({
          type: 'compensation.canceled',
          taskId: t.taskId,
          data: { reason: this.abortReason },
        })
      return false
    }
    this.start(tasks[this.cursor]!)
    return true
  }

  /** Commits the tasks' outcomes, reads the order in which they succeeded, records it. */
  private load(): void {
    this.loading = true
    const run = this.run
    void run
      .flush()
      .then(() => completionOrder(run))
      .then(
        (order) =>
          run.grouped(() => {
            this.loading = false
            if (!this.mine) return
            if (order.length === 0) this.none = true
            else if (this.end.outcome !== 'succeeded') {
              const { outcome, ...why } = this.end
              run.record({
                type: 'run.compensating',
                severity: 'warn',
                data: { tasks: order, outcome, ...why },
              })
            }
            run.pump()
          }),
        (err: unknown) => {
          this.loading = false
          // Recovery continues from the log; this process stops acting on the run.
          if (this.mine) run.halt(err instanceof Error ? err : new Error(String(err)))
        },
      )
  }

  private start(entry: RunCompensation['tasks'][number]): void {
    const run = this.run
    const taskId = entry.taskId
    const attempt = entry.attempt + 1
    const planned = plannedOf(run, taskId)
    const backendId = run.spec.backend ?? planned?.compensate?.backend ?? planned?.backend ?? 'unknown'
    run.record({ type: 'compensation.started', taskId, attempt, data: { backend: backendId } })
    const flight: InFlight = {
      taskId,
      backend: backendId,
      controller: new AbortController(),
      timers: [],
      settled: false,
    }
    this.current = flight
    const startedMs = run.clock.now()
    const timeoutMs = planned?.compensate?.timeoutMs
    if (timeoutMs !== undefined) {
      const message = `the compensation of '${taskId}' timed out after ${timeoutMs} ms`
      flight.timers.push(
        run.clock.setTimeout(
          () => flight.controller.abort({ kind: 'timeout', message } satisfies AbortReason),
          timeoutMs,
          // A process shutting down does not wait for it: the compensation is let go then anyway.
          { unref: true },
        ),
      )
    }
    // The start is committed before the backend is called: a crash never hides a started compensation.
    run
      .flush()
      .then(() => {
        if (!this.mine || flight.controller.signal.aborted) throw abortError(flight.controller.signal)
        const { backend, request } = prepareCompensation(run, taskId, attempt, backendId, planned)
        const onUsage = (usage: Partial<Usage> & { model?: string }) =>
          run.grouped(() => {
            if (flight.settled || !this.mine) return
            flight.usageReported = true
            run.ledger.recordUsage(taskId, undefined, usage, 'compensate', backendId)
            void run.flush()
          })
        return backend.execute(request, compensationContext(run, request, flight.controller.signal, onUsage))
      })
      .then(
        (result) => this.settle(flight, startedMs, { ok: true, result }),
        (error: unknown) => this.settle(flight, startedMs, { ok: false, error }),
      )
  }

  private settle(
    flight: InFlight,
    startedMs: number,
    outcome: { ok: true; result: TaskResult } | { ok: false; error: unknown },
  ): void {
    if (flight.settled) return
    flight.settled = true
    const run = this.run
    for (const t of flight.timers) run.clock.clearTimeout(t)
    if (this.current === flight) this.current = undefined
    // Detached or halted meanwhile: nothing is recorded, and the process that recovers the run
    // starts this compensation again.
    if (!this.mine) return
    const taskId = flight.taskId
    const durationMs = run.clock.now() - startedMs
    const abort = flight.controller.signal.reason as AbortReason | undefined
    run.grouped(() => {
      if (outcome.ok && outcome.result.usage && !flight.usageReported)
        run.ledger.recordUsage(taskId, undefined, outcome.result.usage, 'compensate', flight.backend)
      if (outcome.ok) {
        let output: Json
        try {
          output = toJsonValue(outcome.result.output ?? outcome.result.text ?? null)
        } catch (err) {
          const error = { code: 'bad_output', message: `the output is not JSON: ${(err as Error).message}` }
          run.record({ type: 'compensation.failed', taskId, data: { error, durationMs } })
          run.pump()
          return
        }
        run.record({ type: 'compensation.succeeded', taskId, data: { output, durationMs } })
      } else if (flight.controller.signal.aborted && abort?.kind === 'cancel') {
        run.record({ type: 'compensation.canceled', taskId, data: { reason: abort.message } })
      } else {
        const error: ErrorInfo =
          flight.controller.signal.aborted && abort?.kind === 'timeout'
            ? { code: 'timeout', message: abort.message }
            : toErrorInfo(outcome.error)
        run.record({ type: 'compensation.failed', taskId, data: { error, durationMs } })
      }
      run.pump()
    })
  }

  /** Aborts the compensation in flight: a cancel (recorded), or a shutdown (not recorded). */
  abort(reason: AbortReason): void {
    const flight = this.current
    if (!flight || flight.controller.signal.aborted) return
    flight.controller.abort(reason)
    if (reason.kind !== 'cancel') return
    const run = this.run
    // A backend that ignores its signal is let go after the cancel grace, so a cancel always ends.
    flight.timers.push(
      run.clock.setTimeout(
        () =>
          this.settle(flight, run.clock.now(), {
            ok: false,
            error: new BackendError('canceled', reason.message),
          }),
        run.deps.cancelGraceMs,
        { unref: true },
      ),
    )
  }
}

/**
 * Called where the run would record its end (`finalize`). True while compensations are to run (the
 * end waits); false when there are none, or all are finished, and the run may end now.
 */
export function compensating(run: LiveRun, end: RunEnd): boolean {
  let phase = run.phase
  if (phase.name !== 'compensating') {
    const recorded = run.summary.compensation
    if (recorded ? recorded.status === 'done' : end.outcome === 'succeeded' || !hasCompensations(run))
      return false
    phase = run.phase = { name: 'compensating', drive: new CompensationDrive(run, end) }
    // Retry waits, approval deadlines and the run's timeout are over: every task has finished.
    run.timers.clear()
  }
  return phase.drive.next()
}

/** How a run whose compensation began ends: as its `run.compensating` said. */
export function recordedEnd(c: RunCompensation): RunEnd {
  return {
    outcome: c.outcome,
    ...(c.error ? { error: c.error } : {}),
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
  }
}

/** A run loaded from the store in the middle of its compensations continues them (recovery). */
export function resumeCompensation(run: LiveRun): void {
  const c = run.summary.compensation
  if (c?.status === 'running')
    run.phase = { name: 'compensating', drive: new CompensationDrive(run, recordedEnd(c)) }
}

/**
 * A cancel while compensating. The first cancel of a run that failed lets the compensations go on
 * (the run is `canceling`); a cancel of a run already canceling aborts them.
 */
export function cancelCompensation(run: LiveRun, reason: string): void {
  if (run.phase.name !== 'compensating') return
  const drive = run.phase.drive
  if (run.state.status !== 'canceling') {
    run.record({
      type: 'run.canceling',
      data: { reason: `${reason} (its compensations go on; cancel again to abort them)` },
    })
    return
  }
  if (drive.abortReason !== undefined) return
  drive.abortReason = reason
  drive.abort({ kind: 'cancel', message: reason })
  run.pump()
}

/** The process stops acting on the run (shutdown, lost lease): the compensation in flight is let go. */
export function abandonCompensation(run: LiveRun, message: string): void {
  if (run.phase.name === 'compensating') run.phase.drive.abort({ kind: 'shutdown', message })
}

/** Whether a succeeded task has a compensation (a mapped task compensates through its items). */
function compensable(run: LiveRun, t: TaskState): boolean {
  if (t.status !== 'succeeded' || t.map !== undefined) return false
  return plannedOf(run, t.taskId)?.compensate !== undefined
}

function hasCompensations(run: LiveRun): boolean {
  for (const t of run.state.tasks.values()) if (compensable(run, t)) return true
  return false
}

/**
 * The tasks to compensate, the last to succeed first. The order comes from the log (the seq of
 * each `task.succeeded`): timestamps can tie. A task reused by a rerun (`task.reused`) did nothing
 * in this run and is not compensated.
 */
async function completionOrder(run: LiveRun): Promise<string[]> {
  const events = await run.deps.store.events.query({
    runId: run.id,
    types: ['task.succeeded'],
    limit: run.state.tasks.size + 1,
  })
  const seqOf = new Map<string, number>()
  for (const e of events) if (e.taskId !== undefined) seqOf.set(e.taskId, e.seq)
  const order: string[] = []
  for (const t of run.state.tasks.values())
    if (seqOf.has(t.taskId) && compensable(run, t)) order.push(t.taskId)
  return order.sort((a, b) => seqOf.get(b)! - seqOf.get(a)!)
}

function abortError(signal: AbortSignal): BackendError {
  const reason = signal.reason as AbortReason | undefined
  return new BackendError('canceled', reason?.message ?? 'the compensation was aborted before it started')
}
