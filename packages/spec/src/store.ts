import type { AgentStore } from './agent-store.js'
import type { DataflowStore } from './dataflow-store.js'
import { WeftError } from './errors.js'
import type { EventDraft, EventType, Severity, WeftEvent } from './event.js'
import type { Json } from './json.js'
import type { QueueStore } from './queue-store.js'
import type { Page, RunFilter, RunSpec, RunStatus, RunSummary } from './run.js'
import type { ScheduleStore } from './schedule.js'
import type { TaskState } from './task.js'
import type { TaskQuery } from './task-query.js'

export const STORE_SPECIFICATION_VERSION = 'weft.store.v1' as const

/**
 * The optional parts of a store. Each is a member of `Store` of the same name, present exactly
 * when the store declares it in `capabilities`. The run log (`commit`, `runs`, `tasks`, `events`)
 * is required of every store; the rest is what a store may add:
 * - `leases`: run ownership, so several runtimes (processes) can share the store safely.
 * - `signals`: cancel/pause/resume requests from another process to the one that runs a run.
 * - `artifacts`: files that tasks produce.
 * - `memory`: key-value memory scopes, written by commits (`Commit.memory`).
 * - `idempotency`: request keys that start exactly one run (the server's `Idempotency-Key`).
 */
export const OPTIONAL_STORE_CAPABILITIES = [
  'leases',
  'signals',
  'artifacts',
  'memory',
  'idempotency',
] as const
export type OptionalStoreCapability = (typeof OPTIONAL_STORE_CAPABILITIES)[number]

export interface StoreCapabilities extends Record<OptionalStoreCapability, boolean> {
  /** `commit` is atomic: state and events are written together or not at all. */
  transactions: boolean
  /**
   * Several processes can open the same store at once. Runtimes in several processes also need
   * `leases` (who runs a run) and `signals` (requests to that process); without them a store is
   * used by one runtime in one process.
   */
  multiProcess: boolean
  /** `store.leases` exists and works across every process that opens the store. */
  leases: boolean
  /** `store.signals` exists. */
  signals: boolean
  /** `store.artifacts` exists. */
  artifacts: boolean
  /** `store.memory` exists and `Commit.memory` is applied. */
  memory: boolean
  /** `store.idempotency` exists. */
  idempotency: boolean
  /**
   * `store.dataflow` exists: dataflow executions and their events (`dataflowStoreOf`). Optional and
   * outside `OPTIONAL_STORE_CAPABILITIES`, so stores written before it need not declare it.
   */
  dataflow?: boolean
  /**
   * `store.queue` exists: the durable queue flag every process sharing the store honours
   * (`queueStoreOf`). Optional and outside `OPTIONAL_STORE_CAPABILITIES`, like `dataflow`.
   */
  queue?: boolean
  /**
   * `store.schedules` exists: cron schedules and their claimed ticks (`scheduleStoreOf`). Optional
   * and outside `OPTIONAL_STORE_CAPABILITIES`, like `dataflow`.
   */
  schedules?: boolean
  /**
   * `store.agents` exists: the records of the `weft worker` processes sharing the store
   * (`agentStoreOf`). Optional and outside `OPTIONAL_STORE_CAPABILITIES`, like `dataflow`.
   */
  agents?: boolean
}

/**
 * The one write path: a run's state change together with the events that describe it.
 * The store assigns each event the next `seq` of the run, atomically with the state.
 * A commit's objects are never changed by the runtime once committed, so a store in memory may
 * keep them without copying; the events `commit` returns are shared with followers, who only read.
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
   * (`agent:<name>`); a store may refuse another run's scope. Only for stores with the `memory`
   * capability; a store without it refuses a commit that has memory writes.
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
  /**
   * Tasks across runs matching every filter: newest run first (by run id), then declaration
   * order. Optional: without it, callers scan `runs.list` and `tasks.list` (`queryTasks` of core).
   */
  query?(query: TaskQuery): Promise<TaskState[]>
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
  /** `cancel_task` cancels one task (`data`: `{ taskId, reason? }`); the rest of the run goes on. */
  kind: 'cancel' | 'pause' | 'resume' | 'cancel_task'
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
   * as `out/report.md`; a name that breaks a rule of `artifactNameProblem` (empty, absolute, `..`,
   * control characters, too long, …) is refused with `input_invalid`, so a name can never point
   * outside the run's artifacts and means the same in every store.
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

/** What `IdempotencyStore.claim` found. */
export type IdempotencyClaim =
  /** The key is now the caller's: start the run, then `complete` (or `release` on failure). */
  | { status: 'claimed' }
  /** The key already started a run, for a request whose body hashed to `bodyHash`. */
  | { status: 'done'; runId: string; bodyHash: string }
  /** Another owner holds the key while it starts its run (until `expiresAt`): ask again later. */
  | { status: 'busy'; owner: string; bodyHash: string; expiresAt: string }

/**
 * Request keys that start exactly one run (e.g. HTTP `Idempotency-Key`), across processes that
 * share the store. A key is first claimed by one owner for a while (like a lease), then completed
 * with the run it started; `runs.delete` forgets the keys of deleted runs.
 */
export interface IdempotencyStore {
  /**
   * Atomically: when the key has a run, answers it (`done`); when another owner's claim on it has
   * not expired, answers `busy`; otherwise the key becomes `owner`'s for `ttlMs` (`claimed`).
   */
  claim(key: string, bodyHash: string, owner: string, ttlMs: number): Promise<IdempotencyClaim>
  /** Records the run `owner`'s claim started. False when the claim was lost (expired and taken). */
  complete(key: string, owner: string, runId: string): Promise<boolean>
  /** Gives up `owner`'s claim of a key that has no run yet (the start failed). */
  release(key: string, owner: string): Promise<void>
}

/**
 * A store, split by concern. The run log (`commit`, `runs`, `tasks`, `events`) is required; the
 * members named in `OPTIONAL_STORE_CAPABILITIES` are present exactly when `capabilities` declares
 * them (use `requireCapability` / `hasCapability`). Implementations pass `describeStore` of
 * `@weft/testing`, which runs the run-log suite and the suite of each declared capability.
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
  signals?: SignalStore
  leases?: LeaseStore
  artifacts?: ArtifactStore
  /** Key-value memory; `runs.delete` removes the `run:<id>` scope of deleted runs. */
  memory?: MemoryStore
  idempotency?: IdempotencyStore
  /** Dataflow executions, present when `capabilities.dataflow`. */
  dataflow?: DataflowStore
  /** The durable queue flag, present when `capabilities.queue`. */
  queue?: QueueStore
  /** Cron schedules, present when `capabilities.schedules`. */
  schedules?: ScheduleStore
  /** The agents (workers) sharing the store, present when `capabilities.agents`. */
  agents?: AgentStore
  close(): Promise<void>
}

/** A store that has the optional parts `C` (e.g. what a concrete store's factory returns). */
export type StoreWith<C extends OptionalStoreCapability> = Store & Required<Pick<Store, C>>
/** A store with every optional part (the memory, SQLite and fs stores). */
export type FullStore = StoreWith<OptionalStoreCapability>

/** Whether the store declares `capability` and has the member for it. */
export function hasCapability<C extends OptionalStoreCapability>(
  store: Store,
  capability: C,
): store is StoreWith<C> {
  return store.capabilities[capability] === true && store[capability] !== undefined
}

/**
 * The member of an optional capability, or a `store_unsupported` WeftError whose message says
 * "unsupported by this store (<id>)" and names the capability (and `feature`, what needed it).
 */
export function requireCapability<C extends OptionalStoreCapability>(
  store: Store,
  capability: C,
  feature?: string,
): NonNullable<Store[C]> {
  if (hasCapability(store, capability)) return store[capability] as NonNullable<Store[C]>
  const what = feature ? `${feature} needs the '${capability}' capability, which is` : `'${capability}' is`
  throw new WeftError('store_unsupported', `${what} unsupported by this store (${store.id})`, {
    hint: `use a store that declares capabilities.${capability} (the memory, SQLite and fs stores do)`,
    details: { capability, store: store.id },
  })
}
