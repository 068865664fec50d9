import { describe, expect, it } from 'vitest'
import { type Component, createDataflow, type DataflowOptions } from '../src/index.js'
import { graph } from './helpers.js'

/**
 * Messages injected in one synchronous burst reach each node as runs, which components with
 * `processBatch` take whole (the tests in execution.test.ts send one message at a time, so their
 * nodes mostly see runs of one).
 */
async function burst(doc: unknown, inputs: unknown[], options: DataflowOptions = {}) {
  const df = createDataflow(options)
  const execution = await df.createExecution(doc)
  const outputs: { node: string; value: unknown }[] = []
  execution.onOutput((node, value) => outputs.push({ node, value }))
  await execution.start()
  for (let i = 0; i < inputs.length; i++) {
    if (execution.offer(inputs[i])) continue
    await execution.whenWritable()
    i--
  }
  if (execution.state === 'running') execution.end()
  const snapshot = await execution.done
  const of = (node: string) => outputs.filter((o) => o.node === node).map((o) => o.value)
  return { execution, snapshot, values: outputs.map((o) => o.value), of }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

describe('batches (processBatch)', () => {
  it('hands a component runs of one port in arrival order, and counts every message', async () => {
    const sizes: number[] = []
    const doubler: Component = {
      specificationVersion: 'weft.component.v1',
      id: 'doubler',
      inputs: [{ name: 'in' }],
      outputs: [{ name: 'out' }],
      process: (ctx, _port, value) => ctx.emit('out', (value as number) * 2),
      processBatch: (ctx, _port, values) => {
        sizes.push(values.length)
        return ctx.emitBatch(
          'out',
          values.map((v) => (v as number) * 2),
        )
      },
    }
    const doc = graph(
      { src: { component: 'input' }, d: { component: 'doubler' }, sink: { component: 'output' } },
      ['src.out -> d.in', 'd.out -> sink.in'],
    )
    const r = await burst(doc, range(5000), { components: [doubler] })
    expect(r.snapshot.state).toBe('completed')
    expect(r.values).toEqual(range(5000).map((i) => i * 2))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5000)
    expect(Math.max(...sizes)).toBeGreaterThan(1)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16_384)
    const d = r.snapshot.metrics.nodes.d!
    expect(d.messagesIn).toBe(5000)
    expect(d.messagesOut).toBe(5000)
    expect(d.invocations).toBe(5000)
    expect(d.latency.samples).toBeGreaterThan(0)
  })

  it('runs map and filter over bursts with the results of one message at a time', async () => {
    const doc = graph(
      {
        src: { component: 'input' },
        m: { component: 'map', with: { expression: 'value * 3' } },
        f: { component: 'filter', with: { expression: 'value % 2 == 0' } },
        kept: { component: 'output' },
        dropped: { component: 'output' },
      },
      ['src.out -> m.in', 'm.out -> f.in', 'f.out -> kept.in', 'f.rejected -> dropped.in'],
    )
    const r = await burst(doc, range(20_000))
    const tripled = range(20_000).map((i) => i * 3)
    expect(r.of('kept')).toEqual(tripled.filter((v) => v % 2 === 0))
    expect(r.of('dropped')).toEqual(tripled.filter((v) => v % 2 !== 0))
    expect(r.snapshot.metrics.nodes.f!.messagesOut).toBe(20_000)
  })

  it("applies each node's onError to the one message that threw, within a batch", async () => {
    const doc = (onError: 'drop' | 'route' | 'fail') =>
      graph(
        {
          src: { component: 'input' },
          // Not in the fast path (a function), so it runs in QuickJS and can throw.
          m: {
            component: 'map',
            onError,
            with: { expression: 'value === 3 ? (() => { throw new Error("no threes") })() : value * 10' },
          },
          sink: { component: 'output' },
          errors: { component: 'output' },
        },
        ['src.out -> m.in', 'm.out -> sink.in', ...(onError === 'route' ? ['m.error -> errors.in'] : [])],
      )
    const drop = await burst(doc('drop'), range(8))
    expect(drop.snapshot.state).toBe('completed')
    expect(drop.of('sink')).toEqual([0, 10, 20, 40, 50, 60, 70])
    expect(drop.snapshot.metrics.nodes.m!.errors).toBe(1)

    const route = await burst(doc('route'), range(8))
    expect(route.of('sink')).toEqual([0, 10, 20, 40, 50, 60, 70])
    expect(route.of('errors')).toEqual([
      { error: expect.stringContaining('no threes'), node: 'm', port: 'in' },
    ])

    const fail = await burst(doc('fail'), range(8))
    expect(fail.snapshot.state).toBe('failed')
    expect(fail.snapshot.error).toMatchObject({ nodeId: 'm', message: expect.stringContaining('no threes') })
    expect(fail.of('sink')).not.toContain(40)
  })

  it('fans a batch out to every edge, each in order, and waits for the slowest queue', async () => {
    const seen: unknown[] = []
    const slow: Component = {
      specificationVersion: 'weft.component.v1',
      id: 'slow',
      inputs: [{ name: 'in' }],
      outputs: [],
      process: (_ctx, _port, value) =>
        new Promise<void>((resolve) => {
          seen.push(value)
          setImmediate(resolve)
        }),
    }
    const doc = graph(
      {
        src: { component: 'input' },
        p: { component: 'passthrough' },
        fast: { component: 'output' },
        lag: { component: 'slow' },
      },
      ['src.out -> p.in', 'p.out -> fast.in', 'p.out -> lag.in'],
      { queueCapacity: 32 },
    )
    const r = await burst(doc, range(3000), { components: [slow] })
    expect(r.snapshot.state).toBe('completed')
    expect(r.of('fast')).toEqual(range(3000))
    expect(seen).toEqual(range(3000))
    expect(r.snapshot.metrics.nodes.p!.backpressureEvents).toBeGreaterThan(0)
    expect(r.execution.queueDepth()).toBe(0)
  })
})

describe('injection targets', () => {
  it('names the input nodes to choose from when a graph has several, and the nodes when one is unknown', async () => {
    const doc = graph(
      {
        a: { component: 'input' },
        b: { component: 'input' },
        m: { component: 'passthrough' },
        sink: { component: 'output' },
      },
      ['a.out -> m.in', 'b.out -> m.in', 'm.out -> sink.in'],
    )
    const execution = await createDataflow().createExecution(doc)
    await execution.start()
    expect(() => execution.offer(1)).toThrow(
      expect.objectContaining({ code: 'unknown_target', hint: 'name the node to inject into: a or b' }),
    )
    expect(() => execution.offer(1, { node: 'zz' })).toThrow(
      expect.objectContaining({ code: 'unknown_target', hint: 'nodes: a, b, m, sink' }),
    )
    expect(execution.offer(1, { node: 'b' })).toBe(true)
    execution.end()
    expect((await execution.done).metrics.messagesOutput).toBe(1)
  })
})
