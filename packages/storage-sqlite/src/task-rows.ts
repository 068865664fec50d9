import type { TaskState } from '@weft/core'
import type { Database, Statement } from './driver.js'
import { MAX_ROWS, rowsOf, statementsBySize } from './statements-by-size.js'

/** The columns of `tasks`, in the order a `TaskRow` is bound. */
const TASK_COLUMNS = 'run_id, task_id, ord, status, state'

/** A task's row of `tasks`: its state as JSON, with the columns that are indexed or filtered. */
export interface TaskRow {
  runId: string
  taskId: string
  order: number
  status: string
  /** `JSON.stringify` of the state. */
  state: string
}

/** The row of `t` in the run `runId` (the commit's, which the row is filed under). */
export function taskRowOf(runId: string, t: TaskState, state = JSON.stringify(t)): TaskRow {
  return { runId, taskId: t.taskId, order: t.order, status: t.status, state }
}

type Value = string | number

/**
 * Writes task rows in statements of up to 32 rows (`statementFor(rows)` takes the five columns
 * of `TASK_COLUMNS` per row).
 */
function taskRowWriter(statementFor: (rows: number) => Statement) {
  const values: Value[] = []
  return function write(rows: Iterable<TaskRow>): void {
    let count = 0
    const flush = () => {
      values.length = count * 5
      statementFor(count).run(...values)
      count = 0
    }
    for (const row of rows) {
      const at = count * 5
      values[at] = row.runId
      values[at + 1] = row.taskId
      values[at + 2] = row.order
      values[at + 3] = row.status
      values[at + 4] = row.state
      if (++count === MAX_ROWS) flush()
    }
    if (count > 0) flush()
  }
}

/**
 * Inserts or replaces task rows of `tasks`. Several rows for one task in one INSERT are applied in
 * order, so the last one wins; a task new to the table gets its rowid in the order it comes.
 */
export function taskUpserts(db: Database) {
  return taskRowWriter(
    statementsBySize(
      db,
      (rows) => `INSERT INTO tasks (${TASK_COLUMNS}) VALUES ${rowsOf('(?, ?, ?, ?, ?)', rows)}
     ON CONFLICT (run_id, task_id) DO UPDATE SET ord = excluded.ord, status = excluded.status, state = excluded.state`,
    ),
  )
}
