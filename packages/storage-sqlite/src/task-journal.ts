import type { TaskState } from '@weft/core'
import type { Database } from './driver.js'
import { TASK_COLUMNS } from './rows.js'

/**
 * A running run's task states go to an append-only journal, one row per commit, and are folded
 * into `tasks` in bulk later: by a commit once `FOLD_AFTER` states wait or the run has ended, and
 * by every read of tasks before it reads.
 *
 * Why: a commit's cost grows with the B-tree pages it dirties, and with the rows it binds.
 * Updating task rows in place dirtied pages all over `tasks` (rows sort by task id, not by when
 * they change) in every commit, and each task changes three times (queued, started, ended). One
 * journal row per commit dirties the last pages of one table; a fold writes each `tasks` page
 * once for all the tasks on it.
 *
 * The fold is one statement, inside SQLite: `json_each` hands back each state's JSON exactly as
 * it was written (SQLite keeps a number's digits and a string's escapes as they came), so a task
 * row holds the same text as if it had been written directly, and no state passes through
 * JavaScript again. The journal is committed with the events, so a process that dies loses none
 * of it: the next read or commit, in any process, folds it.
 */
export const FOLD_AFTER = 4096

export function prepareTaskJournal(db: Database, foldAfter = FOLD_AFTER) {
  const append = db.prepare('INSERT INTO task_changes (run_id, states) VALUES (?, ?)')
  // In journal order, each state upserted in turn: a task's last state wins, and a task new to
  // `tasks` gets its rowid at its first state (rowid breaks `ord` ties: first insertion first).
  const foldAll = db.prepare(
    `INSERT INTO tasks (${TASK_COLUMNS})
       SELECT c.run_id, s.value ->> '$.taskId', s.value ->> '$.order', s.value ->> '$.status', s.value
       FROM task_changes AS c, json_each(c.states) AS s
       WHERE true ORDER BY c.id, s.key
     ON CONFLICT (run_id, task_id) DO UPDATE
       SET ord = excluded.ord, status = excluded.status, state = excluded.state`,
  )
  const clear = db.prepare('DELETE FROM task_changes')
  const anyChange = db.prepare('SELECT EXISTS (SELECT 1 FROM task_changes)').pluck()
  /** States this connection appended since it last folded: how long the journal is, as far as it knows. */
  let waiting = 0

  /** Folds the journal into `tasks`; inside a write transaction. */
  function fold(): void {
    foldAll.run()
    clear.run()
    waiting = 0
  }

  const foldTx = db.transaction(() => {
    if (anyChange.get()) fold()
  })

  return {
    /** Appends a commit's task states as one row; inside the commit's transaction. */
    append(runId: string, tasks: readonly TaskState[]): void {
      append.run(runId, JSON.stringify(tasks))
      waiting += tasks.length
    },
    /** At the end of a commit: folds when enough states wait, or when `now` says so. */
    foldIfDue(now: boolean): void {
      if (waiting >= foldAfter || (now && anyChange.get())) fold()
    },
    /** Before a read of `tasks`: folds whatever any connection appended. */
    foldBeforeRead(): void {
      if (anyChange.get()) foldTx.immediate()
    },
  }
}

export type TaskJournal = ReturnType<typeof prepareTaskJournal>
