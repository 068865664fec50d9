/**
 * One attempt of a task, from its start to its outcome: the start is committed, then the executor
 * runs it (dispatch.ts); what the backend reports while it runs is recorded; its result becomes
 * the task's success, a retry, a failure, a cancel or an interruption. Its timers (the task's
 * timeout, the cancel grace) run on the run's clock.
 */
import type { BackendEvent, ErrorInfo, Json, TaskResult, TaskState, Usage } from '@weft/spec'
import { type AbortReason, BackendError } from '@weft/spec'
import { toErrorInfo, toJsonValue } from '../runtime/errors.js'
import { type PlannedTask, SUBWORKFLOW_BACKEND } from '../runtime/plan.js'
import { AttemptAbort } from './attempt-abort.js'
import { type MappedBackendEvent, mapBackendEvent } from './backend-events.js'
import { onSettled } from './batches.js'
import type { TimerHandle } from './clock.js'
import { type AttemptIO, AttemptLostError, type RunningAttempt } from './dispatch.js'
import type { LiveRun } from './live-run.js'
import type { PreparedTask } from './prepare.js'
import { resolveRetryPolicy, retriesOn, retryDelayMs } from './retry.js'
import { failTask, finishWithout } from './transitions.js'

export interface Attempt {
  taskId: string
  /** The task's order: its state is read by it (`run.taskAt`), not looked up by id. */
  order: number
  /** The attempt's number (the task's attempts so far, plus one). */
  number: number
  /** The attempt's own abort: preparation, compaction and execution all stop with its signal. */
  controller: AttemptAbort
  /** preparing → running → settled; `settled` once its outcome is known (or it never started). */
  stage: 'preparing' | 'running' | 'settled'
  startedMs: number
  timers: TimerHandle[]
  running?: RunningAttempt
  /** It took one of the runtime's slots (a subworkflow task, which only waits for its run, does not). */
  holdsSlot?: boolean
  /** Batched mode: backend events held back, recorded in batch order when the batch merges. */
  held?: MappedBackendEvent[]
}

type Outcome = { ok: true; result: TaskResult } | { ok: false; error: unknown }

/** Characters of a rendered prompt kept in `task.started`. */
const MAX_LOGGED_PROMPT = 16 * 1024

/** A new attempt for a ready task; the task's timeout starts now (preparation included). */
export function newAttempt(run: LiveRun, t: TaskState, planned = run.planned(t)): Attempt {
  const a: Attempt = {
    taskId: t.taskId,
    order: t.order,
    number: t.attempt + 1,
    controller: new AttemptAbort(),
    stage: 'preparing',
    startedMs: run.clock.now(),
    timers: [],
    // Set later: present from the start, so the object keeps one shape.
    running: undefined,
    holdsSlot: undefined,
    held: undefined,
  }
  const ms = planned!.timeoutMs
  if (ms !== undefined) {
    const message = `task '${t.taskId}' timed out after ${ms} ms`
    a.timers.push(run.clock.setTimeout(() => abortAttempt(run, a, { kind: 'timeout', message }), ms))
  }
  return a
}

/**
 * Follows an attempt an earlier owner of the run started and a worker still runs (see
 * `TaskExecutor.inFlight`): it holds a slot and settles like one this process started. False when
 * it cannot be followed (no follow, no free slot): the caller interrupts it instead.
 */
export function followAttempt(run: LiveRun, t: TaskState): boolean {
  const executor = run.executor
  const planned = run.plan.tasks.get(t.taskId)
  if (!executor.follow || !planned?.backend) return false
  const holdsSlot = planned.backend !== SUBWORKFLOW_BACKEND
  if (holdsSlot && !run.deps.slots.tryAcquire()) return false
  const a = newAttempt(run, { ...t, attempt: t.attempt - 1 })
  a.stage = 'running'
  a.holdsSlot = holdsSlot
  run.attempts.set(a)
  a.running = executor.follow(
    { runId: run.id, taskId: t.taskId, attempt: t.attempt, backend: planned.backend, priority: t.priority },
    {
      get signal() {
        return a.controller.signal
      },
      onAbort: (listener) => a.controller.onAbort(listener),
      emit: (event) => onBackendEvent(run, a, event),
    },
  )
  a.running.result.then(
    (result) => run.grouped(() => settleAttempt(run, a, { ok: true, result })),
    (error) => run.grouped(() => settleAttempt(run, a, { ok: false, error })),
  )
  return true
}

export function startAttempt(run: LiveRun, a: Attempt, prepared: PreparedTask, planned: PlannedTask): void {
  const t = run.taskAt(a.order)
  run.timers.forget(a.taskId)
  a.stage = 'running'
  a.startedMs = run.clock.now()
  run.batch?.started(a.taskId)
  const estimate = prepared.estimate
  // Optional fields assigned, not spread: this runs once per attempt. The backend is in the
  // literal: the store keeps this object, and one made empty has room for four fields.
  const data: {
    backend?: string
    model?: string
    prompt?: string
    promptTruncated?: boolean
    sessionId?: string
    estimate?: typeof estimate
  } = planned.backend ? { backend: planned.backend } : {}
  if (planned.model) data.model = planned.model
  // What was sent, for people reading the log (the web page's task panel); long ones are cut.
  const prompt = prepared.request.prompt
  if (prompt !== undefined) {
    data.prompt = prompt.length > MAX_LOGGED_PROMPT ? prompt.slice(0, MAX_LOGGED_PROMPT) : prompt
    if (prompt.length > MAX_LOGGED_PROMPT) data.promptTruncated = true
  }
  if (t.sessionId) data.sessionId = t.sessionId
  if (estimate) data.estimate = estimate
  run.record({ type: 'task.started', taskId: a.taskId, attempt: a.number, data }, t)
  if (estimate) run.ledger.reserve(a.taskId, estimate)
  // The start is committed before the backend is called: a crash never hides a running attempt.
  // The result is waited for where it is made: a `then` that returned it would make the chain
  // adopt it (a promise, two functions and a microtask more per attempt).
  run.flush().then(
    () => {
      let result: Promise<TaskResult>
      try {
        result = execute(run, a, prepared)
      } catch (error) {
        settleGrouped(run, a, { ok: false, error })
        return
      }
      result.then(
        (result) => settleGrouped(run, a, { ok: true, result }),
        (error) => settleGrouped(run, a, { ok: false, error }),
      )
    },
    (error) => settleGrouped(run, a, { ok: false, error }),
  )
}

/** `settleAttempt` inside a commit group (see CommitLog), without a closure. */
function settleGrouped(run: LiveRun, a: Attempt, outcome: Outcome): void {
  run.log.openGroup()
  try {
    settleAttempt(run, a, outcome)
  } finally {
    run.log.closeGroup()
  }
}

function execute(run: LiveRun, a: Attempt, prepared: PreparedTask): Promise<TaskResult> {
  if (a.controller.aborted) throw new BackendError('canceled', 'canceled before it started')
  a.running = run.executor.start(
    {
      runId: run.id,
      taskId: a.taskId,
      attempt: a.number,
      backend: prepared.backend.id,
      request: prepared.request,
      priority: run.taskAt(a.order).priority,
    },
    new AttemptChannel(run, a),
  )
  if (run.state.status === 'paused') void a.running.suspend()
  return a.running.result
}

/**
 * What the executor reports through: the attempt's signal (made on first read) and `emit`. A class
 * with `emit` made on first read too: a no-op backend reads neither, and a literal with a getter
 * and an arrow cost a closure, a getter function and its accessor pair per attempt.
 */
class AttemptChannel implements AttemptIO {
  private emitter?: (event: BackendEvent) => void

  constructor(
    private readonly run: LiveRun,
    private readonly a: Attempt,
  ) {}

  get signal(): AbortSignal {
    return this.a.controller.signal
  }

  onAbort(listener: (reason: AbortReason) => void): void {
    this.a.controller.onAbort(listener)
  }

  get emit(): (event: BackendEvent) => void {
    this.emitter ??= (event) => onBackendEvent(this.run, this.a, event)
    return this.emitter
  }
}

function onBackendEvent(run: LiveRun, a: Attempt, event: BackendEvent): void {
  if (a.stage !== 'running' || !run.acting) return
  const mapped = mapBackendEvent(event, { taskId: a.taskId, attempt: a.number }, run.host)
  if (!mapped) return
  if (mapped.kind === 'delta') {
    run.publishLive({ type: 'agent.delta', taskId: a.taskId, attempt: a.number, data: { text: mapped.text } })
    return
  }
  if (run.batch?.has(a.taskId)) {
    a.held ??= []
    a.held.push(mapped)
    return
  }
  run.grouped(() => {
    recordMapped(run, a, mapped)
    void run.flush()
  })
}

function recordMapped(run: LiveRun, a: Attempt, mapped: MappedBackendEvent): void {
  if (mapped.kind === 'usage') run.ledger.recordUsage(a.taskId, a.number, mapped.usage)
  else if (mapped.kind === 'record') run.record(mapped.draft)
}

export function settleAttempt(run: LiveRun, a: Attempt, outcome: Outcome): void {
  if (a.stage === 'settled') return
  a.stage = 'settled'
  for (const timer of a.timers) run.clock.clearTimeout(timer)
  // Batched mode merges a batch's outcomes in its order, once all of them are known.
  if (run.batch?.has(a.taskId)) onSettled(run, a.taskId, () => completeAttempt(run, a, outcome))
  else completeAttempt(run, a, outcome)
}

function completeAttempt(run: LiveRun, a: Attempt, outcome: Outcome): void {
  run.attempts.delete(a)
  run.ledger.release(a.taskId)
  run.releaseSlot(a)
  run.attemptEnded()
  const held = a.held
  const abort = a.controller.reason
  letGo(a)
  if (!run.acting) return
  for (const h of held ?? []) recordMapped(run, a, h)
  const id = a.taskId
  const durationMs = run.clock.now() - a.startedMs
  if (outcome.ok) {
    const result = outcome.result
    let output: Json
    try {
      const raw: unknown = result.output ?? result.text ?? null
      // null, a string, a boolean or a finite number is JSON as it is; anything else takes a round trip.
      const plain =
        raw === null ||
        typeof raw === 'string' ||
        typeof raw === 'boolean' ||
        (typeof raw === 'number' && Number.isFinite(raw))
      output = plain ? (raw as Json) : toJsonValue(raw)
    } catch (err) {
      const message = `the output is not JSON: ${(err as Error).message}`
      afterFailure(run, id, { code: 'bad_output', message, retryable: false }, durationMs)
      return
    }
    if (result.usage && !run.ledger.seen(id, a.number)) run.ledger.recordUsage(id, a.number, result.usage)
    if (result.memory) writeMemory(run, id, result.memory)
    const t = run.taskAt(a.order)
    const text = result.text ?? t.text
    const sessionId = result.sessionId ?? t.sessionId
    // In the order the fields have always had (exports and logs show them so). The usual case is
    // one literal: a field added to an object after it was made takes a second array, and the
    // store keeps this object for the whole run.
    let data: { output: Json; text?: string; durationMs?: number; usage?: Usage; sessionId?: string }
    if (text === undefined && !t.usage && !sessionId) data = { output, durationMs }
    else {
      data = { output }
      if (text !== undefined) data.text = text
      data.durationMs = durationMs
      if (t.usage) data.usage = t.usage
      if (sessionId) data.sessionId = sessionId
    }
    run.record(
      {
        type: 'task.succeeded',
        taskId: id,
        attempt: a.number,
        data: data as typeof data & { durationMs: number },
      },
      t,
    )
  } else if (abort?.kind === 'shutdown' || (!abort && outcome.error instanceof AttemptLostError)) {
    // Not the task's fault: it goes back to the queue and runs again when the run is recovered
    // (a shutdown), or at once as a new attempt (a worker that lost it, see dispatch.ts).
    const sessionId = run.task(id).sessionId
    run.record({
      type: 'task.interrupted',
      taskId: id,
      attempt: a.number,
      severity: 'warn',
      data: {
        reason: abort?.message ?? (outcome.error as Error).message,
        ...(sessionId ? { sessionId } : {}),
      },
    })
  } else if (abort && abort.kind !== 'timeout') {
    finishWithout(run, id, 'canceled', abort.message)
  } else {
    const error: ErrorInfo = abort
      ? { code: 'timeout', message: abort.message, retryable: true }
      : toErrorInfo(outcome.error)
    afterFailure(run, id, error, durationMs)
    return
  }
  run.pump()
}

function writeMemory(run: LiveRun, taskId: string, writes: NonNullable<TaskResult['memory']>): void {
  const { writes: accepted, refused } = run.memory.write(writes, run.plan.tasks.get(taskId)!.agent)
  for (const w of accepted) run.log.writeMemory(w)
  if (refused) {
    run.record({
      type: 'log',
      taskId,
      severity: 'warn',
      data: { message: `task '${taskId}' ${refused}; ignored` },
    })
  }
}

/**
 * An ended attempt lets go of what it held: the executor's running attempt, the listeners on its
 * abort, its timers, held events. An attempt that was alive when the garbage collector last swept
 * the young generation was moved to the old one, where it stays, dead, until the next full
 * collection; until then, every young object it still points to counts as live at each sweep and
 * is moved to the old generation too, and so on from those. Letting go breaks that chain: on a
 * run of 100,000 no-op tasks it cut peak memory by a fifth and the time after start() by a sixth.
 */
function letGo(a: Attempt): void {
  a.running = undefined
  a.held = undefined
  a.timers.length = 0
  a.controller.letGo()
}

/** A failed attempt: another one after a backoff when the error is retryable and attempts are left. */
export function afterFailure(run: LiveRun, taskId: string, error: ErrorInfo, durationMs?: number): void {
  const planned = run.plan.tasks.get(taskId)!
  const backend = planned.backend ? run.deps.backends.get(planned.backend) : undefined
  const policy = resolveRetryPolicy(
    run.deps.retryDefaults,
    backend?.retry,
    planned.workflowRetry,
    planned.retry,
    run.spec.retry,
  )
  const attempts = run.task(taskId).attempt
  if ((error.retryable || retriesOn(policy, error)) && attempts < policy.maxAttempts && !run.stopping) {
    const delayMs = retryDelayMs(policy, attempts, run.deps.random)
    const t = run.record({
      type: 'task.retry_scheduled',
      taskId,
      attempt: attempts || undefined,
      data: { error, delayMs, nextAttempt: attempts + 1, maxAttempts: policy.maxAttempts },
    })
    scheduleRetry(run, taskId, t?.nextRetryAt)
  } else {
    failTask(run, taskId, error, durationMs)
  }
  run.pump()
}

export function scheduleRetry(run: LiveRun, taskId: string, dueAt: string | undefined): void {
  run.timers.scheduleRetry(taskId, dueAt, () => {
    run.graph.offer(taskId)
    run.grouped(() => run.pump())
  })
}

/**
 * Aborts an attempt with a reason. A running backend that ignores its signal is abandoned after
 * the cancel grace, so a cancel always ends.
 */
export function abortAttempt(run: LiveRun, a: Attempt, reason: AbortReason): void {
  if (a.stage === 'settled' || a.controller.aborted) return
  if (a.running) void a.running.resume()
  a.controller.abort(reason)
  if (a.stage !== 'running') return
  const grace = run.clock.setTimeout(
    () => {
      if (a.stage === 'settled') return
      run.grouped(() => {
        run.record({
          type: 'log',
          taskId: a.taskId,
          attempt: a.number,
          severity: 'warn',
          data: {
            message: `backend did not stop within ${run.deps.cancelGraceMs} ms of ${reason.kind}; abandoning the attempt`,
            fields: { code: 'backend_abandoned', reason: reason.kind },
          },
        })
        settleAttempt(run, a, { ok: false, error: new BackendError('canceled', reason.message) })
      })
    },
    run.deps.cancelGraceMs,
    { unref: true },
  )
  a.timers.push(grace)
}
