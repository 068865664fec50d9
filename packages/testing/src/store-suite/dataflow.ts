import { type DataflowExecutionRecord, type DataflowStore, dataflowStoreOf } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import type { StoreSuite } from './helpers.js'

/** Dataflow executions: records saved and replaced, events appended with gapless seqs, lists newest first. */
export function describeDataflowStore(suite: StoreSuite): void {
  describe('dataflow executions', () => {
    let store: DataflowStore
    beforeEach(() => {
      store = dataflowStoreOf(suite.store)!
    })
    const record = (id: string, createdAt: string, state = 'running'): DataflowExecutionRecord => ({
      id,
      graph: 'evens',
      state,
      createdAt,
      source: 'examples/dataflow/evens.yaml',
      spec: { weft: 1, kind: 'dataflow', name: 'evens', nodes: { src: { component: 'input' } }, edges: [] },
    })

    it('declares the part it has', () => {
      expect(dataflowStoreOf(suite.store)).toBeDefined()
    })

    it('saves a record and replaces it with its final state and metrics', async () => {
      await store.save(record('dfx_1', '2026-01-01T00:00:00.000Z'))
      expect(await store.get('dfx_1')).toEqual(record('dfx_1', '2026-01-01T00:00:00.000Z'))
      const final = {
        ...record('dfx_1', '2026-01-01T00:00:00.000Z', 'completed'),
        completedAt: '2026-01-01T00:00:01.000Z',
        metrics: { messagesInjected: 10, nodes: { src: { messagesIn: 10 } } },
      }
      await store.save(final)
      expect(await store.get('dfx_1')).toEqual(final)
      expect(await store.get('dfx_nope')).toBeUndefined()
    })

    it('appends events with gapless seqs from 1 and reads them after a seq', async () => {
      await store.save(record('dfx_e', '2026-01-01T00:00:00.000Z'))
      const first = await store.append('dfx_e', [
        {
          ts: '2026-01-01T00:00:00.100Z',
          type: 'execution.state',
          data: { state: 'running', previous: 'initializing' },
        },
        {
          ts: '2026-01-01T00:00:00.200Z',
          type: 'backpressure',
          data: { nodeId: 'src', depth: 10, capacity: 10 },
        },
      ])
      expect(first.map((e) => e.seq)).toEqual([1, 2])
      const second = await store.append('dfx_e', [
        { ts: '2026-01-01T00:00:00.300Z', type: 'node.error', data: { message: 'boom' } },
      ])
      expect(second).toEqual([
        {
          executionId: 'dfx_e',
          seq: 3,
          ts: '2026-01-01T00:00:00.300Z',
          type: 'node.error',
          data: { message: 'boom' },
        },
      ])
      // Saving the record again keeps its events.
      await store.save(record('dfx_e', '2026-01-01T00:00:00.000Z', 'completed'))
      expect((await store.events('dfx_e')).map((e) => e.type)).toEqual([
        'execution.state',
        'backpressure',
        'node.error',
      ])
      expect((await store.events('dfx_e', { afterSeq: 1, limit: 1 })).map((e) => e.seq)).toEqual([2])
      expect(await store.events('dfx_unknown')).toEqual([])
    })

    it('refuses events of an execution it does not have', async () => {
      await expect(
        store.append('dfx_missing', [{ ts: '2026-01-01T00:00:00.000Z', type: 'x', data: null }]),
      ).rejects.toThrow(/no dataflow execution 'dfx_missing'/)
    })

    it('lists newest first, with a limit and a state filter', async () => {
      await store.save(record('dfx_a', '2026-01-01T00:00:01.000Z', 'completed'))
      await store.save(record('dfx_b', '2026-01-01T00:00:03.000Z', 'failed'))
      await store.save(record('dfx_c', '2026-01-01T00:00:02.000Z', 'completed'))
      expect((await store.list()).map((r) => r.id)).toEqual(['dfx_b', 'dfx_c', 'dfx_a'])
      expect((await store.list({ limit: 2 })).map((r) => r.id)).toEqual(['dfx_b', 'dfx_c'])
      expect((await store.list({ state: 'completed' })).map((r) => r.id)).toEqual(['dfx_c', 'dfx_a'])
    })
  })
}
