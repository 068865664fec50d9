import type { Store } from '@weft/core'
import { internalsOf } from './internals.js'
import { type WorkerRecord, workersTable } from './workers-table.js'

/** The worker records of a Postgres store (what `weft agents` lists), with the attempts each holds. */
export function workerRecords(store: Store): {
  list(): Promise<WorkerRecord[]>
  get(name: string): Promise<WorkerRecord | undefined>
} {
  const { db, s } = internalsOf(store)
  const table = workersTable(db, s)
  return { list: () => table.list(), get: (name) => table.get(name) }
}
