/**
 * Run ownership: a run is run by the process that holds its lease. The lease is taken when the
 * run starts or is taken over, renewed by a heartbeat, and released when the run ends or the
 * runtime shuts down. A holder that missed its lease stops without writing (another took over).
 * A store without leases serves one runtime in one process: that runtime owns every run.
 */
import type { LeaseStore, RunLease, Store } from '@weft/spec'
import { hasCapability, WeftError } from '@weft/spec'
import { ownerLiveness } from './owner.js'
import type { RunRegistry } from './registry.js'

/** How a lease was obtained; `from` when another owner held it before. */
export type LeaseTaken =
  | { acquired: true; from?: { owner: string; because: 'dead' | 'expired' | 'released' } }
  | { acquired: false; lease: RunLease; holder: 'alive' | 'unverified' }

export class Ownership {
  readonly owner: string
  readonly ttlMs: number
  readonly #leases: LeaseStore | undefined
  readonly #heartbeat: NodeJS.Timeout
  #renewing = false
  /** When each run's lease was last renewed by this process. */
  readonly #renewedAt = new Map<string, number>()
  #stopped = false

  constructor(
    store: Store,
    owner: string,
    ttlMs: number,
    private readonly registry: RunRegistry,
    private readonly warn: (message: string, context?: unknown) => void,
  ) {
    this.#leases = hasCapability(store, 'leases') ? store.leases : undefined
    this.owner = owner
    this.ttlMs = ttlMs
    // Renewed every third of the lease, so two missed beats still leave it held.
    this.#heartbeat = setInterval(() => void this.#renewAll(), Math.max(10, Math.floor(ttlMs / 3)))
    this.#heartbeat.unref()
  }

  /** Takes the lease of a new run (nobody else can hold a run id that was just made). */
  async claimNew(runId: string): Promise<void> {
    await this.#leases?.acquire(runId, this.owner, this.ttlMs)
    this.#renewedAt.set(runId, Date.now())
  }

  /**
   * Takes a run's lease: free, expired, released, or held by a process on this host that is dead
   * (its pid gone, a zombie, or reused). A dead holder's lease is released in its name first; if
   * another process takes it in between, that one wins and this answers `acquired: false`.
   */
  async take(runId: string): Promise<LeaseTaken> {
    const leases = this.#leases
    if (!leases) return { acquired: true }
    const previous = await leases.get(runId)
    const first = await leases.acquire(runId, this.owner, this.ttlMs)
    if (first.acquired) this.#renewedAt.set(runId, Date.now())
    const before = previous && previous.owner !== this.owner ? previous : undefined
    if (first.acquired) {
      if (!before) return { acquired: true }
      const expired = Date.parse(before.expiresAt) <= Date.now()
      return { acquired: true, from: { owner: before.owner, because: expired ? 'expired' : 'released' } }
    }
    const holder = ownerLiveness(first.lease.owner)
    if (holder !== 'dead') return { acquired: false, lease: first.lease, holder }
    await leases.release(runId, first.lease.owner)
    const second = await leases.acquire(runId, this.owner, this.ttlMs)
    if (second.acquired) this.#renewedAt.set(runId, Date.now())
    if (!second.acquired) {
      return {
        acquired: false,
        lease: second.lease,
        holder: ownerLiveness(second.lease.owner) === 'alive' ? 'alive' : 'unverified',
      }
    }
    return { acquired: true, from: { owner: first.lease.owner, because: 'dead' } }
  }

  release(runId: string): Promise<void> {
    this.#renewedAt.delete(runId)
    return this.#leases?.release(runId, this.owner).catch(() => {}) ?? Promise.resolve()
  }

  stop(): void {
    this.#stopped = true
    clearInterval(this.#heartbeat)
  }

  /**
   * Keeps the leases of the runs this process runs. A lease that was lost (this process stalled
   * past its expiry and another took the run over) stops the run here without writing.
   */
  async #renewAll(): Promise<void> {
    const leases = this.#leases
    if (!leases || this.#renewing || this.#stopped || this.registry.size === 0) return
    this.#renewing = true
    try {
      for (const exec of this.registry.all()) {
        if (exec.isFinished) continue
        let held: boolean
        try {
          held = await leases.renew(exec.id, this.owner, this.ttlMs)
          this.#renewedAt.set(exec.id, Date.now())
        } catch (err) {
          if (this.#stopped) return
          this.warn(`renewing the lease of run ${exec.id} failed: ${(err as Error).message}`, err)
          // Cut off from the store past the lease: another process may have taken the run, and
          // its next attempt must not overlap this one's, so stop the attempts here.
          const since = this.#renewedAt.get(exec.id) ?? Date.now()
          if (Date.now() - since < this.ttlMs) continue
          held = false
        }
        if (!held && this.registry.remove(exec.id, exec)) {
          this.#renewedAt.delete(exec.id)
          exec.abandon(
            new WeftError(
              'conflict',
              `run ${exec.id} was taken over by another process after this one missed its lease`,
            ),
          )
        }
      }
    } finally {
      this.#renewing = false
    }
  }
}
