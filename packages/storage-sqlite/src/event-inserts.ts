import type { Commit } from '@weft/core'
import type { Database } from './driver.js'
import { EVENT_COLUMNS } from './rows.js'
import { MAX_ROWS, rowsOf, statementsBySize } from './statements-by-size.js'

const COLUMNS = 8

type Value = string | number | null

/** A commit's events, inserted in statements of up to `MAX_ROWS` rows each. */
export function prepareEventInserts(db: Database) {
  const inserts = statementsBySize(
    db,
    (rows) => `INSERT INTO events (${EVENT_COLUMNS}) VALUES ${rowsOf('(?, ?, ?, ?, ?, ?, ?, ?)', rows)}`,
  )
  const values: Value[] = []

  /** Inserts `events` as the rows `firstSeq`, `firstSeq + 1`, … of `runId`. */
  return function insertEvents(runId: string, firstSeq: number, events: Commit['events']): void {
    for (let start = 0; start < events.length; start += MAX_ROWS) {
      const rows = Math.min(MAX_ROWS, events.length - start)
      values.length = rows * COLUMNS
      for (let r = 0; r < rows; r++) {
        const e = events[start + r]!
        const at = r * COLUMNS
        values[at] = runId
        values[at + 1] = firstSeq + start + r
        values[at + 2] = e.ts
        values[at + 3] = e.type
        values[at + 4] = e.taskId ?? null
        values[at + 5] = e.attempt ?? null
        values[at + 6] = e.severity ?? 'info'
        values[at + 7] = JSON.stringify(e.data)
      }
      inserts(rows).run(...values)
    }
  }
}
