/**
 * Tasks across runs (`weft tasks list`, `GET /tasks`). Stores that index tasks answer
 * `store.tasks.query`; for a store without it (a third party's), `queryTasks` scans runs newest
 * first and stops once it has `limit` tasks.
 */
import {
  DEFAULT_TASK_QUERY_LIMIT,
  type RunSummary,
  type Store,
  type TaskQuery,
  type TaskState,
} from '@weft/spec'

/** The worker named on a task's state, if a store put one there (the in-process stores have no workers). */
export function taskWorker(t: TaskState): string | undefined {
  const w = (t as TaskState & { worker?: unknown }).worker
  return typeof w === 'string' ? w : undefined
}

/** Whether a task matches every filter of the query (`limit` aside). */
export function matchesTaskQuery(t: TaskState, q: TaskQuery): boolean {
  return (
    (!q.statuses?.length || q.statuses.includes(t.status)) &&
    (q.backend === undefined || t.backend === q.backend) &&
    (q.agent === undefined || taskWorker(t) === q.agent) &&
    (q.runId === undefined || t.runId === q.runId)
  )
}

/** Sorts tasks as a query answers them: newest run first (run ids sort by time), then declaration order. */
export function compareTasks(a: TaskState, b: TaskState): number {
  if (a.runId !== b.runId) return a.runId < b.runId ? 1 : -1
  return a.order - b.order
}

/** `store.tasks.query` when the store has it, else a scan of its runs, newest first. */
export async function queryTasks(store: Store, q: TaskQuery = {}): Promise<TaskState[]> {
  if (store.tasks.query) return store.tasks.query(q)
  const limit = q.limit ?? DEFAULT_TASK_QUERY_LIMIT
  const out: TaskState[] = []
  const scan = async (runId: string) => {
    for (const t of await store.tasks.list(runId)) if (matchesTaskQuery(t, q)) out.push(t)
  }
  if (q.runId !== undefined) await scan(q.runId)
  else {
    let cursor: string | undefined
    do {
      const page = await store.runs.list({ limit: 100, ...(cursor ? { cursor } : {}) })
      const ids = page.items.map((r: RunSummary) => r.id).sort((a, b) => (a < b ? 1 : -1))
      for (const id of ids) {
        await scan(id)
        if (out.length >= limit) break
      }
      cursor = page.nextCursor ?? undefined
    } while (cursor && out.length < limit)
  }
  return out.sort(compareTasks).slice(0, limit)
}
