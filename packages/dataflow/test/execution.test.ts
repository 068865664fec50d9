import { describe, expect, it } from 'vitest'
import { type Component, createDataflow, DataflowError, type DataflowEvent } from '../src/index.js'
import { graph, run } from './helpers.js'

/** A consumer that takes `ms` per message (a real timer), recording what it saw. */
function slowSink(ms: number, seen: unknown[]): Component {
  return {
    specificationVersion: 'weft.component.v1',
    id: 'slow-sink',
    inputs: [{ name: 'in' }],
    outputs: [],
    process: async (_ctx, _port, value) => {
      seen.push(value)
      await new Promise((r) => setTimeout(r, ms))
    },
  }
}

describe('executions', () => {
  it('goes pending → initializing → running → completed and keeps order along each edge', async () => {
    const doc = graph(
      {
        src: { component: 'input' },
        sq: { component: 'map', with: { expression: 'value * value' } },
        sink: { component: 'output' },
      },
      ['src.out -> sq.in', 'sq.out -> sink.in'],
    )
    const df = createDataflow()
    const execution = await df.createExecution(doc)
    const states: string[] = [execution.state]
    execution.on((e) => e.type === 'execution.state' && states.push(e.state))
    const out: unknown[] = []
    execution.onOutput((_n, v) => out.push(v))
    await execution.start()
    for (let i = 0; i < 1000; i++) execution.inject(i)
    execution.end()
    const snap = await execution.done
    expect(states).toEqual(['pending', 'initializing', 'running', 'completed'])
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i * i))
    expect(snap.metrics.nodes.sq).toMatchObject({
      messagesIn: 1000,
      messagesOut: 1000,
      invocations: 1000,
      errors: 0,
    })
    expect(snap.metrics).toMatchObject({ messagesInjected: 1000, messagesOutput: 1000 })
  })

  it('fans out to every edge of a port and fans in in arrival order, each edge in order', async () => {
    const doc = graph(
      {
        src: { component: 'input' },
        a: { component: 'map', with: { expression: "'a' + value" } },
        b: { component: 'map', with: { expression: "'b' + value" } },
        join: { component: 'passthrough' },
        sink: { component: 'output' },
      },
      ['src.out -> a.in', 'src.out -> b.in', 'a.out -> join.in', 'b.out -> join.in', 'join.out -> sink.in'],
    )
    const inputs = Array.from({ length: 3000 }, (_, i) => i)
    const { values, snapshot } = await run(doc, inputs)
    expect(values).toHaveLength(6000)
    expect(values.filter((v) => String(v).startsWith('a'))).toEqual(inputs.map((i) => `a${i}`))
    expect(values.filter((v) => String(v).startsWith('b'))).toEqual(inputs.map((i) => `b${i}`))
    expect(snapshot.metrics.nodes.src!.messagesOut).toBe(3000)
    expect(snapshot.metrics.nodes.join!.messagesIn).toBe(6000)
  })

  it('queues while paused up to the bound, answers "full" past it, and drains in order on resume', async () => {
    const doc = graph(
      { src: { component: 'input' }, sink: { component: 'output' } },
      ['src.out -> sink.in'],
      { queueCapacity: 100 },
    )
    const df = createDataflow()
    const execution = await df.createExecution(doc)
    const out: unknown[] = []
    execution.onOutput((_n, v) => out.push(v))
    await execution.start()
    execution.pause()
    for (let i = 0; i < 100; i++) execution.inject(i)
    let full: unknown
    try {
      execution.inject(100)
    } catch (err) {
      full = err
    }
    expect(full).toBeInstanceOf(DataflowError)
    expect((full as DataflowError).code).toBe('queue_full')
    expect((full as DataflowError).message).toMatch(
      /the queue of src:in is full \(100 messages, the execution is paused\)/,
    )
    expect(execution.offer(100)).toBe(false)
    await new Promise((r) => setTimeout(r, 20))
    expect(out).toEqual([])
    expect(execution.metrics().queueDepth).toBe(100)
    const waiting = execution.send(100) // resolves once the drain makes room
    execution.resume()
    await waiting
    execution.end()
    const snap = await execution.done
    expect(snap.state).toBe('completed')
    expect(out).toEqual(Array.from({ length: 101 }, (_, i) => i))
  })

  it('slows a fast producer to its slow consumer: bounded queues, nothing dropped, backpressure recorded', async () => {
    const seen: unknown[] = []
    const df = createDataflow({ components: [slowSink(1, seen)] })
    const doc = graph(
      {
        src: { component: 'input' },
        fan: {
          component: 'script',
          with: {
            source:
              'function process(ctx, port, v) { for (let i = 0; i < 10; i++) ctx.emit("out", v * 10 + i) }',
          },
        },
        sink: { component: 'slow-sink' },
      },
      ['src.out -> fan.in', 'fan.out -> sink.in'],
      { queueCapacity: 20 },
    )
    const execution = await df.createExecution(doc)
    const events: DataflowEvent[] = []
    execution.on((e) => events.push(e))
    await execution.start()
    let maxDepth = 0
    const timer = setInterval(() => {
      maxDepth = Math.max(maxDepth, execution.metrics().nodes.sink!.queueDepth)
    }, 2)
    for (let i = 0; i < 30; i++) await execution.send(i)
    execution.end()
    const snap = await execution.done
    clearInterval(timer)
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i))
    // The consumer's queue never held more than its capacity plus what one call emits.
    expect(maxDepth).toBeLessThanOrEqual(20 + 10)
    expect(snap.metrics.nodes.fan!.backpressureEvents).toBeGreaterThan(0)
    expect(events.some((e) => e.type === 'backpressure' && e.nodeId === 'fan' && e.capacity === 20)).toBe(
      true,
    )
  })

  it('records a throwing component; onError drop goes on, route emits the error, fail fails the execution', async () => {
    const thrower: Component = {
      specificationVersion: 'weft.component.v1',
      id: 'picky',
      inputs: [{ name: 'in' }],
      outputs: [{ name: 'out' }],
      process: (ctx, _port, value) => {
        if (value === 3) throw new Error('three is not allowed')
        return ctx.emit('out', value)
      },
    }
    const doc = (onError: 'drop' | 'route' | 'fail') =>
      graph(
        {
          src: { component: 'input' },
          p: { component: 'picky', onError },
          sink: { component: 'output' },
          errors: { component: 'output' },
        },
        ['src.out -> p.in', 'p.out -> sink.in', ...(onError === 'route' ? ['p.error -> errors.in'] : [])],
      )
    const drop = await run(doc('drop'), [1, 2, 3, 4], { components: [thrower] })
    expect(drop.snapshot.state).toBe('completed')
    expect(drop.values).toEqual([1, 2, 4])
    expect(drop.snapshot.metrics.nodes.p!.errors).toBe(1)
    expect(drop.execution.events().find((e) => e.type === 'node.error')).toMatchObject({
      nodeId: 'p',
      port: 'in',
      message: 'three is not allowed',
      action: 'drop',
    })

    const route = await run(doc('route'), [1, 2, 3, 4], { components: [thrower] })
    expect(route.outputs.filter((o) => o.node === 'errors').map((o) => o.value)).toEqual([
      { error: 'three is not allowed', node: 'p', port: 'in' },
    ])
    expect(route.outputs.filter((o) => o.node === 'sink').map((o) => o.value)).toEqual([1, 2, 4])

    const fail = await run(doc('fail'), [1, 2, 3, 4], { components: [thrower] })
    expect(fail.snapshot.state).toBe('failed')
    expect(fail.snapshot.error).toEqual({ message: "node 'p' failed: three is not allowed", nodeId: 'p' })
    expect(fail.values).toEqual([1, 2])
  })

  it('stops: cancelled, queues cleared, cleanup called, later injection refused', async () => {
    const cleaned: string[] = []
    const hold: Component = {
      specificationVersion: 'weft.component.v1',
      id: 'hold',
      inputs: [{ name: 'in' }],
      outputs: [],
      process: () => new Promise(() => {}),
      cleanup: (ctx) => void cleaned.push(ctx.nodeId),
    }
    const df = createDataflow({ components: [hold] })
    const execution = await df.createExecution(
      graph({ src: { component: 'input' }, h: { component: 'hold' } }, ['src.out -> h.in']),
    )
    await execution.start()
    execution.inject(1)
    execution.inject(2)
    await new Promise((r) => setTimeout(r, 10))
    const snap = await execution.stop()
    expect(snap.state).toBe('cancelled')
    expect(snap.metrics.queueDepth).toBe(0)
    expect(cleaned).toEqual(['h'])
    expect(() => execution.inject(3)).toThrow(/is cancelled/)
    expect(() => execution.resume()).toThrow(DataflowError)
  })
})
