import type { TaskState } from '@weft/core'
import type { Database, Statement } from './driver.js'
import { TASK_COLUMNS } from './rows.js'
import { MAX_ROWS, rowsOf, statementsBySize } from './statements-by-size.js'
import type { TaskJournal } from './task-journal.js'

/**
 * A commit's task states: a new run's straight into `tasks`, a running run's into the journal,
 * which `tasks` catches up with in bulk (see task-journal.ts).
 */
export function prepareTaskWrites(db: Database, journal: TaskJournal) {
  // Several rows for one key in one INSERT are applied in order, so the last one wins.
  const insertAll = taskRowWriter(
    statementsBySize(
      db,
      (rows) => `INSERT INTO tasks (${TASK_COLUMNS}) VALUES ${rowsOf('(?, ?, ?, ?, ?)', rows)}
     ON CONFLICT (run_id, task_id) DO UPDATE SET ord = excluded.ord, status = excluded.status, state = excluded.state`,
    ),
  )

  /** Writes the commit's task states; `created` when the commit creates the run. */
  return function writeTasks(runId: string, tasks: readonly TaskState[], created: boolean): void {
    if (tasks.length === 0) return
    if (created) insertAll(runId, tasks)
    else journal.append(runId, tasks)
  }
}

type Value = string | number

/**
 * Writes task rows in statements of up to 32 tasks (`statementFor(rows)` takes the five columns
 * of `TASK_COLUMNS` per row).
 */
function taskRowWriter(statementFor: (rows: number) => Statement) {
  const values: Value[] = []
  return function write(runId: string, tasks: readonly TaskState[]): void {
    for (let start = 0; start < tasks.length; start += MAX_ROWS) {
      const rows = Math.min(MAX_ROWS, tasks.length - start)
      values.length = rows * 5
      for (let r = 0; r < rows; r++) {
        const t = tasks[start + r]!
        const at = r * 5
        values[at] = runId
        values[at + 1] = t.taskId
        values[at + 2] = t.order
        values[at + 3] = t.status
        values[at + 4] = JSON.stringify(t)
      }
      statementFor(rows).run(...values)
    }
  }
}
