import type { Backend, BackendEvent, RunningAttempt, Store } from '@weft/core'
import type { ClaimedAttempt } from './queries.js'

export interface WorkerOptions {
  /** A store made by `createPostgresStore`. */
  store: Store
  /** The worker's name (its record in `workers`). */
  name: string
  backends: ReadonlyMap<string, Backend>
  /** Attempts run at once. Default 4. */
  concurrency?: number
  /** How long a claim lasts without a heartbeat (renewed every third of it). Default 30 s. */
  leaseMs?: number
  /** Where backends run (`TaskContext.workDir`). Default `process.cwd()`. */
  workDir?: string
  /** The process's name in leases (host:pid:startTime:random). Default a new one. */
  owner?: string
  /** Only attempts queued by this run owner (a `weft run` that works its own runs). */
  onlyOwner?: string
  /** Keep a record in `workers` (default true; an owner working its own runs has none). */
  record?: boolean
  /** How often to look for work when no notification came. Default 500 ms. */
  pollMs?: number
  /** How often running attempts' events are streamed to their owners. Default 100 ms. */
  streamMs?: number
  /** An operator asked the worker to stop (`weft agents stop`): the process should stop it and exit. */
  onStopRequested?(): void
  /** One line per thing worth telling (claims, completions, rejections, hand-backs). */
  log?(line: string): void
  warn?(message: string): void
}

export interface Active {
  claim: ClaimedAttempt
  abort: AbortController
  /** The lease is gone (heartbeat): the result is not recorded. */
  lost?: string
  /** Given back to the queue already (or lost its lease: nothing to give back). */
  settledInQueue?: boolean
  done: Promise<void>
  running?: RunningAttempt
  /** Backend events not yet streamed to the owner; what is left at the end goes with the result. */
  unsent: BackendEvent[]
  /** Events kept so far (a runaway backend is capped). */
  kept: number
  /** The stream statement carrying some of its events, awaited before its result is recorded. */
  streaming?: Promise<void>
  /** Its result is known: no more streaming, the rest goes with the result. */
  finishing?: boolean
  /** Suspended because its run was paused (its owner set the flag in the queue). */
  suspended?: boolean
}

/** The worker's lines and warnings, for the parts of it in other modules. */
export interface WorkerLogger {
  log(line: string): void
  warn(message: string): void
}
