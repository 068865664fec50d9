import { createMockBackend } from '@weft/backend-mock'
import { createMemoryStore, createRuntime, type Store } from '@weft/core'
import { startOtlpReceiver } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { createOtelTraceSink } from '../src/index.js'

describe('a run continued by another process', () => {
  it('continues the trace it was started in: the new owner’s run span has the same parent', async () => {
    const receiver = await startOtlpReceiver()
    const store = createMemoryStore()
    // The first runtime's shutdown must not close the store the second one goes on with.
    const keepOpen = new Proxy(store, {
      get: (t, p) => (p === 'close' ? async () => {} : Reflect.get(t, p, t)),
    }) as Store
    try {
      const first = createRuntime({ store: keepOpen, backends: [createMockBackend()], owner: 'first' })
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      const run = await first.start({
        trace: { traceparent },
        workflow: {
          weft: 1,
          name: 'handed-over',
          defaults: { backend: 'mock' },
          tasks: { a: { with: { hang: true } }, b: { needs: ['a'] } },
        },
      })
      for (
        let i = 0;
        i < 200 && (await first.tasks(run.id)).find((t) => t.taskId === 'a')?.status !== 'running';
        i++
      )
        await new Promise((r) => setTimeout(r, 10))
      await first.shutdown({ graceMs: 0 })
      // In the next process the task finishes.
      const spec = (await store.runs.getSpec(run.id))!
      spec.workflow.tasks.a!.with = { output: 'done' }
      await store.commit({ runId: run.id, spec, events: [] })

      const second = createRuntime({
        store,
        backends: [createMockBackend()],
        owner: 'second',
        traceSink: createOtelTraceSink({ endpoint: receiver.url, spanProcessor: 'simple' }),
      })
      const [report] = await second.recover({ runId: run.id })
      expect(report?.outcome).toBe('recovered')
      expect((await second.wait(run.id)).status).toBe('succeeded')
      await second.close()

      const span = receiver.spans.find((s) => s.name === 'weft.run handed-over')
      expect(span?.traceId).toBe('0af7651916cd43dd8448eb211c80319c')
      expect(span?.parentSpanId).toBe('b7ad6b7169203331')
      expect(span?.attributes['weft.run.recovered']).toBe(true)
      expect(span?.events.map((e) => e.name)).toContain('weft.run.recovered')
      expect(receiver.trace(span!.traceId).map((s) => s.name)).toEqual(
        expect.arrayContaining(['weft.attempt a#2', 'weft.attempt b#1']),
      )
    } finally {
      await receiver.close()
    }
  })
})
