import type { LeaseStore, RunLease } from '@weft/core'
import type { Work } from './connection.js'
import type { Database, Statement, Transaction } from './driver.js'
import { expiryFrom, type LeaseRow, toLease } from './rows.js'

/** The lease statements of one connection. */
export interface LeaseStatements {
  acquireLease: Transaction<
    (runId: string, owner: string, ttlMs: number) => { acquired: boolean; lease: RunLease }
  >
  getLease: Statement
  renewLease: Statement
  releaseLease: Statement
}

/**
 * Run leases are rows decided inside IMMEDIATE transactions, so they hold across every process
 * that opens the file.
 */
export function prepareLeases(db: Database): LeaseStatements {
  const getLease = db.prepare('SELECT run_id, owner, expires_at FROM run_leases WHERE run_id = ?')
  // Takes the lease unless another owner holds an unexpired one: the condition is part of the
  // upsert, so what decides is the row as it is under the write lock, not an earlier read.
  const takeLease = db.prepare(
    `INSERT INTO run_leases (run_id, owner, expires_at) VALUES (@runId, @owner, @expiresAt)
     ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
     WHERE run_leases.owner = excluded.owner OR run_leases.expires_at <= @now`,
  )

  /** Runs inside `.immediate()`: the holder read back is the one that won, in any process. */
  const acquireLease = db.transaction(
    (runId: string, owner: string, ttlMs: number): { acquired: boolean; lease: RunLease } => {
      const now = Date.now()
      const { changes } = takeLease.run({ runId, owner, expiresAt: expiryFrom(now, ttlMs), now })
      const lease = toLease(getLease.get(runId) as LeaseRow)
      return { acquired: changes > 0, lease }
    },
  )

  return {
    acquireLease,
    getLease,
    renewLease: db.prepare('UPDATE run_leases SET expires_at = ? WHERE run_id = ? AND owner = ?'),
    releaseLease: db.prepare('DELETE FROM run_leases WHERE run_id = ? AND owner = ?'),
  }
}

/** The leases part of the SQLite store; `run` is the store's unit of work on its connection. */
export function createSqliteLeaseStore(run: Work<LeaseStatements>): LeaseStore {
  return {
    acquire: (runId, owner, ttlMs) => run((c) => c.acquireLease.immediate(runId, owner, ttlMs)),
    renew: (runId, owner, ttlMs) =>
      run((c) => c.renewLease.run(expiryFrom(Date.now(), ttlMs), runId, owner).changes > 0),
    release: (runId, owner) =>
      run((c) => {
        c.releaseLease.run(runId, owner)
      }),
    get: (runId) =>
      run((c) => {
        const row = c.getLease.get(runId) as LeaseRow | undefined
        return row && toLease(row)
      }),
  }
}
