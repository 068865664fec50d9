import type { TaskState } from '@weft/core'
import type { Database } from './driver.js'
import type { TaskJournal } from './task-journal.js'
import { taskRowOf, taskUpserts } from './task-rows.js'

/**
 * A commit's task states: a new run's straight into `tasks`, a running run's into the journal,
 * which `tasks` catches up with in bulk (see task-journal.ts).
 */
export function prepareTaskWrites(db: Database, journal: TaskJournal) {
  const insertAll = taskUpserts(db)

  /** Writes the commit's task states; `created` when the commit creates the run. */
  return function writeTasks(runId: string, tasks: readonly TaskState[], created: boolean): void {
    if (tasks.length === 0) return
    if (created) insertAll(tasks.map((t) => taskRowOf(runId, t)))
    else journal.append(runId, tasks)
  }
}
