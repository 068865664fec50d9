/**
 * The floor of scenario 2: the same number of events inserted straight through the SQLite driver
 * the store uses (@photostructure/sqlite, node:sqlite's API) into the events table of a weft
 * SQLite store (same schema, indexes and pragmas: WAL and synchronous=NORMAL, set explicitly as
 * the store sets its default, and its 32 MiB page cache), in transactions of `perTransaction`
 * rows, up to 32 rows per INSERT as the store does. Nothing else is written.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync, type StatementSyncInstance } from '@photostructure/sqlite'
import { createSqliteStore } from '@weft/storage-sqlite'
import { childInput, childOutput } from '../lib/child.js'
import { commitRun } from '../lib/direct-run.js'

export interface RawChildInput {
  events: number
  perTransaction: number
  warmup: number
  runs: number
}

const ROWS_PER_INSERT = 32
const TYPES = ['task.added', 'task.queued', 'task.started', 'task.succeeded'] as const
const input = childInput<RawChildInput>()
const samples: number[] = []
/** The first run of the process, warm-up or not: what a one-off process sees. */
let coldMs = 0
for (let i = 0; i < input.warmup + input.runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-raw-'))
  try {
    const path = join(dir, 'weft.db')
    const runId = await commitRun(path, { name: 'raw' })
    await createSqliteStore({ path }).close()
    const db = new DatabaseSync(path)
    db.exec('PRAGMA journal_mode = WAL')
    // The store's default (`synchronous: 'normal'`), set as the store sets it: after WAL.
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec('PRAGMA foreign_keys = ON')
    // The store's page cache (32 MiB) too: the floor differs from the store in what it writes only.
    db.exec('PRAGMA cache_size = -32000')
    // Transactions by prepared statements: the cheapest way the driver offers.
    const begin = db.prepare('BEGIN')
    const commit = db.prepare('COMMIT')
    // Rows in statements of up to 32, as the store writes them: a call into the driver costs more
    // than SQLite's work for a row, so a floor of single-row INSERTs would flatter the store.
    const inserts: StatementSyncInstance[] = []
    const insertOf = (rows: number) =>
      (inserts[rows] ??= db.prepare(
        `INSERT INTO events (run_id, seq, ts, type, task_id, attempt, severity, data) VALUES ${new Array(rows).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      ))
    const values: (string | number | null)[] = []
    const t0 = performance.now()
    let seq = 1 // run.created is seq 1
    const write = (count: number) => {
      begin.run()
      const ts = new Date().toISOString()
      for (let done = 0; done < count; done += ROWS_PER_INSERT) {
        const rows = Math.min(ROWS_PER_INSERT, count - done)
        values.length = 0
        for (let k = 0; k < rows; k++) {
          seq++
          const type = TYPES[seq % 4]!
          const data = type === 'task.succeeded' ? { output: null, durationMs: 0 } : {}
          values.push(
            runId,
            seq,
            ts,
            type,
            `t${seq >> 2}`,
            type === 'task.added' ? null : 1,
            'info',
            JSON.stringify(data),
          )
        }
        insertOf(rows).run(...values)
      }
      commit.run()
    }
    for (let left = input.events; left > 0; left -= input.perTransaction)
      write(Math.min(left, input.perTransaction))
    const ms = performance.now() - t0
    db.close()
    if (i === 0) coldMs = ms
    if (i >= input.warmup) samples.push(ms)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
childOutput({ samples, coldMs, maxRssKb: process.resourceUsage().maxRSS })
