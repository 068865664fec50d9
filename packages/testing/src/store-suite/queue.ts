import type { QueueStore, Store } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import type { StoreSuite } from './helpers.js'

const queueOf = (store: Store): QueueStore => store.queue!

/** The `queue` capability: the durable queue flag with its history. */
export function describeQueue(suite: StoreSuite): void {
  describe('queue flag', () => {
    let queue: QueueStore
    beforeEach(() => {
      queue = queueOf(suite.store)
    })

    it('starts resumed with no history', async () => {
      expect(await queue.get()).toEqual({ paused: false })
      expect(await queue.history()).toEqual([])
    })

    it('pauses and resumes, recording each change once, newest first', async () => {
      const paused = await queue.set({ paused: true, reason: 'deploy', by: 'cli:ann' })
      expect(paused.changed).toBe(true)
      expect(paused.state).toMatchObject({ paused: true, reason: 'deploy', by: 'cli:ann' })
      expect(Number.isNaN(Date.parse(paused.state.changedAt!))).toBe(false)
      expect(await queue.get()).toEqual(paused.state)
      // Pausing a paused queue changes nothing and records nothing.
      const again = await queue.set({ paused: true, reason: 'other' })
      expect(again).toEqual({ state: paused.state, changed: false })

      const resumed = await queue.set({ paused: false, by: 'key:ops' })
      expect(resumed.changed).toBe(true)
      expect(resumed.state.paused).toBe(false)
      expect(resumed.state.reason).toBeUndefined()
      expect(resumed.state.by).toBe('key:ops')

      const history = await queue.history()
      expect(history.map((c) => [c.type, c.reason, c.by])).toEqual([
        ['queue.resumed', undefined, 'key:ops'],
        ['queue.paused', 'deploy', 'cli:ann'],
      ])
      expect(history[0]!.id).toBeGreaterThan(history[1]!.id)
      expect(await queue.history({ limit: 1 })).toEqual([history[0]])
    })

    it('is shared by every handle on the store', async () => {
      if (!suite.openAgain) return
      const other = await suite.openAgain()
      await queue.set({ paused: true, reason: 'from one handle' })
      expect(await queueOf(other).get()).toMatchObject({ paused: true, reason: 'from one handle' })
      await queueOf(other).set({ paused: false })
      expect((await queue.get()).paused).toBe(false)
      expect((await queue.history()).length).toBe(2)
    })
  })
}
