import type { Database, Statement } from './driver.js'

/**
 * Rows per statement when a commit writes many rows of one table: each statement call crosses
 * from JavaScript into the driver, and that crossing, not SQLite's work, was most of the cost of
 * a row. Measured on a WAL file, 8 rows in one INSERT cost 1.9-2.2 µs a row against 3.2-3.6 µs
 * for single-row INSERTs (three rounds of 200,000 rows, one transaction each). 32 rows of 8
 * values stay far below SQLite's limit on bound values (32,766).
 */
export const MAX_ROWS = 32

/** The statements of one shape, one per row count, each prepared the first time it is used. */
export function statementsBySize(db: Database, sqlFor: (rows: number) => string) {
  const byRows: (Statement | undefined)[] = []
  return (rows: number): Statement => {
    let statement = byRows[rows]
    if (!statement) statement = byRows[rows] = db.prepare(sqlFor(rows)) as Statement
    return statement
  }
}

/** `rows` copies of a row's placeholders, for a VALUES list. */
export const rowsOf = (row: string, rows: number) => new Array(rows).fill(row).join(', ')
