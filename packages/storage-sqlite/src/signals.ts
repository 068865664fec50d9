import type { SignalStore } from '@weft/core'
import type { Work } from './connection.js'
import type { Database, Statement } from './driver.js'
import { type SignalRow, toSignal } from './rows.js'

/** The signal statements of one connection. */
export interface SignalStatements {
  insertSignal: Statement
  receiveSignals: Statement
  lastSignalId: Statement
}

/** Signals to the process that runs a run: AUTOINCREMENT ids, read in order after the last seen. */
export function prepareSignals(db: Database): SignalStatements {
  return {
    insertSignal: db.prepare('INSERT INTO signals (run_id, kind, data, created_at) VALUES (?, ?, ?, ?)'),
    receiveSignals: db.prepare(
      'SELECT id, run_id, kind, data, created_at FROM signals WHERE id > ? AND run_id IN (SELECT value FROM json_each(?)) ORDER BY id',
    ),
    // The AUTOINCREMENT counter, not max(id): when the newest signal's run was deleted, max(id)
    // would step back below ids that readers have already seen.
    lastSignalId: db
      .prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'signals'), 0)")
      .pluck(),
  }
}

/** The signals part of the SQLite store; `run` is the store's unit of work on its connection. */
export function createSqliteSignalStore(run: Work<SignalStatements>): SignalStore {
  return {
    send: (signal) =>
      run((c) => {
        const createdAt = new Date().toISOString()
        const data = signal.data === undefined ? null : JSON.stringify(signal.data)
        const { lastInsertRowid } = c.insertSignal.run(signal.runId, signal.kind, data, createdAt)
        return toSignal({
          id: Number(lastInsertRowid),
          run_id: signal.runId,
          kind: signal.kind,
          data,
          created_at: createdAt,
        })
      }),
    receive: (runIds, afterId) =>
      run((c) =>
        runIds.length === 0
          ? []
          : (c.receiveSignals.all(afterId, JSON.stringify(runIds)) as SignalRow[]).map(toSignal),
      ),
    lastId: () => run((c) => c.lastSignalId.get() as number),
  }
}
