import type { TaskState } from '@weft/core'
import type { Database } from './driver.js'
import { MAX_ROWS, rowsOf, statementsBySize } from './statements-by-size.js'

type Value = string | number

/**
 * A commit's task states, written in statements of up to 32 tasks.
 *
 * A task already stored at the same order is updated in place, which leaves the order index
 * alone: `UPDATE … FROM (VALUES …)` finds each row by its primary key. When fewer rows changed
 * than the commit has tasks (a task added to a running run, a new order), or a task appears twice
 * in the commit, every task goes through the row-by-row path: an UPDATE, and an upsert when it
 * changed nothing. Writing a state a second time is harmless, so that path repeats nothing wrong.
 */
export function prepareTaskWrites(db: Database) {
  const upsertTask = db.prepare(
    `INSERT INTO tasks (run_id, task_id, ord, status, state) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (run_id, task_id) DO UPDATE SET ord = excluded.ord, status = excluded.status, state = excluded.state`,
  )
  const updateTask = db.prepare(
    'UPDATE tasks SET status = ?, state = ? WHERE run_id = ? AND task_id = ? AND ord = ?',
  )
  // Several rows for one key in one INSERT are applied in order, so the last one wins.
  const upserts = statementsBySize(
    db,
    (
      rows,
    ) => `INSERT INTO tasks (run_id, task_id, ord, status, state) VALUES ${rowsOf('(?, ?, ?, ?, ?)', rows)}
     ON CONFLICT (run_id, task_id) DO UPDATE SET ord = excluded.ord, status = excluded.status, state = excluded.state`,
  )
  const updates = statementsBySize(
    db,
    (rows) => `UPDATE tasks SET status = v.column3, state = v.column4
     FROM (VALUES ${rowsOf('(?, ?, ?, ?)', rows)}) AS v
     WHERE tasks.run_id = ? AND tasks.task_id = v.column1 AND tasks.ord = v.column2`,
  )
  const values: Value[] = []

  /** Every task of a new run: inserted (or replaced) in statements of many rows. */
  function insertAll(runId: string, tasks: readonly TaskState[]): void {
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
      upserts(rows).run(...values)
    }
  }

  /** Updates the tasks stored at the same order; returns how many rows changed. */
  function updateInPlace(runId: string, tasks: readonly TaskState[], states: string[]): number {
    let changed = 0
    for (let start = 0; start < tasks.length; start += MAX_ROWS) {
      const rows = Math.min(MAX_ROWS, tasks.length - start)
      values.length = rows * 4 + 1
      for (let r = 0; r < rows; r++) {
        const t = tasks[start + r]!
        const at = r * 4
        values[at] = t.taskId
        values[at + 1] = t.order
        values[at + 2] = t.status
        values[at + 3] = states[start + r]!
      }
      values[rows * 4] = runId
      changed += Number(updates(rows).run(...values).changes)
    }
    return changed
  }

  function rowByRow(runId: string, tasks: readonly TaskState[], states: string[]): void {
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i]!
      const state = states[i]!
      if (updateTask.run(t.status, state, runId, t.taskId, t.order).changes === 0) {
        upsertTask.run(runId, t.taskId, t.order, t.status, state)
      }
    }
  }

  /** Writes the commit's task states; `created` when the commit creates the run. */
  return function writeTasks(runId: string, tasks: readonly TaskState[], created: boolean): void {
    if (tasks.length === 0) return
    if (created) {
      insertAll(runId, tasks)
      return
    }
    const states = tasks.map((t) => JSON.stringify(t))
    if (tasks.length === 1 || hasRepeats(tasks)) rowByRow(runId, tasks, states)
    else if (updateInPlace(runId, tasks, states) !== tasks.length) rowByRow(runId, tasks, states)
  }
}

/** Whether a task id occurs twice (an UPDATE … FROM would then apply an arbitrary one). */
function hasRepeats(tasks: readonly TaskState[]): boolean {
  const seen = new Set<string>()
  for (const t of tasks) {
    if (seen.has(t.taskId)) return true
    seen.add(t.taskId)
  }
  return false
}
