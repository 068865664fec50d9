import { describe, expect, it } from 'vitest'
import { type Component, createDataflow, DataflowError, type DataflowEvent } from '../src/index.js'
import { graph } from './helpers.js'

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i)

/** Records the size of every batch it gets and forwards the values (a copy: `values` is its own). */
function recorder(id: string, sizes: number[]): Component {
  return {
    specificationVersion: 'weft.component.v1',
    id,
    inputs: [{ name: 'in' }],
    outputs: [{ name: 'out' }],
    process: (ctx, _port, value) => {
      sizes.push(1)
      return ctx.emit('out', value)
    },
    processBatch: (ctx, _port, values) => {
      sizes.push(values.length)
      return ctx.emitBatch('out', values)
    },
  }
}

describe('runs of messages (offerMany, queues of runs)', () => {
  it('offerMany takes what fits, in order, copies the values, and says how many it took', async () => {
    const doc = graph(
      { src: { component: 'input' }, sink: { component: 'output' } },
      ['src.out -> sink.in'],
      {
        queueCapacity: 100,
      },
    )
    const execution = await createDataflow().createExecution(doc)
    const out: unknown[] = []
    execution.onOutput((_node, value) => out.push(value))
    await execution.start()
    const values = range(250)
    expect(execution.offerMany(values)).toBe(100)
    expect(execution.offer('no room')).toBe(false)
    // The caller's array is its own again: changing it changes nothing already offered.
    values.fill(-1, 0, 100)
    let sent = 100
    while (sent < 250) {
      await execution.whenWritable()
      sent += execution.offerMany(range(250 - sent, sent))
    }
    execution.offer('last')
    execution.end()
    const snapshot = await execution.done
    expect(out).toEqual([...range(250), 'last'])
    expect(snapshot.metrics.messagesInjected).toBe(251)
    expect(snapshot.metrics.nodes.src!.messagesIn).toBe(251)
    expect(() => execution.offerMany([1])).toThrow(DataflowError)
  })

  it('hands batches of up to 16,384 messages, in order, when the queue holds more', async () => {
    const sizes: number[] = []
    const doc = graph(
      { src: { component: 'input' }, r: { component: 'rec' }, sink: { component: 'output' } },
      ['src.out -> r.in', 'r.out -> sink.in'],
      { queueCapacity: 40_000 },
    )
    const execution = await createDataflow({ components: [recorder('rec', sizes)] }).createExecution(doc)
    const out: unknown[] = []
    execution.onOutput((_node, value) => out.push(value))
    await execution.start()
    expect(execution.offerMany(range(20_000))).toBe(20_000)
    expect(execution.offerMany(range(20_000, 20_000))).toBe(20_000)
    execution.end()
    await execution.done
    expect(out).toEqual(range(40_000))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40_000)
    expect(Math.max(...sizes)).toBe(16_384)
  })

  it('keeps each edge in order when batches and single messages of two producers interleave (fan-in)', async () => {
    const sizes: number[] = []
    // `a` gets single messages (offer), `b` runs of 100 (offerMany); both feed `r`.
    const doc = graph(
      {
        a: { component: 'input' },
        b: { component: 'input' },
        ta: { component: 'map', with: { expression: "'a' + value" } },
        r: { component: 'rec' },
        sink: { component: 'output' },
      },
      ['a.out -> ta.in', 'ta.out -> r.in', 'b.out -> r.in', 'r.out -> sink.in'],
      { queueCapacity: 64 },
    )
    const execution = await createDataflow({ components: [recorder('rec', sizes)] }).createExecution(doc)
    const out: unknown[] = []
    execution.onOutput((_node, value) => out.push(value))
    await execution.start()
    let nextA = 0
    let nextB = 0
    while (nextA < 3000 || nextB < 3000) {
      for (let k = 0; k < 7 && nextA < 3000 && execution.offer(nextA, { node: 'a' }); k++) nextA++
      if (nextB < 3000) nextB += execution.offerMany(range(Math.min(100, 3000 - nextB), nextB), { node: 'b' })
      await new Promise((resolve) => setImmediate(resolve))
    }
    execution.end()
    const snapshot = await execution.done
    expect(snapshot.state).toBe('completed')
    expect(out.filter((v) => typeof v === 'string')).toEqual(range(3000).map((i) => `a${i}`))
    expect(out.filter((v) => typeof v === 'number')).toEqual(range(3000))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6000)
    expect(snapshot.metrics.nodes.r!.messagesIn).toBe(6000)
  })

  it('delivers a fan-out batch to every branch unchanged when one branch changes its own copy', async () => {
    const doc = graph(
      {
        src: { component: 'input' },
        double: { component: 'map', with: { expression: 'value * 2' } },
        odd: { component: 'filter', with: { expression: 'value % 2 == 1' } },
        d: { component: 'output' },
        o: { component: 'output' },
      },
      ['src.out -> double.in', 'src.out -> odd.in', 'double.out -> d.in', 'odd.out -> o.in'],
    )
    const execution = await createDataflow().createExecution(doc)
    const out: Record<string, unknown[]> = { d: [], o: [] }
    execution.onOutput((node, value) => out[node]!.push(value))
    await execution.start()
    expect(execution.offerMany(range(5000))).toBe(5000)
    execution.end()
    await execution.done
    expect(out.d).toEqual(range(5000).map((i) => i * 2))
    expect(out.o).toEqual(range(5000).filter((i) => i % 2 === 1))
  })

  it('sends what a filter rejects on `rejected` only where that port has an edge, and counts it', async () => {
    const doc = graph(
      {
        src: { component: 'input' },
        f: { component: 'filter', with: { expression: 'value < 10' } },
        yes: { component: 'output' },
        no: { component: 'output' },
      },
      ['src.out -> f.in', 'f.out -> yes.in', 'f.rejected -> no.in'],
    )
    const execution = await createDataflow().createExecution(doc)
    const out: Record<string, unknown[]> = { yes: [], no: [] }
    execution.onOutput((node, value) => out[node]!.push(value))
    await execution.start()
    execution.offerMany(range(100))
    execution.end()
    const snapshot = await execution.done
    expect(out.yes).toEqual(range(10))
    expect(out.no).toEqual(range(90, 10))
    expect(snapshot.metrics.nodes.f!.messagesOut).toBe(100)
  })

  it('gives every hop an id, a sequence per edge and a time stamp while someone watches (port.emit)', async () => {
    const doc = graph(
      {
        src: { component: 'input' },
        m: { component: 'map', with: { expression: 'value + 1' } },
        sink: { component: 'output' },
      },
      ['src.out -> m.in', 'm.out -> sink.in'],
      { queueCapacity: 50 },
    )
    const execution = await createDataflow().createExecution(doc)
    const hops: Extract<DataflowEvent, { type: 'port.emit' }>[] = []
    const before = Date.now()
    execution.onPortEmit((e) => {
      if (e.type === 'port.emit') hops.push(e)
    })
    await execution.start()
    // Runs (offerMany), single messages and waits for room, mixed.
    let sent = 0
    while (sent < 300) {
      sent += execution.offerMany(range(Math.min(70, 300 - sent), sent))
      if (sent < 300 && execution.offer(sent)) sent++
      await execution.whenWritable()
    }
    execution.end()
    await execution.done
    const edges = new Map<string, typeof hops>()
    for (const hop of hops)
      edges.set(`${hop.source} -> ${hop.target}`, [
        ...(edges.get(`${hop.source} -> ${hop.target}`) ?? []),
        hop,
      ])
    expect([...edges.keys()].sort()).toEqual(['inject -> src:in', 'm:out -> sink:in', 'src:out -> m:in'])
    for (const [edge, seen] of edges) {
      expect(
        seen.map((h) => h.sequence),
        edge,
      ).toEqual(range(300, 1))
      const offset = edge === 'm:out -> sink:in' ? 1 : 0
      expect(
        seen.map((h) => h.value),
        edge,
      ).toEqual(range(300, offset))
      for (const h of seen) expect(h.timestamp).toBeGreaterThanOrEqual(before)
    }
    expect(new Set(hops.map((h) => h.messageId)).size).toBe(900)
  })
})
