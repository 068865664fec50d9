import type { RunLease, StoreWith } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { CLOCK_SLACK_MS, pause, type StoreSuite } from './helpers.js'

/** The `leases` capability: who runs a run, proven by a lease that is renewed. */
export function describeLeases(suite: StoreSuite): void {
  const { createRun } = suite
  describe('leases', () => {
    let store: StoreWith<'leases'>
    beforeEach(() => {
      store = suite.store as StoreWith<'leases'>
    })

    const LONG = 60_000

    /** The lease's expiry, checked to be `ttlMs` after a moment between `before` and now. */
    function expectExpiry(lease: RunLease, before: number, ttlMs: number) {
      const at = Date.parse(lease.expiresAt)
      expect(Number.isNaN(at), `expiresAt ${lease.expiresAt} is not an ISO time`).toBe(false)
      // A little slack for stores whose clock is not this process's (a database server's).
      expect(at).toBeGreaterThanOrEqual(before + ttlMs - CLOCK_SLACK_MS)
      expect(at).toBeLessThanOrEqual(Date.now() + ttlMs + CLOCK_SLACK_MS)
    }

    it('acquires a free lease and reports it; get returns it', async () => {
      const { runId } = await createRun()
      expect(await store.leases.get(runId)).toBeUndefined()
      const before = Date.now()
      const taken = await store.leases.acquire(runId, 'owner-a', LONG)
      expect(taken.acquired).toBe(true)
      expect(taken.lease).toMatchObject({ runId, owner: 'owner-a' })
      expectExpiry(taken.lease, before, LONG)
      expect(await store.leases.get(runId)).toEqual(taken.lease)
    })

    it('lets the holder acquire again, which extends its lease', async () => {
      const { runId } = await createRun()
      const first = await store.leases.acquire(runId, 'owner-a', 1_000)
      const before = Date.now()
      const again = await store.leases.acquire(runId, 'owner-a', LONG)
      expect(again.acquired).toBe(true)
      expect(again.lease.owner).toBe('owner-a')
      expectExpiry(again.lease, before, LONG)
      expect(Date.parse(again.lease.expiresAt)).toBeGreaterThan(Date.parse(first.lease.expiresAt))
      expect(await store.leases.get(runId)).toEqual(again.lease)
    })

    it('refuses another owner while the lease is unexpired and names the holder and its expiry', async () => {
      const { runId } = await createRun()
      const held = await store.leases.acquire(runId, 'owner-a', LONG)
      const refused = await store.leases.acquire(runId, 'owner-b', LONG)
      expect(refused.acquired).toBe(false)
      expect(refused.lease).toEqual(held.lease)
      // Refusal changes nothing: the holder and its expiry stay as they were.
      expect(await store.leases.get(runId)).toEqual(held.lease)
      expect(await store.leases.renew(runId, 'owner-b', LONG)).toBe(false)
      expect(await store.leases.get(runId)).toEqual(held.lease)
    })

    it('lets another owner take an expired lease; the old holder can then neither renew nor release it', async () => {
      const { runId } = await createRun()
      await store.leases.acquire(runId, 'owner-a', 50)
      await pause(80)
      const before = Date.now()
      const taken = await store.leases.acquire(runId, 'owner-b', LONG)
      expect(taken.acquired).toBe(true)
      expect(taken.lease).toMatchObject({ runId, owner: 'owner-b' })
      expectExpiry(taken.lease, before, LONG)

      expect(await store.leases.renew(runId, 'owner-a', LONG)).toBe(false)
      await store.leases.release(runId, 'owner-a')
      expect(await store.leases.get(runId)).toEqual(taken.lease)
      const back = await store.leases.acquire(runId, 'owner-a', LONG)
      expect(back).toEqual({ acquired: false, lease: taken.lease })
    })

    it('renews for the holder only', async () => {
      const { runId } = await createRun()
      const held = await store.leases.acquire(runId, 'owner-a', 1_000)
      const before = Date.now()
      expect(await store.leases.renew(runId, 'owner-a', LONG)).toBe(true)
      const renewed = await store.leases.get(runId)
      expect(renewed?.owner).toBe('owner-a')
      expectExpiry(renewed!, before, LONG)
      expect(Date.parse(renewed!.expiresAt)).toBeGreaterThan(Date.parse(held.lease.expiresAt))

      expect(await store.leases.renew(runId, 'owner-b', LONG)).toBe(false)
      expect(await store.leases.get(runId)).toEqual(renewed)
      // Renewing creates no lease where there is none.
      const { runId: free } = await createRun()
      expect(await store.leases.renew(free, 'owner-a', LONG)).toBe(false)
      expect(await store.leases.get(free)).toBeUndefined()
    })

    it('releases only for the holder; a released lease is free to take', async () => {
      const { runId } = await createRun()
      const held = await store.leases.acquire(runId, 'owner-a', LONG)
      await store.leases.release(runId, 'owner-b')
      expect(await store.leases.get(runId)).toEqual(held.lease)
      await store.leases.release(runId, 'owner-a')
      expect(await store.leases.get(runId)).toBeUndefined()
      // Releasing what nobody holds is not an error.
      await store.leases.release(runId, 'owner-a')
      const next = await store.leases.acquire(runId, 'owner-b', LONG)
      expect(next.acquired).toBe(true)
      expect(next.lease.owner).toBe('owner-b')
      expect(await store.leases.renew(runId, 'owner-a', LONG)).toBe(false)
    })

    it('lets exactly one of several owners acquiring at once win, and tells the others who did', async () => {
      const runIds = (await Promise.all(Array.from({ length: 5 }, () => createRun()))).map((r) => r.runId)
      const owners = ['owner-a', 'owner-b', 'owner-c', 'owner-d']
      const results = await Promise.all(
        runIds.map((runId) => Promise.all(owners.map((owner) => store.leases.acquire(runId, owner, LONG)))),
      )
      for (const [i, perOwner] of results.entries()) {
        const winners = perOwner.filter((r) => r.acquired)
        expect(winners).toHaveLength(1)
        const winner = winners[0]!.lease
        expect(winner.runId).toBe(runIds[i])
        for (const lost of perOwner.filter((r) => !r.acquired)) expect(lost.lease).toEqual(winner)
        expect(await store.leases.get(runIds[i]!)).toEqual(winner)
      }
    })

    it('keeps the leases of different runs independent', async () => {
      const one = (await createRun()).runId
      const two = (await createRun()).runId
      const a = await store.leases.acquire(one, 'owner-a', LONG)
      expect(await store.leases.get(two)).toBeUndefined()
      const b = await store.leases.acquire(two, 'owner-b', LONG)
      expect(b.acquired).toBe(true)
      expect((await store.leases.acquire(two, 'owner-a', LONG)).acquired).toBe(false)
      await store.leases.release(one, 'owner-a')
      expect(await store.leases.get(one)).toBeUndefined()
      expect(await store.leases.get(two)).toEqual(b.lease)
      expect(await store.leases.renew(two, 'owner-b', LONG)).toBe(true)
      expect(a.lease.runId).toBe(one)
    })
  })
}
