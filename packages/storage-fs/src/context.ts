import type { Durability } from './atomic.js'
import { KeyedQueue } from './keyed-queue.js'
import type { Layout } from './layout.js'
import { withLock } from './lock.js'
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

  async function repair(runId: string): Promise<RepairReport> {
    const report = await repairRun(layout.run(runId), durability)
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
