import type { StoreWith } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import type { StoreSuite } from './helpers.js'

/** The `signals` capability: requests from one process to the one that runs a run. */
export function describeSignals(suite: StoreSuite): void {
  const { createRun } = suite
  describe('signals', () => {
    let store: StoreWith<'signals'>
    beforeEach(() => {
      store = suite.store as StoreWith<'signals'>
    })

    it('starts at lastId 0 and numbers signals upwards', async () => {
      expect(await store.signals.lastId()).toBe(0)
      const a = await store.signals.send({ runId: 'run_A', kind: 'pause' })
      const b = await store.signals.send({ runId: 'run_B', kind: 'cancel', data: 'because' })
      expect(a).toMatchObject({ runId: 'run_A', kind: 'pause' })
      expect(a.data).toBeUndefined()
      expect(Number.isInteger(a.id) && a.id > 0).toBe(true)
      expect(b.id).toBeGreaterThan(a.id)
      expect(Number.isNaN(Date.parse(a.createdAt))).toBe(false)
      expect(await store.signals.lastId()).toBe(b.id)
    })

    it('receives signals of the given runs after an id, oldest first', async () => {
      const start = await store.signals.lastId()
      const s1 = await store.signals.send({ runId: 'run_A', kind: 'pause' })
      const s2 = await store.signals.send({ runId: 'run_B', kind: 'pause' })
      const s3 = await store.signals.send({
        runId: 'run_A',
        kind: 'resume',
        data: { token: 'tok_1', input: { ok: true, n: [1, 2] } },
      })
      const s4 = await store.signals.send({ runId: 'run_C', kind: 'cancel', data: null })

      expect(await store.signals.receive(['run_A'], start)).toEqual([s1, s3])
      expect(await store.signals.receive(['run_A', 'run_C'], s1.id)).toEqual([s3, s4])
      expect(await store.signals.receive(['run_A', 'run_B', 'run_C'], start)).toEqual([s1, s2, s3, s4])
      expect(await store.signals.receive(['run_A'], s3.id)).toEqual([])
      expect(await store.signals.receive([], start)).toEqual([])
      expect(await store.signals.receive(['run_Z'], start)).toEqual([])

      const [resume] = await store.signals.receive(['run_A'], s1.id)
      expect(resume!.data).toEqual({ token: 'tok_1', input: { ok: true, n: [1, 2] } })
      expect((await store.signals.receive(['run_C'], start))[0]!.data).toBeNull()
      expect(await store.signals.lastId()).toBe(s4.id)
    })

    it('never reuses the ids of deleted signals', async () => {
      const keep = await createRun()
      const doomed = await createRun()
      const early = await store.signals.send({ runId: keep.runId, kind: 'pause' })
      const last = await store.signals.send({ runId: doomed.runId, kind: 'cancel' })
      expect(await store.runs.delete([doomed.runId])).toBe(1)
      // A reader that already saw `last` must still see the next signal.
      const next = await store.signals.send({ runId: keep.runId, kind: 'resume' })
      expect(next.id).toBeGreaterThan(last.id)
      expect(await store.signals.receive([keep.runId], last.id)).toEqual([next])
      expect(await store.signals.receive([keep.runId], 0)).toEqual([early, next])
      expect(await store.signals.lastId()).toBe(next.id)
    })
  })
}
