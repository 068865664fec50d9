import type { IdempotencyClaim, IdempotencyStore, LeaseStore, RunLease } from '@weft/core'
import type { Db } from './db.js'
import { epochMs, LEASE_COLUMNS, type LeaseRow, toLease } from './rows.js'

/** `now() + ttl`: every expiry is computed and compared on the database's clock. */
const EXPIRY = `now() + $3::float8 * interval '1 millisecond'`

/**
 * Run leases. `acquire` is one conditional upsert — take the lease when it is free, expired on
 * the database's clock, or already the caller's — so of several processes acquiring at once
 * exactly one changes the row (the others wait on its row lock, then see its lease unexpired).
 * The loser then reads the holder; a lease released in between is simply tried again.
 */
export function leaseStore(db: Db, s: string): LeaseStore {
  const take = `INSERT INTO ${s}run_leases (run_id, owner, expires_at) VALUES ($1, $2, ${EXPIRY})
    ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
    WHERE ${s}run_leases.owner = excluded.owner OR ${s}run_leases.expires_at <= now()
    RETURNING ${LEASE_COLUMNS}`
  const get = `SELECT ${LEASE_COLUMNS} FROM ${s}run_leases WHERE run_id = $1`
  const renew = `UPDATE ${s}run_leases SET expires_at = ${EXPIRY} WHERE run_id = $1 AND owner = $2`
  const release = `DELETE FROM ${s}run_leases WHERE run_id = $1 AND owner = $2`

  return {
    async acquire(runId, owner, ttlMs): Promise<{ acquired: boolean; lease: RunLease }> {
      for (;;) {
        const [taken] = await db.query<LeaseRow>(take, [runId, owner, ttlMs])
        if (taken) return { acquired: true, lease: toLease(taken) }
        const [held] = await db.query<LeaseRow>(get, [runId])
        if (held) return { acquired: false, lease: toLease(held) }
      }
    },
    async renew(runId, owner, ttlMs) {
      return (await db.execute(renew, [runId, owner, ttlMs])) > 0
    },
    async release(runId, owner) {
      await db.execute(release, [runId, owner])
    },
    async get(runId) {
      const [row] = await db.query<LeaseRow>(get, [runId])
      return row && toLease(row)
    },
  }
}

type KeyRow = [bodyHash: string, owner: string | null, expiresMs: number | null, runId: string | null]

/**
 * Idempotency keys, claimed like leases: one conditional upsert takes a key that has no run and
 * is free, expired (database clock) or the caller's; whoever does not get it reads the row.
 */
export function idempotencyStore(db: Db, s: string): IdempotencyStore {
  const claim = `INSERT INTO ${s}idempotency_keys (key, body_hash, owner, expires_at) VALUES ($1, $4, $2, ${EXPIRY})
    ON CONFLICT (key) DO UPDATE SET body_hash = excluded.body_hash, owner = excluded.owner, expires_at = excluded.expires_at
    WHERE ${s}idempotency_keys.run_id IS NULL AND (${s}idempotency_keys.owner IS NULL
      OR ${s}idempotency_keys.owner = excluded.owner OR ${s}idempotency_keys.expires_at <= now())
    RETURNING 1`
  const get = `SELECT body_hash, owner, ${epochMs('expires_at')}, run_id FROM ${s}idempotency_keys WHERE key = $1`
  const complete = `UPDATE ${s}idempotency_keys SET run_id = $3, owner = NULL, expires_at = NULL
    WHERE key = $1 AND owner = $2 AND run_id IS NULL`
  const release = `DELETE FROM ${s}idempotency_keys WHERE key = $1 AND owner = $2 AND run_id IS NULL`

  return {
    async claim(key, bodyHash, owner, ttlMs): Promise<IdempotencyClaim> {
      for (;;) {
        if ((await db.query(claim, [key, owner, ttlMs, bodyHash])).length) return { status: 'claimed' }
        const [row] = await db.query<KeyRow>(get, [key])
        if (!row) continue // released in between: try again
        const [hash, holder, expiresMs, runId] = row
        if (runId !== null) return { status: 'done', runId, bodyHash: hash }
        return {
          status: 'busy',
          owner: holder ?? '',
          bodyHash: hash,
          expiresAt: new Date(expiresMs ?? 0).toISOString(),
        }
      }
    },
    async complete(key, owner, runId) {
      if ((await db.execute(complete, [key, owner, runId])) > 0) return true
      const [row] = await db.query<KeyRow>(get, [key])
      return row?.[3] === runId
    },
    async release(key, owner) {
      await db.execute(release, [key, owner])
    },
  }
}
