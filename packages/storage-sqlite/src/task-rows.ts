import type { TaskState } from '@weft/core'
import type { Statement } from './driver.js'
import { MAX_ROWS } from './statements-by-size.js'

type Value = string | number

/**
 * Writes task rows in statements of up to 32 tasks (`statementFor(rows)` takes the five columns
 * of `TASK_COLUMNS` per row).
 */
export function taskRowWriter(statementFor: (rows: number) => Statement) {
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
