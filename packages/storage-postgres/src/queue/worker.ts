/**
 * The worker's side of the shared queue: claims queued attempts for the backends it has (priority,
 * then age; `FOR UPDATE SKIP LOCKED`), runs each through core's in-process executor (the same
 * backend call, artifacts kept in the store), keeps the leases alive with heartbeats, and records
 * each result with a completion fenced by task, attempt and lease token (queries.ts). A heartbeat
 * that finds a lease gone (expired, or the owner canceled the attempt) stops that attempt here.
 *
 * `stop()` stops claiming, lets running attempts finish within a grace period, then hands the
 * rest back: the run's owner queues them again as new attempts.
 */
import { hostname } from 'node:os'
import type { TaskRequest, TaskResult } from '@weft/core'
import { createInProcessExecutor, newOwnerName } from '@weft/core'
import type { ClaimRequest } from './complete-queries.js'
import { Completions } from './completions.js'
import { EventStream } from './event-stream.js'
import { handBackClaimed, handBackRunning } from './hand-back.js'
import { internalsOf } from './internals.js'
import { Listener, Waker } from './listener.js'
import { errorInfo, type StoredOutcome } from './outcome.js'
import {
  AGENTS_CHANNEL,
  type ClaimedAttempt,
  CONTROL_CHANNEL,
  QUEUED_CHANNEL,
  queueQueries,
} from './queries.js'
import { applySuspensions } from './suspensions.js'
import { WorkerRecord } from './worker-record.js'
import type { Active, WorkerLogger, WorkerOptions } from './worker-types.js'
import { type Desired, takeName, type WorkerCounts, workersTable } from './workers-table.js'

export type { WorkerOptions } from './worker-types.js'

/** Backend events kept per attempt (text deltas included); a runaway backend's rest is dropped. */
const MAX_EVENTS = 5000

export class Worker {
  readonly name: string
  readonly owner: string
  readonly capacity: number
  readonly leaseMs: number
  readonly #o: WorkerOptions
  readonly #queue
  readonly #workers
  readonly #executor
  readonly #active = new Map<string, Active>()
  readonly #waker = new Waker()
  #listener: Listener | undefined
  #timers: NodeJS.Timeout[] = []
  #stopping = false
  readonly #completions: Completions
  /** Paused by an operator: no claims, and what ran was handed back. */
  #paused = false
  #stopRequested = false
  #stopped = false
  #loop: Promise<void> | undefined
  #beating = false
  readonly #record: WorkerRecord
  /** Slots a claim in flight may fill (the claim loop's, or one with a batch of results). */
  #reserved = 0
  readonly #events: EventStream
  #counts: WorkerCounts = { completed: 0, failed: 0, rejected: 0 }
  readonly #connectionString: string
  readonly #logger: WorkerLogger = { log: (l) => this.#log(l), warn: (m) => this.#warn(m) }
  /** What every claim asks but its limit (the same for the worker's life). */
  readonly #claimTemplate: Omit<ClaimRequest, 'limit'>

  constructor(o: WorkerOptions) {
    this.#o = o
    const { db, s, connectionString } = internalsOf(o.store)
    this.#connectionString = connectionString
    this.#queue = queueQueries(db, s)
    this.#completions = new Completions(this.#queue, o.name, {
      reserve: (n) => this.#reserve(n),
      release: (asked, claimed) => {
        this.#reserved -= asked
        // Paused or stopping meanwhile: what the results' round trip claimed goes back unstarted.
        if (this.#paused || this.#stopping)
          handBackClaimed(claimed, this.#queue, this.name, this.#paused ? 'paused' : 'stopped')
        else this.#started(claimed)
      },
    })
    this.#events = new EventStream(this.#queue, (m) => this.#warn(m))
    this.#workers = workersTable(db, s)
    this.name = o.name
    this.owner = o.owner ?? newOwnerName()
    this.capacity = Math.max(1, o.concurrency ?? 4)
    this.leaseMs = o.leaseMs ?? 30_000
    this.#record = new WorkerRecord(o.record === false ? undefined : this.#workers, {
      name: this.name,
      owner: this.owner,
      leaseMs: this.leaseMs,
      now: () => ({
        status: this.#stopping
          ? 'draining'
          : this.#paused
            ? 'paused'
            : this.#active.size > 0
              ? 'busy'
              : 'idle',
        running: this.#active.size,
      }),
    })
    this.#claimTemplate = {
      backends: [...o.backends.keys()],
      ttlMs: this.leaseMs,
      ...(o.onlyOwner !== undefined ? { owner: o.onlyOwner } : {}),
      fields: { host: hostname(), pid: process.pid },
    }
    this.#executor = createInProcessExecutor({
      backends: o.backends,
      store: o.store,
      workDir: o.workDir ?? process.cwd(),
      warn: (m) => this.#warn(m),
    })
  }

  get running(): number {
    return this.#active.size
  }

  get counts(): Readonly<{ completed: number; failed: number; rejected: number }> {
    return this.#counts
  }

  /** Registers the worker (taking over a dead holder's record) and starts claiming. */
  async start(): Promise<void> {
    if (this.#o.record !== false) await this.#register()
    this.#listener = new Listener(
      this.#connectionString,
      [QUEUED_CHANNEL, AGENTS_CHANNEL, CONTROL_CHANNEL],
      (channel, payload) => {
        // An operator's request is acted on at once, not at the next heartbeat.
        if (channel === AGENTS_CHANNEL) {
          if (payload === this.name) void this.#heartbeat().catch(() => {})
        } else if (channel === CONTROL_CHANNEL) {
          if (payload === this.name) void this.#checkSuspensions().catch(() => {})
        } else this.#waker.wake()
      },
    )
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch(() => {}), ms)
      t.unref()
      this.#timers.push(t)
    }
    every(Math.max(20, Math.floor(this.leaseMs / 3)), () => this.#heartbeat())
    every(Math.max(50, Math.floor(this.leaseMs / 2)), () => this.#queue.sweep())
    every(10 * 60_000, () => this.#queue.prune())
    every(Math.max(10, this.#o.streamMs ?? 100), () => this.#events.send(this.#active.values()))
    // Listening and ready: the record says so now, not at the first heartbeat (a third of the
    // lease later), which left `weft agents list` showing `starting` for ten seconds.
    await this.#record.write().catch(() => {})
    this.#loop = this.#claimLoop()
  }

  /** Takes the worker's name (see `takeName`). */
  async #register(): Promise<void> {
    await takeName(
      this.#workers,
      {
        name: this.name,
        owner: this.owner,
        host: hostname(),
        pid: process.pid,
        capacity: this.capacity,
        backends: [...this.#o.backends.keys()],
        ttlMs: this.leaseMs,
      },
      (line) => this.#log(line),
    )
  }

  /**
   * Stops claiming; running attempts may finish within `graceMs`, the rest are stopped and handed
   * back (their owners queue them again). Then the record says `stopped`.
   */
  async stop(graceMs = 10_000): Promise<void> {
    await this.drain(graceMs)
    if (this.#stopped) return
    this.#stopped = true
    await handBackRunning(this.#active, this.#queue, this.name, 'stopped', this.#logger)
    await Promise.all([...this.#active.values()].map((a) => a.done))
    for (const t of this.#timers) clearInterval(t)
    await this.#listener?.close()
    await this.#record.stop()
  }

  /**
   * The first half of `stop`: no more claims; resolves when the running attempts finished or
   * `graceMs` passed (whichever is first). A process that also owns runs hands those over next, so
   * that the attempts of its own runs go back with their runs instead of being queued again here.
   */
  async drain(graceMs = 10_000): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true
      this.#waker.wake()
      await this.#record.write('draining').catch(() => {})
    }
    await this.#loop
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all([...this.#active.values()].map((a) => a.done)),
      new Promise((r) => (timer = setTimeout(r, graceMs))),
    ])
    clearTimeout(timer)
  }

  /**
   * After `drain`: the results of the attempts still running will not be recorded (they are handed
   * back by `stop`). A process that also owns runs calls it before handing those over, since that
   * may stop their backends' processes.
   */
  abandonRunning(): void {
    for (const a of this.#active.values()) a.lost ??= 'the worker stopped'
  }

  /** What an operator asked (read with the heartbeat): pause hands back and stops claiming. */
  async #obey(desired: Desired | undefined): Promise<void> {
    if (desired === undefined || this.#stopping) return
    if (desired === 'pause' && !this.#paused) {
      this.#paused = true
      this.#log('paused by an operator: running attempts handed back, no claims until resumed')
      await handBackRunning(this.#active, this.#queue, this.name, 'paused', this.#logger)
      await this.#record.write('paused').catch(() => {})
    } else if (desired === 'run' && this.#paused) {
      this.#paused = false
      this.#log('resumed by an operator')
      this.#waker.wake()
      await this.#record.write().catch(() => {})
    } else if (desired === 'stop' && !this.#stopRequested) {
      this.#stopRequested = true
      this.#log('asked to stop by an operator')
      this.#o.onStopRequested?.()
    }
  }

  /**
   * The claim for the slots free once `finishing` running attempts are done (none while paused or
   * stopping), reserved until released: the claim loop and a batch of results never both claim
   * the same slot.
   */
  #reserve(finishing: number): ClaimRequest | undefined {
    if (this.#paused || this.#stopping) return undefined
    const limit = this.capacity - (this.#active.size - finishing) - this.#reserved
    if (limit <= 0) return undefined
    this.#reserved += limit
    return { ...this.#claimTemplate, limit }
  }

  #started(claimed: ClaimedAttempt[]): void {
    for (const c of claimed) this.#run(c)
    if (claimed.length > 0) this.#record.soon()
  }

  async #claimLoop(): Promise<void> {
    let failing = false
    while (!this.#stopping) {
      const claim = this.#reserve(0)
      if (claim) {
        let claimed: ClaimedAttempt[] = []
        try {
          claimed = await this.#queue.claim({ worker: this.name, ...claim })
          if (failing) this.#log('the database answers again')
          failing = false
        } catch (err) {
          if (!failing) this.#warn(`claiming failed (will keep trying): ${(err as Error).message}`)
          failing = true
        }
        this.#reserved -= claim.limit
        this.#started(claimed)
        if (claimed.length > 0 && claimed.length === claim.limit) continue
      }
      if (this.#stopping) break
      await this.#waker.wait(failing ? 1000 : (this.#o.pollMs ?? 500))
    }
  }

  #run(claim: ClaimedAttempt): void {
    const abort = new AbortController()
    const active = { claim, abort, unsent: [], kept: 0 } as unknown as Active
    this.#active.set(claim.token, active)
    if (this.#o.log) this.#log(`claimed attempt ${claim.attempt} of ${claim.runId}/${claim.taskId}`)
    active.done = this.#execute(active).finally(() => {
      this.#active.delete(claim.token)
      if (this.#active.size === 0) this.#record.soon()
      this.#waker.wake()
    })
  }

  async #execute(a: Active): Promise<void> {
    const c = a.claim
    let outcome: { result: TaskResult } | { error: ReturnType<typeof errorInfo> }
    try {
      const request = JSON.parse(c.request) as TaskRequest
      const running = this.#executor.start(
        { runId: c.runId, taskId: c.taskId, attempt: c.attempt, backend: c.backend, request },
        {
          signal: a.abort.signal,
          // Streamed to the owner as they come (event-stream.ts); text deltas reach it only by
          // the stream (they are live-only there), the rest also with the result.
          emit: (e) => {
            if (a.kept >= MAX_EVENTS) return
            a.kept++
            a.unsent.push(e)
          },
        },
      )
      // Kept for a paused run's suspend and resume (suspensions.ts).
      a.running = running
      outcome = { result: await running.result }
    } catch (err) {
      outcome = { error: errorInfo(err) }
    }
    // What the stream carried comes first: wait for it, then send the rest with the result.
    a.finishing = true
    await a.streaming
    const events = a.unsent.filter((e) => e.type !== 'delta')
    if (a.lost) {
      this.#log(`attempt ${c.attempt} of ${c.runId}/${c.taskId} stopped: ${a.lost}`)
      return
    }
    const status = 'result' in outcome ? 'succeeded' : 'failed'
    let accepted: boolean
    try {
      accepted = await this.#completions.add({
        claim: c,
        status,
        result: JSON.stringify({ ...outcome, events } as StoredOutcome),
      })
    } catch (err) {
      this.#warn(`could not record attempt ${c.attempt} of ${c.runId}/${c.taskId}: ${(err as Error).message}`)
      return
    }
    if (accepted) {
      const counted = status === 'succeeded' ? 'completed' : 'failed'
      this.#counts[counted]++
      this.#record.count(counted)
      if (this.#o.log) this.#log(`${status} attempt ${c.attempt} of ${c.runId}/${c.taskId}`)
    } else {
      this.#counts.rejected++
      this.#record.count('rejected')
      this.#log(
        `late completion of attempt ${c.attempt} of ${c.runId}/${c.taskId} rejected: its lease was lost (expired or canceled)`,
      )
    }
  }

  /** Reads whether the owners of this worker's attempts suspended them (told by NOTIFY). */
  async #checkSuspensions(): Promise<void> {
    const tokens = [...this.#active.values()].filter((a) => !a.lost).map((a) => a.claim.token)
    applySuspensions(this.#active, await this.#queue.suspendedOf(this.name, tokens), this.#logger)
  }

  /** Renews the leases of the running attempts; an attempt whose lease is gone is stopped here. */
  async #heartbeat(): Promise<void> {
    if (this.#beating) return
    this.#beating = true
    try {
      const sent = [...this.#active.values()].filter((a) => !a.lost)
      const held = await this.#queue.heartbeat(
        this.name,
        sent.map((a) => a.claim.token),
        this.leaseMs,
      )
      for (const a of sent) {
        if (held.has(a.claim.token) || !this.#active.has(a.claim.token)) continue
        a.lost = 'its lease expired or the run canceled it'
        a.settledInQueue = true
        a.abort.abort({ kind: 'cancel', message: `attempt ${a.claim.attempt} lost its lease` })
      }
      applySuspensions(this.#active, held, this.#logger)
      await this.#obey(await this.#record.write())
    } finally {
      this.#beating = false
    }
  }

  #log(line: string): void {
    this.#o.log?.(line)
  }

  #warn(message: string): void {
    if (this.#o.warn) this.#o.warn(message)
    else process.emitWarning(message, 'WeftWarning')
  }
}
