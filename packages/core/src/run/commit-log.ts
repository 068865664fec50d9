/**
 * The commit log of one run: what the run recorded since its last commit, written to the store as
 * one atomic commit (the summary, the tasks that changed, memory writes, the events), one commit
 * after another. Every commit states the last seq it expects, so a second process acting on the
 * same run makes one of them fail loudly instead of both writing.
 *
 * Group commit: the scheduler's own transitions (attempts that settle, attempts that start,
 * backend events, retries that fall due) run inside `grouped`, and their flushes join the commit
 * that waits for its turn, if there is one, instead of each queueing a commit: that commit takes
 * what is recorded when its turn comes. A burst of them then costs one store transaction, and
 * every caller's promise still resolves only once its records are committed. Any other flush
 * builds its commit at once (so `begin` commits the run's start before its first attempt starts).
 */
import type { Commit, EventDraft, RunSpec, RunSummary, Store, TaskState, WeftEvent } from '@weft/spec'
import { WeftError } from '@weft/spec'
import { withRoom } from './typed-room.js'

export type MemoryWrite = NonNullable<Commit['memory']>[number]

export interface CommitLogOptions {
  runId: string
  store: Store
  lastSeq: number
  /** The run's summary to write: replaced on change, never changed in place, so nothing is copied. */
  summary(): RunSummary
  spec(): RunSpec
  /**
   * The task state at `order` now, handed to the store (`RunState.handOver`): the run does not
   * change that object again.
   */
  handOver(order: number): TaskState | undefined
  /** A commit succeeded: the run's log now ends at `lastSeq`; then each stored event, in order. */
  committed(lastSeq: number): void
  published(event: WeftEvent): void
  /** A commit failed: the store and memory may disagree, so the run stops acting. */
  failed(error: Error): void
}

export class CommitLog {
  lastSeq: number
  /** Set when a commit failed; every later flush rejects with it. */
  halted?: Error
  /** The summary as the store has it after the last commit: its status and `lastSeq` agree. */
  committedSummary?: RunSummary
  private events: EventDraft[] = []
  /**
   * The orders of the tasks changed since the last commit, each once: `marks[order]` holds the
   * number of the commit it was last listed for. An array and a byte array instead of a set of
   * ids: a run of 100,000 tasks lists one four times, and once each in its first commit.
   */
  private tasks: number[] = []
  private marks = new Int32Array(64)
  private commitNumber = 1
  private spec = false
  private memory: MemoryWrite[] = []
  /** Every commit, one after another; never rejects. */
  private chain: Promise<void> = Promise.resolve()
  /** The newest commit itself (rejects when it failed). */
  private last: Promise<void> = Promise.resolve()
  /** A queued commit that takes what is recorded when its turn comes (see group commit). */
  private collecting?: Promise<void>
  /** How deep in `grouped` calls we are: inside, flushes join the collecting commit. */
  private groupDepth = 0
  /** Called once the collecting commit has taken what it writes (see `whenTaken`). */
  private onTaken: (() => void)[] = []

  constructor(private readonly o: CommitLogOptions) {
    this.lastSeq = o.lastSeq
  }

  /** Buffers an event (already applied to the state) for the next commit. */
  add(event: EventDraft & { ts: string }): void {
    this.events.push(event)
  }

  /** A task whose state changed: its state (as it is then) is written with the next commit. */
  touch(t: TaskState): void {
    const order = t.order
    this.marks = withRoom(this.marks, order)
    if (this.marks[order] === this.commitNumber) return
    this.marks[order] = this.commitNumber
    this.tasks.push(order)
  }

  specChanged(): void {
    this.spec = true
  }

  writeMemory(write: MemoryWrite): void {
    this.memory.push(write)
  }

  /** Resolves once every commit queued so far is done (failed or not). */
  settled(): Promise<void> {
    return this.chain
  }

  grouped(fn: () => void): void {
    this.groupDepth++
    try {
      fn()
    } finally {
      this.groupDepth--
    }
  }

  /**
   * `grouped` without a closure, for the per-attempt paths: every `openGroup` is followed by a
   * `closeGroup` in a `finally`.
   */
  openGroup(): void {
    this.groupDepth++
  }

  closeGroup(): void {
    this.groupDepth--
  }

  /**
   * Calls `fn` once the commit collecting what is recorded now has taken it and is on its way to
   * the store (at once when no commit collects). A run dispatching a large ready set prepares its
   * next chunk then, while the last one is being written.
   */
  whenTaken(fn: () => void): void {
    if (this.collecting) this.onTaken.push(fn)
    else fn()
  }

  /** Commits what was recorded since the last flush, after every earlier commit. */
  flush(create = false): Promise<void> {
    // Nothing new: report on the latest commit, so a caller learns if it (or the run) failed.
    if (this.events.length === 0 && this.tasks.length === 0 && !this.spec && this.memory.length === 0)
      return this.halted ? handledRejection(this.halted) : this.last
    if (!create && (this.collecting || this.groupDepth > 0))
      return this.collecting ?? this.queue(undefined, false)
    return this.queue(this.take(create), create)
  }

  private queue(built: Commit | undefined, create: boolean): Promise<void> {
    const next: Promise<void> = this.chain.then(async () => {
      await yieldNowAndThen()
      if (this.collecting === next) this.collecting = undefined
      if (this.halted) throw this.halted
      const commit = built ?? this.take(false)
      if (!create) commit.expectLastSeq = this.lastSeq
      const storing = this.o.store.commit(commit)
      if (!built && this.onTaken.length > 0) for (const fn of this.onTaken.splice(0)) fn()
      const stored = await storing
      if (stored.length) this.lastSeq = stored[stored.length - 1]!.seq
      if (commit.run) this.committedSummary = { ...commit.run, lastSeq: this.lastSeq }
      this.o.committed(this.lastSeq)
      for (const e of stored) this.o.published(e)
    })
    if (!built) this.collecting = next
    this.chain = next.catch((err) => this.halt(err as Error))
    this.last = next
    return next
  }

  /** Stops writing: every later flush rejects with `err`. */
  halt(err: Error): void {
    if (this.halted) return
    this.halted = err
    this.o.failed(err)
  }

  private take(create: boolean): Commit {
    const { events, tasks, spec, memory } = this
    this.events = []
    this.tasks = []
    this.commitNumber++
    this.spec = false
    this.memory = []
    const out: Commit = {
      runId: this.o.runId,
      run: this.o.summary(),
      tasks: [],
      events: events as Commit['events'],
    }
    // The run replaces its spec, never changes it in place (addTasks, a raised budget): no copy.
    if (create) out.create = { spec: this.o.spec() }
    if (spec) out.spec = this.o.spec()
    for (const order of tasks) {
      const t = this.o.handOver(order)
      if (t) out.tasks!.push(t)
    }
    if (memory.length) out.memory = memory
    return out
  }
}

/**
 * A store that answers at once (in memory) never lets a run leave the microtask queue: a run of
 * 100,000 tasks then held the event loop for its whole length, so timers (lease heartbeats,
 * timeouts) and I/O waited, and V8's incremental GC, which runs between tasks, could not keep the
 * heap small. So a commit first gives the event loop a turn when the last one is some time ago.
 */
const YIELD_EVERY_MS = 10
let lastYield = performance.now()

function yieldNowAndThen(): Promise<void> | undefined {
  const now = performance.now()
  if (now - lastYield < YIELD_EVERY_MS) return undefined
  lastYield = now
  return new Promise((resolve) => setImmediate(resolve))
}

/** A rejected promise that does not count as unhandled when a caller ignores it. */
export function handledRejection(err: Error): Promise<never> {
  const p = Promise.reject(err)
  p.catch(() => {})
  return p
}

/** A conflict means another process acted on the run first: not worth a warning. */
export function isConflict(err: unknown): boolean {
  return err instanceof WeftError && err.code === 'conflict'
}
