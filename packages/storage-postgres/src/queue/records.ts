import { ownerLiveness, type Store } from '@weft/core'
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

/**
 * The unfinished runs that no live process owns, in one query (a worker looks every second; asking
 * each run's lease in turn would cost two queries per run per look): runs without a lease, with an
 * expired one (database clock), or held by a process of this host that is dead. Paused runs are
 * included (recovery decides whether one needs an owner). Oldest first, at most `limit`.
 */
export async function runsWithoutLiveOwner(store: Store, limit = 500): Promise<string[]> {
  const { db, s } = internalsOf(store)
  const rows = await db.query<[string, string | null, boolean]>(
    `SELECT r.id, l.owner, l.expires_at <= now() FROM ${s}runs r LEFT JOIN ${s}run_leases l ON l.run_id = r.id
     WHERE r.status IN ('pending', 'running', 'canceling', 'paused')
     ORDER BY r.created_at, r.id LIMIT $1`,
    [limit],
  )
  return rows
    .filter(([, owner, expired]) => owner === null || expired || ownerLiveness(owner) === 'dead')
    .map(([id]) => id)
}
