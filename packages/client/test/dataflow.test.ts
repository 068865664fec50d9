import { isWeftApiError } from '@weft/client'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createClient, type DataflowWsMessage } from '../src/index.js'
import { useServer } from './helpers.js'

const h = useServer()

const EVENS = `
weft: 1
kind: dataflow
name: evens
queueCapacity: 5
nodes:
  src: { component: input }
  keep: { component: filter, with: { expression: "value % 2 == 0" } }
  sq: { component: map, with: { expression: "value * value" } }
  sink: { component: output }
edges:
  - { from: src.out, to: keep.in }
  - { from: keep.out, to: sq.in }
  - { from: sq.out, to: sink.in }
`

const waitFor = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 25))
}

describe('client.dataflow against a real server', () => {
  it('lists components with ports and option schemas', async () => {
    const client = createClient({ baseUrl: h.url })
    const components = await client.dataflow.components()
    const filter = components.find((c) => c.id === 'filter')!
    expect(filter.outputs.map((p) => p.name)).toEqual(['out', 'rejected'])
    expect(filter.options).toMatchObject({ type: 'object', properties: { expression: { type: 'string' } } })
    expect(components.map((c) => c.id)).toEqual(
      expect.arrayContaining(['input', 'output', 'map', 'http-request', 'agent', 'script']),
    )
  })

  it('registers a graph, runs an execution, injects, pauses (queue bound, 429), resumes, ends; the store keeps it', async () => {
    const client = createClient({ baseUrl: h.url })
    const graph = await client.dataflow.graphs.register(EVENS)
    expect(graph).toMatchObject({
      name: 'evens',
      nodes: 4,
      edges: 3,
      topology: { order: ['src', 'keep', 'sq', 'sink'] },
    })
    expect((await client.dataflow.graphs.list()).map((g) => g.id)).toContain(graph.id)

    const execution = await client.dataflow.executions.create({ graphId: graph.id })
    expect(execution).toMatchObject({ graph: 'evens', graphId: graph.id, state: 'running', live: true })
    expect(await client.dataflow.executions.inject(execution.id, { values: [1, 2, 3, 4] })).toMatchObject({
      accepted: 4,
    })

    await client.dataflow.executions.pause(execution.id)
    const taken = await client.dataflow.executions.inject(execution.id, { values: [5, 6, 7, 8, 9, 10, 11] })
    expect(taken.accepted).toBe(5) // the bound of the paused input queue
    const full = await client.dataflow.executions
      .inject(execution.id, { value: 12 })
      .catch((err: unknown) => err)
    expect(isWeftApiError(full) && full.status === 429 && full.code === 'queue_full').toBe(true)
    expect((full as Error).message).toMatch(/is full \(5 messages, the execution is paused\)/)

    const resumed = await client.dataflow.executions.resume(execution.id)
    expect(resumed.state).toBe('running')
    await client.dataflow.executions.end(execution.id)
    await waitFor(async () => (await client.dataflow.executions.get(execution.id)).state === 'completed')
    const done = await client.dataflow.executions.get(execution.id)
    expect(done.metrics).toMatchObject({ messagesInjected: 9, messagesOutput: 4 })
    expect(done.metrics!.nodes.keep).toMatchObject({ messagesIn: 9, messagesOut: 4 })

    const events = await client.dataflow.executions.events(execution.id)
    expect(
      events.filter((e) => e.type === 'execution.state').map((e) => (e.data as { state: string }).state),
    ).toEqual(['initializing', 'running', 'paused', 'running', 'completed'])
    expect((await client.dataflow.executions.list()).map((e) => e.id)).toContain(execution.id)
    await waitFor(async () => (await h.runtime.store.dataflow?.get(execution.id))?.state === 'completed')
    expect(await h.runtime.store.dataflow?.get(execution.id)).toMatchObject({
      state: 'completed',
      metrics: { messagesOutput: 4 },
    })
  })

  it('answers an invalid graph with every diagnostic, unknown executions with 404, and stops inline executions', async () => {
    const client = createClient({ baseUrl: h.url })
    const bad = await client.dataflow.graphs
      .register({ weft: 1, kind: 'dataflow', name: 'bad', nodes: { a: { component: 'nope' } } })
      .catch((e: unknown) => e)
    expect(isWeftApiError(bad) && bad.code === 'workflow_invalid').toBe(true)
    expect(JSON.stringify((bad as { details?: unknown }).details)).toContain('unknown_component')
    const missing = await client.dataflow.executions.get('dfx_missing').catch((e: unknown) => e)
    expect(isWeftApiError(missing) && missing.status === 404).toBe(true)

    const inline = await client.dataflow.executions.create({ graph: EVENS })
    const stopped = await client.dataflow.executions.stop(inline.id)
    expect(stopped.state).toBe('cancelled')
    const again = await client.dataflow.executions.resume(inline.id).catch((e: unknown) => e)
    expect(isWeftApiError(again) && again.status === 409).toBe(true)
  })

  it('exposes live executions’ per-node metrics to Prometheus', async () => {
    const client = createClient({ baseUrl: h.url })
    const execution = await client.dataflow.executions.create({ graph: EVENS })
    await client.dataflow.executions.inject(execution.id, { values: [2, 4] })
    await waitFor(
      async () => (await client.dataflow.executions.get(execution.id)).metrics!.messagesOutput === 2,
    )
    const text = await client.metrics()
    expect(text).toContain(
      `weft_dataflow_messages_in_total{execution="${execution.id}",graph="evens",node="keep",component="filter"} 2`,
    )
    await client.dataflow.executions.stop(execution.id)
  })

  it('streams an execution over the WebSocket: events, metrics every second, port emits coalesced and bounded', async () => {
    const client = createClient({ baseUrl: h.url, WebSocket: WebSocket as never })
    const execution = await client.dataflow.executions.create({
      graph: EVENS.replace('queueCapacity: 5', 'queueCapacity: 10000'),
    })
    const session = await client.connect()
    const got: DataflowWsMessage[] = []
    session.onDataflow((m) => got.push(m))
    await session.subscribeDataflow(execution.id, { portEmits: true })
    await client.dataflow.executions.inject(execution.id, {
      values: Array.from({ length: 2000 }, (_, i) => i),
    })
    await client.dataflow.executions.pause(execution.id)
    await waitFor(
      async () =>
        got.some((m) => m.type === 'dataflow.metrics') && got.some((m) => m.type === 'dataflow.port_emit'),
    )
    const batches = got.filter(
      (m): m is Extract<DataflowWsMessage, { type: 'dataflow.port_emit' }> => m.type === 'dataflow.port_emit',
    )
    // 2000 inputs make about 5000 hops; a client gets at most 200 per batch, the rest counted.
    for (const b of batches) expect(b.items.length).toBeLessThanOrEqual(200)
    const sent = batches.reduce((n, b) => n + b.items.length + b.dropped, 0)
    expect(sent).toBe(2000 + 2000 + 1000 + 1000)
    expect(batches[0]!.items[0]).toMatchObject({ source: 'inject', target: 'src:in', sequence: 1, value: 0 })
    expect(got.find((m) => m.type === 'dataflow.event')).toMatchObject({
      event: { type: 'execution.state', state: 'paused' },
    })
    const metrics = got.find((m) => m.type === 'dataflow.metrics') as Extract<
      DataflowWsMessage,
      { type: 'dataflow.metrics' }
    >
    expect(metrics.metrics).toMatchObject({ messagesInjected: 2000 })
    await session.unsubscribeDataflow(execution.id)
    await session.close()
    await client.dataflow.executions.stop(execution.id)
  })
})
