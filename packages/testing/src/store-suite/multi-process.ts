import { hasCapability, newRunId, type Store } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { buildCreateCommit, logEvent } from '../fixtures.js'
import type { StoreSuite } from './helpers.js'

/**
 * `multiProcess`: two handles on one store, opened as two processes would, see each other's writes
 * and take turns: one run's seqs never collide, a lease and an idempotency key have one holder.
 * Runs when the factory can open the store again (`openAgain`).
 */
export function describeMultiProcess(suite: StoreSuite): void {
  describe('two handles on one store (multiProcess)', () => {
    it('commits to one run from both handles: seqs 1..n without gaps or repeats, read by both', async () => {
      const a = suite.store
      const b = await suite.openAgain!()
      const runId = newRunId()
      await a.commit(buildCreateCommit(runId))
      const writes = Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).commit({ runId, events: [logEvent(`w${i}`)] }),
      )
      const seqs = (await Promise.all(writes)).map((stored) => stored[0]!.seq)
      expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i + 4))
      const fromA = await a.events.read(runId)
      expect(await b.events.read(runId)).toEqual(fromA)
      expect(fromA.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1))
      expect((await b.runs.get(runId))?.lastSeq).toBe(13)
    })

    it('gives a lease, a signal and an idempotency key to exactly one holder across handles', async () => {
      const a = suite.store
      const b = await suite.openAgain!()
      const { runId } = await suite.createRun()
      if (hasCapability(a, 'leases') && hasCapability(b, 'leases')) {
        const [x, y] = await Promise.all([
          a.leases.acquire(runId, 'owner-a', 60_000),
          b.leases.acquire(runId, 'owner-b', 60_000),
        ])
        expect([x.acquired, y.acquired].filter(Boolean)).toHaveLength(1)
        expect(x.lease.owner).toBe(y.lease.owner)
        expect(await a.leases.get(runId)).toEqual(await b.leases.get(runId))
      }
      if (hasCapability(a, 'signals') && hasCapability(b, 'signals')) {
        const sent = await a.signals.send({ runId, kind: 'cancel', data: 'from a' })
        expect(await b.signals.receive([runId], 0)).toEqual([sent])
        expect(await b.signals.lastId()).toBe(sent.id)
      }
      if (hasCapability(a, 'idempotency') && hasCapability(b, 'idempotency')) {
        const claims = await Promise.all([
          a.idempotency.claim('shared-key', 'body', 'owner-a', 60_000),
          b.idempotency.claim('shared-key', 'body', 'owner-b', 60_000),
        ])
        expect(claims.filter((c) => c.status === 'claimed')).toHaveLength(1)
        const winner: Store & { idempotency: NonNullable<Store['idempotency']> } =
          claims[0]!.status === 'claimed' ? a : b
        const owner = winner === a ? 'owner-a' : 'owner-b'
        expect(await winner.idempotency.complete('shared-key', owner, runId)).toBe(true)
        const other = winner === a ? b : a
        expect(await other.idempotency.claim('shared-key', 'body', 'owner-c', 60_000)).toEqual({
          status: 'done',
          runId,
          bodyHash: 'body',
        })
      }
    })
  })
}
