import type { TaskState } from '@weft/core'
import type { Database } from './driver.js'
import { TASK_COLUMNS } from './rows.js'
import { rowsOf, statementsBySize } from './statements-by-size.js'
import type { TaskJournal } from './task-journal.js'
import { taskRowWriter } from './task-rows.js'

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
