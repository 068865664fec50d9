import type { Desired, WorkerCounts, WorkerStatus, WorkersTable } from './workers-table.js'

/** Who writes the record, and what it says now (its status and running attempts). */
export interface RecordHolder {
  name: string
  owner: string
  leaseMs: number
  now(): { status: WorkerStatus; running: number }
}

/**
 * A worker's record in `workers`: its status, its running attempts and the attempts it finished.
 * Written with every heartbeat, and after claims and when the worker goes idle at most once a
 * second (`soon`): a worker of short tasks claims many times a second, and a write per claim cost
 * a round trip each. The finished attempts are added with those writes, not with each completion
 * (an update of the record in every completion statement was a tenth of that statement's time).
 * The record is for people and gauges: leases are kept by the heartbeat of the queue's rows, and
 * a completion is recorded in the queue whether or not the record counts it yet.
 */
export class WorkerRecord {
  #lastAt = 0
  #later: NodeJS.Timeout | undefined
  #closed = false
  /** Finished attempts not yet added to the record: the next write adds them. */
  #unrecorded: WorkerCounts = { completed: 0, failed: 0, rejected: 0 }

  /** `table` undefined: the worker keeps no record (an owner working its own runs). */
  constructor(
    private readonly table: WorkersTable | undefined,
    private readonly holder: RecordHolder,
  ) {}

  /** An attempt finished: counted at the next write. */
  count(kind: keyof WorkerCounts): void {
    this.#unrecorded[kind]++
  }

  /** Writes the record now if the last write is a second old, or else when it is. */
  soon(): void {
    if (this.#later || !this.table || this.#closed) return
    const wait = this.#lastAt + 1000 - Date.now()
    if (wait <= 0) {
      void this.write().catch(() => {})
      return
    }
    this.#later = setTimeout(() => {
      this.#later = undefined
      if (!this.#closed) void this.write().catch(() => {})
    }, wait)
    this.#later.unref()
  }

  /** Writes the record (`status`, or what the holder says); returns what an operator wants. */
  async write(status?: WorkerStatus): Promise<Desired | undefined> {
    if (!this.table) return undefined
    this.#lastAt = Date.now()
    const now = this.holder.now()
    const counts = this.#unrecorded
    this.#unrecorded = { completed: 0, failed: 0, rejected: 0 }
    const { name, owner, leaseMs } = this.holder
    try {
      return await this.table.heartbeat(name, owner, leaseMs, status ?? now.status, now.running, counts)
    } catch (err) {
      // Not written: the next write adds them.
      this.#unrecorded.completed += counts.completed
      this.#unrecorded.failed += counts.failed
      this.#unrecorded.rejected += counts.rejected
      throw err
    }
  }

  /** No more writes but this last one: the record says `stopped`, with what was not counted yet. */
  async stop(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#later)
    if (this.table)
      await this.table.stop(this.holder.name, this.holder.owner, 'stopped', this.#unrecorded).catch(() => {})
  }
}
