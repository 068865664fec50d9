import type { TaskState } from '@weft/core'
import type { Database } from './driver.js'
import { TASK_COLUMNS } from './rows.js'
import { rowsOf, statementsBySize } from './statements-by-size.js'
import { taskRowWriter } from './task-rows.js'

/**
 * Task states of a running run go to an append-only journal, and are folded into `tasks` in
 * bulk later: by a commit once the journal holds `FOLD_AFTER` rows or the run has ended, and by
 * every read of tasks before it reads.
 *
 * Why: a commit's cost grows with the B-tree pages it dirties. Updating task rows in place
 * dirtied pages all over `tasks` (rows sort by task id, not by when they change) in every
 * commit, and each task changes three times (queued, started, ended). Appending dirties the last
 * page or two of one table; a fold writes each task once however often it changed, and each
 * `tasks` page once for all the tasks on it. Measured with `pnpm bench --only durable`.
 *
 * Readers never see the journal: they fold it first, in a short write transaction, so that every
 * query of `tasks` stays as it was. A crash leaves the journal committed with the events, and the
 * next read or commit folds it.
 *
 * Each state is a row of its own with the columns of `tasks`, so the fold is one statement on
 * columns and every state's text is stored as it was written. Tried and measured against this
 * (`pnpm bench --only durable,memory`, 2026-12-07): one row per commit holding a JSON array,
 * folded with `json_each`, binds less per commit but its fold cost four times as much; the same
 * folded from a cache in JavaScript saved CPU but its garbage raised peak RSS at 100,000 tasks
 * from about 1.9 to 2.6-3.3 KB per task.
 */
export const FOLD_AFTER = 4096

export function prepareTaskJournal(db: Database, foldAfter = FOLD_AFTER) {
  const appendRows = taskRowWriter(
    statementsBySize(
      db,
      (rows) => `INSERT INTO task_changes (${TASK_COLUMNS}) VALUES ${rowsOf('(?, ?, ?, ?, ?)', rows)}`,
    ),
  )
  // Each task's last change wins; tasks new to `tasks` get their rowid in the order of their
  // first change, which is how `ord` ties are broken (first insertion first).
  const foldRows = db.prepare(
    `WITH changed AS (
       SELECT min(id) AS first, max(id) AS last FROM task_changes GROUP BY run_id, task_id
     )
     INSERT INTO tasks (${TASK_COLUMNS})
       SELECT c.run_id, c.task_id, c.ord, c.status, c.state
       FROM changed JOIN task_changes AS c ON c.id = changed.last
       WHERE true ORDER BY changed.first
     ON CONFLICT (run_id, task_id) DO UPDATE
       SET ord = excluded.ord, status = excluded.status, state = excluded.state`,
  )
  const clear = db.prepare('DELETE FROM task_changes')
  const anyChange = db.prepare('SELECT EXISTS (SELECT 1 FROM task_changes)').pluck()
  /** Rows this connection appended since it last folded: the journal's size, as far as it knows. */
  let appended = 0

  /** Folds the journal into `tasks`; inside a write transaction. */
  function fold(): void {
    foldRows.run()
    clear.run()
    appended = 0
  }

  const foldTx = db.transaction(() => {
    if (anyChange.get()) fold()
  })

  return {
    /** Appends a commit's task states; inside the commit's transaction. */
    append(runId: string, tasks: readonly TaskState[]): void {
      appendRows(runId, tasks)
      appended += tasks.length
    },
    /** At the end of a commit: folds when the journal is long enough, or when `now` says so. */
    foldIfDue(now: boolean): void {
      if (appended >= foldAfter || (now && appended > 0)) fold()
    },
    /** Before a read of `tasks`: folds whatever any connection appended. */
    foldBeforeRead(): void {
      if (anyChange.get()) foldTx.immediate()
    },
  }
}

export type TaskJournal = ReturnType<typeof prepareTaskJournal>
