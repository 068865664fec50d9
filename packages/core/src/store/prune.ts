import type { Store } from '@weft/spec'
import {
  isTerminalRunStatus,
  type RunStatus,
  type RunSummary,
  TERMINAL_RUN_STATUSES,
  WeftError,
} from '@weft/spec'

export interface PruneBatch {
  /** The runs of this batch (deleted, or that would be with `dryRun`), as they were listed. */
  runs: RunSummary[]
  runIds: string[]
  /** How many of them the store deleted (0 with `dryRun`; fewer when another process was faster). */
  deleted: number
}

export interface PruneRunsOptions {
  /** Runs created before this time. */
  olderThan: Date
  /** Default: succeeded, failed, canceled. Only finished statuses: a live run is never deleted. */
  statuses?: RunStatus[]
  /** Runs deleted per batch (default 100): between batches other writers get the store. */
  batchSize?: number
  /** Only find the runs; delete nothing. */
  dryRun?: boolean
  onBatch?: (batch: PruneBatch) => void | Promise<void>
  /** Stops between batches (the promise rejects with the signal's reason). */
  signal?: AbortSignal
}

export interface PruneRunsResult {
  /** Runs deleted, or that would be with `dryRun`. */
  deleted: number
  /** Their ids, newest first. */
  runIds: string[]
  dryRun: boolean
}

/**
 * Retention: deletes finished runs created before `olderThan`, with everything that belongs to
 * them. Runs are found by paging `runs.list` (newest first, with its cursor) and deleted one page
 * at a time with `runs.delete`, which takes one short transaction per run, so runs that are being
 * written elsewhere go on between batches and are never touched: only finished statuses are
 * accepted, and a finished run never becomes live again.
 */
export async function pruneRuns(store: Store, options: PruneRunsOptions): Promise<PruneRunsResult> {
  const olderThan = options.olderThan.getTime()
  if (Number.isNaN(olderThan)) throw new WeftError('input_invalid', 'olderThan is not a valid date')
  const statuses = options.statuses?.length ? [...new Set(options.statuses)] : [...TERMINAL_RUN_STATUSES]
  const live = statuses.filter((s) => !isTerminalRunStatus(s))
  if (live.length > 0) {
    throw new WeftError('input_invalid', `runs that are ${live.join(', ')} cannot be pruned`, {
      hint: `prune finished runs only: ${[...TERMINAL_RUN_STATUSES].join(', ')}; cancel a run first to prune it`,
    })
  }
  const batchSize = options.batchSize ?? 100
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
    throw new WeftError('input_invalid', `batchSize must be a whole number from 1 to 1000, not ${batchSize}`)
  }
  const dryRun = options.dryRun === true
  const createdBefore = new Date(olderThan).toISOString()
  const runIds: string[] = []
  let deleted = 0
  let cursor: string | undefined
  do {
    options.signal?.throwIfAborted()
    // The cursor is the last id of this page, so deleting the page does not move the next one.
    const page = await store.runs.list({
      status: statuses,
      createdBefore,
      limit: batchSize,
      ...(cursor ? { cursor } : {}),
    })
    const ids = page.items.map((r) => r.id)
    if (ids.length > 0) {
      const n = dryRun ? 0 : await store.runs.delete(ids)
      deleted += dryRun ? ids.length : n
      runIds.push(...ids)
      await options.onBatch?.({ runs: page.items, runIds: ids, deleted: n })
      // Let the event loop serve other work of this process (a runtime writing its runs).
      await new Promise((resolve) => setImmediate(resolve))
    }
    cursor = page.nextCursor
  } while (cursor)
  return { deleted, runIds, dryRun }
}
