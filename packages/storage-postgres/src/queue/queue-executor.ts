/**
 * The run owner's side of the shared queue: a `TaskExecutor` (core's dispatch seam) that puts each
 * attempt the run dispatched into `task_queue` instead of running it here, and takes the result
 * when a worker has recorded one. The run then records the outcome through its own reducer and
 * commit log, as for an attempt run in process: one reducer, one writer of the run's state, and
 * the run's seqs stay gapless (the workers' claim/complete events take their turn on the run row).
 *
 * Results are taken by polling the attempts this process waits for (one statement for all of
 * them), woken early by LISTEN/NOTIFY. A result is taken once (the row is deleted as it is read).
 */
import type {
  AttemptIO,
  DispatchedAttempt,
  RunningAttempt,
  Store,
  TaskExecutor,
  TaskResult,
} from '@weft/core'
import { AttemptLostError, BackendError, type BackendErrorCode, ownerLiveness } from '@weft/core'
import { internalsOf } from './internals.js'
import { Listener, Waker } from './listener.js'
import type { StoredOutcome } from './outcome.js'
import {
  type AttemptKey,
  attemptKey,
  type QueuedAttempt,
  queueQueries,
  RESULT_CHANNEL,
  type StreamedEvent,
  type TakenResult,
} from './queries.js'
import { persist } from './retry.js'

export interface QueueExecutorOptions {
  /** A store made by `createPostgresStore`. */
  store: Store
  /** The runtime's owner name (`RuntimeOptions.owner`): workers notify it by this name. */
  owner: string
  /** How often to look for results when no notification came. Default 250 ms. */
  pollMs?: number
  /** How often to put back attempts whose worker's lease expired. Default 1000 ms. */
  sweepMs?: number
  /** How often, at most, to move workers' claim events into the runs' logs. Default 200 ms. */
  foldMs?: number
  /**
   * The backends this process works itself (its own worker), read when needed: an attempt queued
   * for another backend that no live worker has gets a warning in its log after `unservedMs`.
   */
  localBackends?(): Iterable<string>
  /** How long an attempt waits for a worker with its backend before the warning. Default 5 s. */
  unservedMs?: number
  /** Wake-ups by LISTEN/NOTIFY. Default true. */
  listen?: boolean
  warn?(message: string): void
}

export interface QueueExecutor extends TaskExecutor {
  inFlight(runId: string): Promise<ReadonlyMap<string, number>>
  follow: NonNullable<TaskExecutor['follow']>
  /** Attempts queued and waiting for a result. */
  readonly waiting: number
  close(): Promise<void>
}

interface Pending {
  key: AttemptKey
  io: AttemptIO
  /** Its backend (for attempts this process queued), and whether it was told none serves it. */
  backend?: string
  toldUnserved?: boolean
  resolve(r: TaskResult): void
  reject(e: unknown): void
}

export function createQueueExecutor(o: QueueExecutorOptions): QueueExecutor {
  const { db, s, connectionString } = internalsOf(o.store)
  const queue = queueQueries(db, s)
  const warn = o.warn ?? ((m: string) => process.emitWarning(m, 'WeftWarning'))
  const pollMs = o.pollMs ?? 250
  const sweepMs = o.sweepMs ?? 1000
  const waiting = new Map<string, Pending>()
  const waker = new Waker()
  let looping = false
  let closed = false
  let lastSweep = 0
  let lastFold = 0
  let lastUnservedCheck = Date.now()
  const unservedMs = o.unservedMs ?? 5000
  const foldMs = o.foldMs ?? 200
  let listener: Listener | undefined

  const keyOf = attemptKey
  /** Attempts dispatched in this turn of the event loop: queued together, in one statement. */
  let toEnqueue: Omit<QueuedAttempt, 'owner'>[] = []

  function flushEnqueues(): void {
    const batch = toEnqueue
    toEnqueue = []
    void persist(() => queue.enqueue(o.owner, batch)).then(
      () => void loop(),
      (err) => {
        for (const a of batch) {
          const p = waiting.get(keyOf(a))
          if (!p) continue
          waiting.delete(keyOf(a))
          p.reject(err)
        }
      },
    )
  }

  function listen(): void {
    if (listener || o.listen === false) return
    listener = new Listener(connectionString, [RESULT_CHANNEL], (_channel, payload) => {
      if (payload === o.owner) waker.wake()
    })
  }

  async function loop(): Promise<void> {
    if (looping) return
    looping = true
    let failing = false
    try {
      while (waiting.size > 0 && !closed) {
        try {
          if (Date.now() - lastSweep >= sweepMs) {
            lastSweep = Date.now()
            await queue.sweep()
          }
          const taken = await queue.take(o.owner)
          // An attempt's streamed events before its result (see `take`).
          for (const e of taken.events) deliverEvent(e)
          for (const r of taken.results) deliver(r)
          // A claim's event shows in the log at the run's next commit; for a long task that is
          // its end, so the claims are also folded here, at most every `foldMs`.
          if (Date.now() - lastFold >= foldMs) {
            lastFold = Date.now()
            await queue.foldClaims()
          }
          if (Date.now() - lastUnservedCheck >= unservedMs) {
            lastUnservedCheck = Date.now()
            tellUnserved(await queue.unserved(o.owner, [...(o.localBackends?.() ?? [])], unservedMs))
          }
          failing = false
        } catch (err) {
          if (!failing) warn(`the task queue cannot be read (will keep trying): ${(err as Error).message}`)
          failing = true
        }
        if (waiting.size === 0) break
        await waker.wait(failing ? Math.max(pollMs, 1000) : pollMs)
      }
    } finally {
      looping = false
    }
  }

  /** Warns each attempt waiting for a backend no live worker has, once, in its task's log. */
  function tellUnserved(backends: string[]): void {
    if (backends.length === 0) return
    const unserved = new Set(backends)
    for (const p of waiting.values()) {
      if (p.toldUnserved || p.backend === undefined || !unserved.has(p.backend)) continue
      p.toldUnserved = true
      p.io.emit({
        type: 'log',
        level: 'warn',
        message: `no live worker has backend '${p.backend}': the task waits in the queue until one starts (weft worker --store … --backends ${p.backend})`,
      })
    }
  }

  /** A backend event of an attempt still running on a worker, recorded as it comes. */
  function deliverEvent(e: StreamedEvent): void {
    const p = waiting.get(keyOf(e))
    if (!p) return
    try {
      p.io.emit(JSON.parse(e.event))
    } catch {
      /* an unreadable event is dropped; the result still comes */
    }
  }

  function deliver(r: TakenResult): void {
    const key = keyOf(r)
    const p = waiting.get(key)
    if (!p) return
    waiting.delete(key)
    let stored: StoredOutcome | { reason?: string } = {}
    try {
      stored = r.result ? JSON.parse(r.result) : {}
    } catch {
      /* an unreadable result is reported as lost below */
    }
    // Canceled while this owner still waits for it: a cancel from before it took the run over
    // again. Nothing will complete it, so it is lost, and the task runs again as a new attempt.
    if (r.status === 'canceled') {
      p.reject(new AttemptLostError(`attempt ${r.attempt} was lost: it was canceled in the queue`))
      return
    }
    if (r.status === 'lost' || (!('result' in stored) && !('error' in stored))) {
      const reason = (stored as { reason?: string }).reason ?? 'its worker stopped'
      p.reject(new AttemptLostError(`attempt ${r.attempt} was lost: ${reason}`))
      return
    }
    for (const e of (stored as StoredOutcome).events ?? []) p.io.emit(e)
    if ('result' in stored) p.resolve(stored.result)
    else {
      const e = stored.error
      p.reject(
        new BackendError(e.code as BackendErrorCode, e.message, {
          ...(e.retryable !== undefined ? { retryable: e.retryable } : {}),
          ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
          ...(e.hint !== undefined ? { hint: e.hint } : {}),
          ...(e.details !== undefined ? { details: e.details as never } : {}),
        }),
      )
    }
  }

  /** Registers an attempt whose result this owner takes, canceled in the queue when it aborts. */
  function wait(attempt: AttemptKey, io: AttemptIO): RunningAttempt {
    const key: AttemptKey = { runId: attempt.runId, taskId: attempt.taskId, attempt: attempt.attempt }
    const id = keyOf(key)
    const result = new Promise<TaskResult>((resolve, reject) => {
      waiting.set(id, { key, io, resolve, reject })
    })
    const onAbort = (reason?: { message?: string }) => {
      const p = waiting.get(id)
      if (!p) return
      waiting.delete(id)
      // The worker learns it at its next heartbeat and stops; its completion is refused. Retried
      // while the database is away, so by the time it lands this process may own the run again
      // and follow the same attempt (recovery after the outage): then it must not cancel it.
      const cancel = async () => {
        if (!waiting.has(id)) await queue.cancel(key, o.owner)
      }
      void persist(cancel, closed ? 1 : 20).catch((err) =>
        warn(`could not cancel attempt ${key.attempt} of task ${key.taskId} in the queue: ${err.message}`),
      )
      p.reject(new BackendError('canceled', reason?.message ?? 'canceled'))
    }
    // Without reading `signal` where the runtime offers it: that would make an AbortController
    // for every attempt (see AttemptIO.onAbort).
    if (io.onAbort) io.onAbort(onAbort)
    else {
      const signal = io.signal
      const fromSignal = () => onAbort(signal.reason as { message?: string } | undefined)
      if (signal.aborted) queueMicrotask(fromSignal)
      else signal.addEventListener('abort', fromSignal, { once: true })
    }
    listen()
    // A paused run's attempt: the worker running it suspends it (see Worker), a queued one waits.
    const suspend = (on: boolean) => () =>
      persist(() => queue.suspend(key, on), 5).catch((err) =>
        warn(
          `could not ${on ? 'suspend' : 'resume'} attempt ${key.attempt} of task ${key.taskId}: ${err.message}`,
        ),
      )
    return { result, suspend: suspend(true), resume: suspend(false) }
  }

  return {
    get waiting() {
      return waiting.size
    },

    start(attempt: DispatchedAttempt, io: AttemptIO): RunningAttempt {
      const running = wait(attempt, io)
      waiting.get(keyOf(attempt))!.backend = attempt.backend
      toEnqueue.push({
        runId: attempt.runId,
        taskId: attempt.taskId,
        attempt: attempt.attempt,
        backend: attempt.backend,
        priority: attempt.priority ?? 50,
        request: JSON.stringify(attempt.request),
      })
      if (toEnqueue.length === 1) setImmediate(flushEnqueues)
      return running
    },

    /**
     * The run's attempts still in the queue, now reported to this owner: queued ones, finished ones
     * whose result nobody took, and claimed ones whose worker is not known dead (a worker on this
     * host whose process is gone, or the dead owner's own `weft run`, will not finish its attempt).
     */
    async inFlight(runId: string): Promise<ReadonlyMap<string, number>> {
      const rows = await persist(() => queue.moveTo(runId, o.owner), 5)
      const live = new Map<string, number>()
      for (const r of rows) {
        const holder = r.workerOwner ?? (r.worker?.startsWith('run:') ? r.worker.slice(4) : undefined)
        if (r.status === 'claimed' && holder !== undefined && ownerLiveness(holder) === 'dead') continue
        live.set(r.taskId, r.attempt)
      }
      return live
    },

    follow(attempt, io): RunningAttempt {
      const running = wait(attempt, io)
      void loop()
      return running
    },

    async close() {
      closed = true
      waker.wake()
      await listener?.close()
    },
  }
}
