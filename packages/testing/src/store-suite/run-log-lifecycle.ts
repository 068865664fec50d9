/**
 * The run log, required of every store: its lifecycle. What a store says about itself, `init`
 * run again over what was written, and unknown runs answered with "nothing". Apart from
 * `run-log-commit.ts` because it checks the store as a whole, not what a commit writes.
 */
import { newRunId, OPTIONAL_STORE_CAPABILITIES, type Store } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import type { StoreSuite } from './helpers.js'

/** The run log, required of every store: lifecycle (identity, capabilities, `init`, unknown runs). */
export function describeRunLogLifecycle(suite: StoreSuite): void {
  const { createRun } = suite
  describe('lifecycle', () => {
    let store: Store
    beforeEach(() => {
      store = suite.store
    })

    it('describes itself', () => {
      expect(store.specificationVersion).toBe('weft.store.v1')
      expect(typeof store.id).toBe('string')
      expect(store.id.length).toBeGreaterThan(0)
      for (const key of ['transactions', 'multiProcess', ...OPTIONAL_STORE_CAPABILITIES] as const) {
        expect(typeof store.capabilities[key], `capabilities.${key}`).toBe('boolean')
      }
      // An optional part is there exactly when the store declares it.
      for (const key of OPTIONAL_STORE_CAPABILITIES) {
        expect(store[key] !== undefined, `store.${key} present <=> capabilities.${key}`).toBe(
          store.capabilities[key],
        )
      }
    })

    it('init is idempotent and keeps what was written', async () => {
      const { runId } = await createRun()
      await store.init()
      await store.init()
      expect((await store.runs.get(runId))?.id).toBe(runId)
      expect(await store.events.read(runId)).toHaveLength(3)
    })

    it('answers "nothing" for unknown runs instead of throwing', async () => {
      const id = newRunId()
      expect(await store.runs.get(id)).toBeUndefined()
      expect(await store.runs.getSpec(id)).toBeUndefined()
      expect(await store.tasks.list(id)).toEqual([])
      expect(await store.tasks.get(id, 'a')).toBeUndefined()
      expect(await store.events.read(id)).toEqual([])
      expect(await store.events.query({ runId: id })).toEqual([])
      expect(await store.runs.list()).toEqual({ items: [] })
    })
  })
}
