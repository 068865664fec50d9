import { randomBytes } from 'node:crypto'
import { readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  emptyRunCounts,
  type Page,
  type RunFilter,
  RunFilterSchema,
  type RunSpec,
  type RunStore,
  type RunSummary,
  type TaskState,
  type TaskStore,
} from '@weft/core'
import { fsyncDir } from './atomic.js'
import type { StoreContext } from './context.js'
import { isSafeRunId } from './layout.js'
import { isSummary, readJson, type StoredMeta, sortTasks } from './run-files.js'

/** Meta files read at once while listing: enough to hide latency, few enough to spare file handles. */
const LIST_BATCH = 32

/**
 * Runs are directories named by id, so a list is one `readdir` plus the `meta.json` of each run it
 * looks at — never an events file. Ids sort by creation time, so "newest first" is the names in
 * reverse, and the cursor is the last id of the previous page.
 */
export function createRunStore(
  ctx: StoreContext,
  forgetSignals: (runIds: ReadonlySet<string>) => Promise<void>,
): RunStore {
  const { layout, durability } = ctx

  async function runIds(): Promise<string[]> {
    try {
      return (await readdir(layout.runsDir)).filter(isSafeRunId)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  }

  async function summary(runId: string): Promise<RunSummary | undefined> {
    if (!isSafeRunId(runId)) return undefined
    const meta = await readJson<StoredMeta>(layout.run(runId).meta)
    return meta && isSummary(meta) ? meta : undefined
  }

  return {
    get: summary,

    async getSpec(runId) {
      return isSafeRunId(runId) ? readJson<RunSpec>(layout.run(runId).spec) : undefined
    },

    async list(filter: RunFilter = {}): Promise<Page<RunSummary>> {
      const f = RunFilterSchema.parse(filter)
      let ids = (await runIds()).sort().reverse()
      if (f.cursor) ids = ids.filter((id) => id < f.cursor!)
      const matches = (s: RunSummary) =>
        (!f.status || f.status.includes(s.status)) &&
        (f.name === undefined || s.name === f.name) &&
        (f.tag === undefined || s.tags.includes(f.tag)) &&
        (f.createdBefore === undefined || s.createdAt < f.createdBefore)
      // One more than asked tells whether there is a next page.
      const found: RunSummary[] = []
      for (let i = 0; i < ids.length && found.length <= f.limit; i += LIST_BATCH) {
        const batch = await Promise.all(ids.slice(i, i + LIST_BATCH).map(summary))
        for (const s of batch) if (s && matches(s) && found.length <= f.limit) found.push(s)
      }
      const items = found.slice(0, f.limit)
      return found.length > f.limit ? { items, nextCursor: items[items.length - 1]!.id } : { items }
    },

    async counts() {
      const counts = emptyRunCounts()
      const ids = await runIds()
      for (let i = 0; i < ids.length; i += LIST_BATCH) {
        const batch = await Promise.all(ids.slice(i, i + LIST_BATCH).map(summary))
        for (const s of batch) if (s) counts[s.status]++
      }
      return counts
    },

    /**
     * Each run: under its lock (so no commit of it is half done), its directory is renamed into
     * `trash/` — one atomic step, after which readers find no run rather than part of one — and
     * its lease removed; the files are then removed outside the lock. A crash leaves a directory
     * in trash/, which the next open removes. Signals of the deleted runs go in one rewrite at the end.
     */
    async delete(ids) {
      const deleted = new Set<string>()
      for (const runId of new Set(ids)) {
        if (!isSafeRunId(runId)) continue
        const trashed = await ctx.withRunLock(runId, 'delete', async () => {
          const target = join(layout.trashDir, `${runId}.${process.pid}.${randomBytes(4).toString('hex')}`)
          try {
            await rename(layout.run(runId).dir, target)
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
            throw err
          }
          await fsyncDir(layout.runsDir, durability)
          await rm(layout.leaseFile(runId), { force: true })
          return target
        })
        if (!trashed) continue
        deleted.add(runId)
        ctx.offsets.forget(runId)
        await rm(trashed, { recursive: true, force: true, maxRetries: 3 })
      }
      if (deleted.size > 0) await forgetSignals(deleted)
      return deleted.size
    },
  }
}

export function createTaskStore(ctx: StoreContext): TaskStore {
  const { layout } = ctx
  async function all(runId: string): Promise<TaskState[]> {
    if (!isSafeRunId(runId)) return []
    return (await readJson<TaskState[]>(layout.run(runId).tasks)) ?? []
  }
  return {
    list: async (runId) => sortTasks(await all(runId)),
    get: async (runId, taskId) => (await all(runId)).find((t) => t.taskId === taskId),
  }
}
