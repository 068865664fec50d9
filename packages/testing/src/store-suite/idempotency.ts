import type { StoreWith } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { pause, type StoreSuite } from './helpers.js'

/**
 * The `idempotency` capability: request keys that start exactly one run. A key is claimed by one
 * owner for a while, then completed with the run it started; the answer to everyone else is the
 * claim (`busy`) or the run (`done`), with the hash of the request body that claimed it.
 */
export function describeIdempotency(suite: StoreSuite): void {
  const { createRun } = suite
  describe('idempotency', () => {
    let store: StoreWith<'idempotency'>
    beforeEach(() => {
      store = suite.store as StoreWith<'idempotency'>
    })
    const LONG = 60_000

    it('claims a free key; the holder may claim it again; another owner finds it busy', async () => {
      const keys = store.idempotency
      expect(await keys.claim('key-1', 'body-a', 'owner-a', LONG)).toEqual({ status: 'claimed' })
      expect(await keys.claim('key-1', 'body-a', 'owner-a', LONG)).toEqual({ status: 'claimed' })
      const before = Date.now()
      const busy = await keys.claim('key-1', 'body-b', 'owner-b', LONG)
      expect(busy).toMatchObject({ status: 'busy', owner: 'owner-a', bodyHash: 'body-a' })
      expect(Date.parse((busy as { expiresAt: string }).expiresAt)).toBeGreaterThan(before)
      // Another key is another claim.
      expect(await keys.claim('key-2', 'body-b', 'owner-b', LONG)).toEqual({ status: 'claimed' })
    })

    it('answers the run of a completed key to everyone, with the body hash that claimed it', async () => {
      const keys = store.idempotency
      const { runId } = await createRun()
      await keys.claim('key-1', 'body-a', 'owner-a', LONG)
      expect(await keys.complete('key-1', 'owner-a', runId)).toBe(true)
      const done = { status: 'done', runId, bodyHash: 'body-a' }
      expect(await keys.claim('key-1', 'body-a', 'owner-a', LONG)).toEqual(done)
      expect(await keys.claim('key-1', 'body-other', 'owner-b', LONG)).toEqual(done)
      // Completing again with the same run is harmless; with another run it is refused.
      expect(await keys.complete('key-1', 'owner-a', runId)).toBe(true)
      expect(await keys.complete('key-1', 'owner-a', (await createRun()).runId)).toBe(false)
      expect(await keys.claim('key-1', 'body-a', 'owner-c', LONG)).toEqual(done)
    })

    it('completes only a claim the owner holds', async () => {
      const keys = store.idempotency
      const { runId } = await createRun()
      expect(await keys.complete('never-claimed', 'owner-a', runId)).toBe(false)
      await keys.claim('key-1', 'body-a', 'owner-a', LONG)
      expect(await keys.complete('key-1', 'owner-b', runId)).toBe(false)
      expect(await keys.claim('key-1', 'body-b', 'owner-b', LONG)).toMatchObject({ status: 'busy' })
    })

    it('release frees a claim for another owner; it never undoes a completed key', async () => {
      const keys = store.idempotency
      await keys.claim('key-1', 'body-a', 'owner-a', LONG)
      await keys.release('key-1', 'owner-b') // not the holder: nothing happens
      expect(await keys.claim('key-1', 'body-b', 'owner-b', LONG)).toMatchObject({ status: 'busy' })
      await keys.release('key-1', 'owner-a')
      expect(await keys.claim('key-1', 'body-b', 'owner-b', LONG)).toEqual({ status: 'claimed' })

      const { runId } = await createRun()
      expect(await keys.complete('key-1', 'owner-b', runId)).toBe(true)
      await keys.release('key-1', 'owner-b')
      expect(await keys.claim('key-1', 'body-c', 'owner-c', LONG)).toEqual({
        status: 'done',
        runId,
        bodyHash: 'body-b',
      })
      await keys.release('unknown-key', 'owner-a')
    })

    it('an expired claim can be taken by another owner, whose completion wins', async () => {
      const keys = store.idempotency
      await keys.claim('key-1', 'body-a', 'owner-a', 30)
      await pause(80)
      expect(await keys.claim('key-1', 'body-b', 'owner-b', LONG)).toEqual({ status: 'claimed' })
      const { runId } = await createRun()
      expect(await keys.complete('key-1', 'owner-a', runId)).toBe(false)
      expect(await keys.complete('key-1', 'owner-b', runId)).toBe(true)
      expect(await keys.claim('key-1', 'body-a', 'owner-a', LONG)).toMatchObject({
        runId,
        bodyHash: 'body-b',
      })
    })

    it('exactly one of many concurrent claims of a key wins', async () => {
      const keys = store.idempotency
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => keys.claim('contended', `body-${i}`, `owner-${i}`, LONG)),
      )
      expect(answers.filter((a) => a.status === 'claimed')).toHaveLength(1)
      const winner = answers.findIndex((a) => a.status === 'claimed')
      for (const a of answers) {
        if (a.status === 'busy')
          expect(a).toMatchObject({ owner: `owner-${winner}`, bodyHash: `body-${winner}` })
      }
    })

    it('keeps keys of any text apart', async () => {
      const keys = store.idempotency
      const names = ['a/b', 'a\\b', '../x', 'ünï 🧵', 'K'.repeat(300), 'k', 'K']
      for (const [i, key] of names.entries()) {
        expect(await keys.claim(key, `body-${i}`, `owner-${i}`, LONG), key).toEqual({ status: 'claimed' })
      }
      for (const [i, key] of names.entries()) {
        expect(await keys.claim(key, 'other', 'someone', LONG)).toMatchObject({
          status: 'busy',
          bodyHash: `body-${i}`,
        })
      }
    })

    it('runs.delete forgets the keys of the runs it deletes', async () => {
      const keys = store.idempotency
      const doomed = await createRun()
      const kept = await createRun()
      await keys.claim('doomed-key', 'body-a', 'owner-a', LONG)
      await keys.complete('doomed-key', 'owner-a', doomed.runId)
      await keys.claim('kept-key', 'body-a', 'owner-a', LONG)
      await keys.complete('kept-key', 'owner-a', kept.runId)
      expect(await store.runs.delete([doomed.runId])).toBe(1)
      expect(await keys.claim('doomed-key', 'body-b', 'owner-b', LONG)).toEqual({ status: 'claimed' })
      expect(await keys.claim('kept-key', 'body-b', 'owner-b', LONG)).toEqual({
        status: 'done',
        runId: kept.runId,
        bodyHash: 'body-a',
      })
    })
  })
}
