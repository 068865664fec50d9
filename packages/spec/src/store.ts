import type { EventDraft, EventType, Severity, WeftEvent } from './event.js'
import type { Json } from './json.js'
import type { Page, RunFilter, RunSpec, RunStatus, RunSummary } from './run.js'
import type { TaskState } from './task.js'

export const STORE_SPECIFICATION_VERSION = 'weft.store.v1' as const

export interface StoreCapabilities {
  /** `commit` is atomic: state and events are written together or not at all. */
  transactions: boolean
  /** Several processes can open the same store at once. */
  multiProcess: boolean
  /** `leases` works across every process that opens the store (run ownership). */
  leases: boolean
}

/**
 * The one write path: a run's state change together with the events that describe it.
 * The store assigns each event the next `seq` of the run, atomically with the state.
 */
export interface Commit {
  runId: string
  /** Only on the first commit of a run. */
  create?: { spec: RunSpec }
  /** Replaces the stored spec (tasks added to a running run). */
  spec?: RunSpec
  /** The run's new summary (replaces the stored one). `lastSeq` is set by the store. */
  run?: RunSummary
  /** Tasks whose state changed (each replaces the stored one). */
  tasks?: TaskState[]
  events: (EventDraft & { ts: string })[]
  /**
   * Memory writes, applied in order in the same transaction (a null value deletes the key). A
   * commit writes only its own run's scope (`run:<runId>`) and scopes that are not a run's
   * (`agent:<name>`); a store may refuse another run's scope.
   */
  memory?: { scope: string; key: string; value: Json | null }[]
  /**
   * Optimistic concurrency: the commit is refused with a `conflict` error unless the run's last
   * seq equals this. A process that acts on a run it loaded from the store sets it, so that two
   * processes cannot both act on the same state (e.g. two resumes of one approval).
   */
  expectLastSeq?: number
}

export interface EventQuery {
  runId?: string
  types?: EventType[]
  taskId?: string
  severities?: Severity[]
  since?: string
  until?: string
  limit?: number
}

export interface RunStore {
  get(runId: string): Promise<RunSummary | undefined>
  getSpec(runId: string): Promise<RunSpec | undefined>
  list(filter?: RunFilter): Promise<Page<RunSummary>>
  /** How many runs there are in each status (every status present, 0 when none). */
  counts(): Promise<Record<RunStatus, number>>
  /**
   * Deletes runs with everything that belongs to them (tasks, events, artifacts, signals, lease),
   * each run in its own transaction so writers of other runs are never blocked for long.
   * Unknown ids are ignored. Returns how many runs were deleted.
   */
  delete(runIds: string[]): Promise<number>
}

export interface TaskStore {
  list(runId: string): Promise<TaskState[]>
  get(runId: string, taskId: string): Promise<TaskState | undefined>
}

export interface EventStore {
  /** Events of one run with `seq > afterSeq`, in order, at most `limit` (default 1000). */
  read(runId: string, options?: { afterSeq?: number; limit?: number }): Promise<WeftEvent[]>
  /** Events matching every given filter, ordered by `ts`, then `runId`, then `seq`. `since` is inclusive, `until` exclusive. */
  query(query: EventQuery): Promise<WeftEvent[]>
}

/** A request to the process that runs a run, from another process (e.g. `weft runs cancel`). */
export interface Signal {
  id: number
  runId: string
  kind: 'cancel' | 'pause' | 'resume'
  data?: Json
  createdAt: string
}

export interface SignalStore {
  send(signal: Omit<Signal, 'id' | 'createdAt'>): Promise<Signal>
  /** Signals for these runs with `id > afterId`, oldest first. */
  receive(runIds: string[], afterId: number): Promise<Signal[]>
  /** The id of the newest signal (0 when there is none): where a new reader starts. */
  lastId(): Promise<number>
}

/**
 * Who runs a run: one runtime at a time, proven by a lease it keeps renewing. Expiry is compared
 * with the clock of the process that asks, which is exact on one machine; a store shared across
 * machines should compare with its own clock. A lease may exist for a run id that has no run yet.
 */
export interface RunLease {
  runId: string
  /**
   * The runtime holding it. A runtime names itself `host:pid:startTime:random` (`os.hostname()`,
   * its pid, its start time from /proc/<pid>/stat in clock ticks, `0` where unknown, and random
   * hex for several runtimes in one process), so that a process on the same host can tell at once
   * that the holder died (pid gone, a zombie, or reused: start time differs) and take its runs
   * without waiting for `expiresAt`. A name of another shape is never judged dead.
   */
  owner: string
  /** ISO time after which the lease is free to take. */
  expiresAt: string
}

export interface LeaseStore {
  /**
   * Takes the run's lease for `owner` for `ttlMs`, atomically: succeeds when nobody holds it, the
   * holder's lease expired, or `owner` already holds it (then it is extended). Otherwise returns
   * the holder's lease with `acquired: false`.
   */
  acquire(runId: string, owner: string, ttlMs: number): Promise<{ acquired: boolean; lease: RunLease }>
  /**
   * Extends a lease `owner` holds; false when it no longer holds it (it expired and another owner
   * took it). A lease that expired but that nobody took is still this owner's: renewing it works.
   */
  renew(runId: string, owner: string, ttlMs: number): Promise<boolean>
  /** Gives the lease up if `owner` holds it. */
  release(runId: string, owner: string): Promise<void>
  get(runId: string): Promise<RunLease | undefined>
}

/** One key of a memory scope: `run:<run-id>` (one run) or `agent:<name>` (across runs). */
export interface MemoryEntry {
  scope: string
  key: string
  value: Json
  updatedAt: string
}

export interface MemoryStore {
  get(scope: string, key: string): Promise<MemoryEntry | undefined>
  /** Every key of a scope, sorted by key. */
  list(scope: string): Promise<MemoryEntry[]>
}

/** A file a task produced, kept with its run. */
export interface ArtifactRef {
  runId: string
  taskId?: string
  name: string
  contentType?: string
  size: number
  createdAt: string
}

export interface ArtifactStore {
  /**
   * Stores (or replaces) an artifact of a run. `name` is a relative path with `/` separators such
   * as `out/report.md`; an empty name, an absolute path or a `..` segment is refused with
   * `input_invalid`, so a name can never point outside the run's artifacts.
   */
  put(artifact: {
    runId: string
    taskId?: string
    name: string
    contentType?: string
    data: Uint8Array
  }): Promise<ArtifactRef>
  get(runId: string, name: string): Promise<{ ref: ArtifactRef; data: Uint8Array } | undefined>
  list(runId: string): Promise<ArtifactRef[]>
}

/**
 * A store, split by concern. Implementations pass `describeStore` of `@weft/testing`.
 */
export interface Store {
  specificationVersion: typeof STORE_SPECIFICATION_VERSION
  /** e.g. `memory`, `sqlite:/path/to/weft.db`. */
  id: string
  capabilities: StoreCapabilities
  /** Opens the store and applies pending migrations. Idempotent. */
  init(): Promise<void>
  /** Applies a commit atomically; returns the stored events with their seqs. */
  commit(commit: Commit): Promise<WeftEvent[]>
  runs: RunStore
  tasks: TaskStore
  events: EventStore
  signals: SignalStore
  leases: LeaseStore
  artifacts: ArtifactStore
  /** Key-value memory; `runs.delete` removes the `run:<id>` scope of deleted runs. */
  memory: MemoryStore
  close(): Promise<void>
}
