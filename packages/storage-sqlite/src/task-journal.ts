import { randomUUID } from 'node:crypto'
import type { TaskState } from '@weft/core'
import type { Database } from './driver.js'
import { type TaskRow, taskRowOf, taskUpserts } from './task-rows.js'

/**
 * A running run's task states go to an append-only journal, one row per commit, and are folded
 * into `tasks` in bulk later: by a commit once `FOLD_AFTER` states are waiting or the run has
 * ended, and by every read of tasks before it reads.
 *
 * Why: a commit's cost grows with the B-tree pages it dirties, and with the rows it binds.
 * Updating task rows in place dirtied pages all over `tasks` (rows sort by task id, not by when
 * they change) in every commit, and each task changes three times (queued, started, ended). One
 * journal row per commit dirties the last page of one table; a fold writes each task once however
 * often it changed, and each `tasks` page once for all the tasks on it.
 *
 * The connection that appended the journal's rows keeps their task rows in memory, so its folds
 * write them without reading the journal back. Any other journal (another process's, or one left
 * by a process that died) is read and folded the same way: the journal is committed with the
 * events, so nothing in it is lost, and readers always see each task's latest committed state.
 */
export const FOLD_AFTER = 4096

/** What a transaction appended, kept aside until it commits. */
interface Staged {
  rows: TaskRow[]
  /** Journal rows it appended. */
  appended: number
  /** Whether it folded the journal (the cache then empties when it commits). */
  folded: boolean
}

export function prepareTaskJournal(db: Database, foldAfter = FOLD_AFTER) {
  /** Marks this connection's journal rows, so that it knows when the journal holds others'. */
  const writer = randomUUID()
  const append = db.prepare('INSERT INTO task_changes (run_id, writer, states) VALUES (?, ?, ?)')
  const journalRows = db.prepare(
    'SELECT count(*) AS all_rows, coalesce(sum(writer IS NOT ?), 0) AS others FROM task_changes',
  )
  const anyChange = db.prepare('SELECT EXISTS (SELECT 1 FROM task_changes)').pluck()
  const readAll = db.prepare('SELECT run_id, states FROM task_changes ORDER BY id')
  const clear = db.prepare('DELETE FROM task_changes')
  const writeRows = taskUpserts(db)

  /**
   * The latest row of each task this connection journaled since its last fold, in the order of
   * each task's first change (which breaks `ord` ties in `tasks`). It stands for the journal
   * while the journal holds the `cachedRows` rows this connection appended, and no others.
   */
  let cache = new Map<string, TaskRow>()
  let cachedRows = 0
  let cachedStates = 0
  let staged: Staged = { rows: [], appended: 0, folded: false }

  const keyOf = (row: TaskRow) => `${row.runId}\u0000${row.taskId}`

  /** Whether the journal holds exactly the rows of the cache and of this transaction. */
  function onlyMine(): boolean {
    // Rows are only ever added by their writer and removed all at once (a fold) or by run (a
    // delete): none of others' and as many as this connection added means exactly its own.
    const now = journalRows.get(writer) as { all_rows: number; others: number }
    return now.others === 0 && now.all_rows === cachedRows + staged.appended
  }

  /** Every task's latest row in the journal, in order of first change: from memory when it can. */
  function latestRows(): Iterable<TaskRow> {
    const all = new Map<string, TaskRow>()
    if (onlyMine()) {
      for (const [k, row] of cache) all.set(k, row)
      for (const row of staged.rows) all.set(keyOf(row), row)
      return all.values()
    }
    for (const { run_id, states } of readAll.all() as { run_id: string; states: string }[]) {
      for (const t of JSON.parse(states) as TaskState[]) {
        const row = taskRowOf(run_id, t)
        all.set(keyOf(row), row)
      }
    }
    return all.values()
  }

  /** Folds the journal into `tasks`; inside a write transaction. */
  function fold(): void {
    writeRows(latestRows())
    clear.run()
    staged.folded = true
  }

  const foldTx = db.transaction(() => {
    if (anyChange.get()) fold()
  })

  /** After a transaction of this connection ended: what it appended joins the cache, or not. */
  function settle(committed: boolean): void {
    const { rows, appended, folded } = staged
    staged = { rows: [], appended: 0, folded: false }
    if (!committed) return
    if (folded) {
      cache = new Map()
      cachedRows = 0
      cachedStates = 0
      return
    }
    for (const row of rows) cache.set(keyOf(row), row)
    cachedRows += appended
    cachedStates += rows.length
  }

  return {
    /** Appends a commit's task states as one row; inside the commit's transaction. */
    append(runId: string, tasks: readonly TaskState[]): void {
      const states = tasks.map((t) => JSON.stringify(t))
      for (let i = 0; i < tasks.length; i++) staged.rows.push(taskRowOf(runId, tasks[i]!, states[i]))
      append.run(runId, writer, `[${states.join(',')}]`)
      staged.appended++
    },
    /** At the end of a commit: folds when enough states wait, or when `now` says so. */
    foldIfDue(now: boolean): void {
      if (cachedStates + staged.rows.length >= foldAfter || (now && anyChange.get())) fold()
    },
    /** Before a read of `tasks`: folds whatever any connection appended. */
    foldBeforeRead(): void {
      if (!anyChange.get()) return
      try {
        foldTx.immediate()
      } catch (err) {
        settle(false)
        throw err
      }
      settle(true)
    },
    /** After a commit's transaction: `committed` says whether it did. */
    settle,
  }
}

export type TaskJournal = ReturnType<typeof prepareTaskJournal>
