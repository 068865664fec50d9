import { rm } from 'node:fs/promises'
import type { LeaseStore, RunLease } from '@weft/core'
import { fsyncDir, writeFileAtomic } from './atomic.js'
import type { StoreContext } from './context.js'
import { pretty } from './format.js'
import { isSafeRunId, unsafeRunId } from './layout.js'
import { readJson } from './run-files.js'

/**
 * One file per leased run, `leases/<run-id>.json`, replaced atomically. Every change reads the
 * holder and writes the new lease under the run's lock, so "is it free? then it is mine" is one
 * step for all processes on the machine. They live outside the run directories because a lease
 * may name a run that no directory holds (yet).
 */
export function createLeaseStore(ctx: StoreContext): LeaseStore {
  const { layout, durability } = ctx

  async function read(runId: string): Promise<RunLease | undefined> {
    // A damaged lease file holds nobody's claim: treat it as free rather than block the run forever.
    return readJson<RunLease>(layout.leaseFile(runId)).catch(() => undefined)
  }

  async function write(lease: RunLease): Promise<void> {
    await writeFileAtomic(layout.leaseFile(lease.runId), pretty(lease), durability)
    await fsyncDir(layout.leasesDir, durability)
  }

  function checked(runId: string): void {
    if (!isSafeRunId(runId)) throw unsafeRunId(runId)
  }

  return {
    async acquire(runId, owner, ttlMs) {
      checked(runId)
      return ctx.withRunLock(runId, 'lease', async () => {
        const now = Date.now()
        const held = await read(runId)
        if (held && held.owner !== owner && Date.parse(held.expiresAt) > now)
          return { acquired: false, lease: held }
        const lease: RunLease = { runId, owner, expiresAt: new Date(now + ttlMs).toISOString() }
        await write(lease)
        return { acquired: true, lease }
      })
    },

    async renew(runId, owner, ttlMs) {
      if (!isSafeRunId(runId)) return false
      return ctx.withRunLock(runId, 'lease', async () => {
        const held = await read(runId)
        if (!held || held.owner !== owner) return false
        await write({ ...held, expiresAt: new Date(Date.now() + ttlMs).toISOString() })
        return true
      })
    },

    async release(runId, owner) {
      if (!isSafeRunId(runId)) return
      await ctx.withRunLock(runId, 'lease', async () => {
        if ((await read(runId))?.owner === owner) await rm(layout.leaseFile(runId), { force: true })
      })
    },

    async get(runId) {
      return isSafeRunId(runId) ? read(runId) : undefined
    },
  }
}
