import type { IdempotencyClaim, IdempotencyStore } from '@weft/core'
import type { Work } from './connection.js'
import type { Database, Statement, Transaction } from './driver.js'
import { expiryFrom, type IdempotencyRow } from './rows.js'

/** The idempotency statements of one connection. */
export interface IdempotencyStatements {
  claimKey: Transaction<(key: string, bodyHash: string, owner: string, ttlMs: number) => IdempotencyClaim>
  completeKey: Transaction<(key: string, owner: string, runId: string) => boolean>
  releaseKey: Statement
}

/** Idempotency keys, claimed like leases: the read and the write under one write lock. */
export function prepareIdempotency(db: Database): IdempotencyStatements {
  const getKey = db.prepare(
    'SELECT key, body_hash, owner, expires_at, run_id FROM idempotency_keys WHERE key = ?',
  )
  const putKey = db.prepare(
    `INSERT INTO idempotency_keys (key, body_hash, owner, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET body_hash = excluded.body_hash, owner = excluded.owner, expires_at = excluded.expires_at`,
  )
  const setKeyRun = db.prepare(
    'UPDATE idempotency_keys SET run_id = ?, owner = NULL, expires_at = NULL WHERE key = ? AND owner = ? AND run_id IS NULL',
  )

  /** Runs inside `.immediate()`: the read and the write see the same row in every process. */
  const claimKey = db.transaction(
    (key: string, bodyHash: string, owner: string, ttlMs: number): IdempotencyClaim => {
      const now = Date.now()
      const row = getKey.get(key) as IdempotencyRow | undefined
      if (row?.run_id != null) return { status: 'done', runId: row.run_id, bodyHash: row.body_hash }
      if (row && row.owner !== owner && (row.expires_at ?? 0) > now) {
        return {
          status: 'busy',
          owner: row.owner ?? '',
          bodyHash: row.body_hash,
          expiresAt: new Date(row.expires_at ?? 0).toISOString(),
        }
      }
      putKey.run(key, bodyHash, owner, expiryFrom(now, ttlMs))
      return { status: 'claimed' }
    },
  )

  const completeKey = db.transaction((key: string, owner: string, runId: string): boolean => {
    if (setKeyRun.run(runId, key, owner).changes > 0) return true
    return (getKey.get(key) as IdempotencyRow | undefined)?.run_id === runId
  })

  return {
    claimKey,
    completeKey,
    releaseKey: db.prepare('DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND run_id IS NULL'),
  }
}

/** The idempotency part of the SQLite store; `run` is the store's unit of work on its connection. */
export function createSqliteIdempotencyStore(run: Work<IdempotencyStatements>): IdempotencyStore {
  return {
    claim: (key, bodyHash, owner, ttlMs) => run((c) => c.claimKey.immediate(key, bodyHash, owner, ttlMs)),
    complete: (key, owner, runId) => run((c) => c.completeKey.immediate(key, owner, runId)),
    release: (key, owner) =>
      run((c) => {
        c.releaseKey.run(key, owner)
      }),
  }
}
