import type { Durability } from './atomic.js'
import { KeyedQueue } from './keyed-queue.js'
import type { Layout } from './layout.js'
import { withLock } from './lock.js'
import { settleAbandonedMemory, settleSharedMemory } from './memory.js'
import { OffsetIndex } from './offsets.js'
import { type RepairReport, repairRun } from './repair.js'

/** Told about every repair that changed something (see `FsStoreOptions.onRepair`). */
export type RepairListener = (runId: string, report: RepairReport) => void

/** What the parts of one fs store share. */
export interface StoreContext {
  layout: Layout
  durability: Durability
  lockTimeoutMs: number
  offsets: OffsetIndex
  /**
   * Holds a run's lock: first its turn in this process, then its lock file across processes.
   * Before `work` runs, the run is repaired if the lock had to be broken (its holder died, maybe
   * mid-commit) or a write of this process failed halfway through.
   */
  withRunLock<T>(runId: string, purpose: string, work: () => Promise<T>): Promise<T>
  /**
   * Holds the memory lock (store-wide memory files), taken inside a run's lock, never around one.
   * When it had to be broken, the dead holder's unfinished memory writes are settled first.
   */
  withMemoryLock<T>(work: () => Promise<T>): Promise<T>
  /** Brings a run back to its last committed state; the caller holds its lock. */
  repair(runId: string): Promise<RepairReport>
  /** Marks a run for repair before its next write (a write failed and so did repairing it). */
  markDirty(runId: string): void
  /** Waits for every queued write of this process. */
  drain(): Promise<void>
}

export function createContext(
  layout: Layout,
  durability: Durability,
  lockTimeoutMs: number,
  onRepair?: RepairListener,
): StoreContext {
  const queue = new KeyedQueue()
  const offsets = new OffsetIndex()
  const dirty = new Set<string>()

  function withMemoryLock<T>(work: () => Promise<T>): Promise<T> {
    // A queue key no run id can be (ids have no ':'), so it never waits behind a run's writes.
    return queue.run(':memory', () =>
      withLock(layout.memoryLock, { timeoutMs: lockTimeoutMs, purpose: 'memory' }, async (lock) => {
        if (lock.brokeStale) {
          await settleAbandonedMemory(layout, durability, (runId, action) =>
            onRepair?.(runId, { actions: [action] }),
          )
        }
        return work()
      }),
    )
  }

  async function repair(runId: string): Promise<RepairReport> {
    const paths = layout.run(runId)
    const report = await repairRun(paths, durability, () =>
      withMemoryLock(() => settleSharedMemory(layout, paths, durability)),
    )
    dirty.delete(runId)
    if (report.actions.length > 0) {
      offsets.forget(runId)
      onRepair?.(runId, report)
    }
    return report
  }

  return {
    layout,
    durability,
    lockTimeoutMs,
    offsets,
    repair,
    withMemoryLock,
    withRunLock(runId, purpose, work) {
      return queue.run(runId, () =>
        withLock(
          layout.runLock(runId),
          { timeoutMs: lockTimeoutMs, purpose: `${purpose} of ${runId}` },
          async (lock) => {
            if (lock.brokeStale || dirty.has(runId)) await repair(runId)
            return work()
          },
        ),
      )
    },
    markDirty(runId) {
      dirty.add(runId)
    },
    drain: () => queue.drain(),
  }
}
