import type { SignalStore } from '@weft/core'
import type { Db } from './db.js'
import { ISO_NOW, SIGNAL_COLUMNS, type SignalRow, toSignal } from './rows.js'

/**
 * Signals to the process that runs a run. The id comes from the counter row, incremented in the
 * same statement that inserts the signal: the row lock is held to commit, so ids become visible
 * in order and a reader that remembers the last id it saw never misses one.
 */
export function signalStore(db: Db, s: string): SignalStore {
  const send = `WITH c AS (UPDATE ${s}signal_counter SET last_id = last_id + 1 RETURNING last_id)
    INSERT INTO ${s}signals (id, run_id, kind, data, created_at)
    SELECT c.last_id, $1, $2, $3, ${ISO_NOW} FROM c
    RETURNING ${SIGNAL_COLUMNS}`
  const receive = `SELECT ${SIGNAL_COLUMNS} FROM ${s}signals WHERE id > $1 AND run_id = ANY($2::text[]) ORDER BY id`
  const lastId = `SELECT last_id FROM ${s}signal_counter`

  return {
    async send(signal) {
      const data = signal.data === undefined ? null : JSON.stringify(signal.data)
      const [row] = await db.query<SignalRow>(send, [signal.runId, signal.kind, data])
      return toSignal(row!)
    },
    async receive(runIds, afterId) {
      if (runIds.length === 0) return []
      return (await db.query<SignalRow>(receive, [afterId, runIds])).map(toSignal)
    },
    async lastId() {
      const [row] = await db.query<[number]>(lastId)
      return row?.[0] ?? 0
    },
  }
}
