import type { WeftEvent } from '@weft/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createClient, WeftApiError, WeftConnectionError, type WeftSession } from '../src/index.js'
import { range, startServer, useClient, useServer, waitFor, workflows } from './helpers.js'

const KEY = 'ws-admin-key-0123456789'
const h = useServer({ keys: [{ name: 'ops', key: KEY, scopes: ['admin'] }] })
// Node 20 has no global WebSocket: the `ws` package's, as a browser would have its own.
const client = useClient(h, { apiKey: KEY, WebSocket })

describe('the WebSocket session', () => {
  let session: WeftSession
  beforeAll(async () => {
    session = await client.connect()
  })
  afterAll(async () => {
    await session.close()
  })

  it('answers a ping', async () => {
    expect(await session.ping()).toBeGreaterThanOrEqual(0)
  })

  it('subscribes to one run from a seq: stored events first, then live ones, gapless; an iterator ends with the session', async () => {
    const { runId } = await client.runs.start({ workflow: workflows.chain(3, 40, 'ws-run') })
    const events: WeftEvent[] = []
    const stop = session.onEvent((e) => {
      if (e.runId === runId) events.push(e)
    })
    await client.runs.wait(runId, { until: (r) => r.lastSeq >= 5 })
    await session.subscribe(runId, { after: 2 })
    const done = await client.runs.wait(runId)
    await waitFor(() => events.at(-1)?.seq === done.lastSeq, 'the last event')
    stop()
    expect(events.map((e) => e.seq)).toEqual(range(done.lastSeq).slice(2))
    await session.unsubscribe(runId)
  })

  it('controls runs with answers matched by id: pause, resume, cancel; errors come back as WeftApiError', async () => {
    const { runId } = await client.runs.start({ workflow: workflows.chain(5, 120, 'ws-control') })
    await session.subscribe(runId)
    const types: string[] = []
    const iterator = session.events()
    const reading = (async () => {
      for await (const e of iterator) {
        if (e.runId !== runId) continue
        types.push(e.type)
        if (e.type === 'run.canceled') break
      }
    })()
    await waitFor(() => types.includes('task.started'), 'a task to start')
    // Several requests in flight at once: each answer finds its own promise.
    const [paused, pong] = await Promise.all([session.pause(runId), session.ping()])
    expect(paused?.id).toBe(runId)
    expect(pong).toBeGreaterThanOrEqual(0)
    await client.runs.wait(runId, { until: (r) => r.status === 'paused' })
    await session.resume(runId)
    await waitFor(() => types.includes('run.resumed'), 'run.resumed')
    await session.cancel(runId, { reason: 'done over ws' })
    await reading
    expect(types).toEqual(
      expect.arrayContaining(['run.paused', 'run.resumed', 'run.canceling', 'run.canceled']),
    )

    const err = await session.cancel('run_unknown').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WeftApiError)
    expect(err).toMatchObject({ code: 'run_not_found', status: 404 })
  })

  it('with `deltas: true` a subscription also gets the text deltas, which keep the last stored seq', async () => {
    const workflow = {
      weft: 1 as const,
      name: 'ws-deltas',
      defaults: { backend: 'mock' },
      tasks: {
        talk: {
          prompt: 'talk',
          with: { events: ['a', 'b', 'c'].map((delta) => ({ delta, delayMs: 60 })), output: 'abc' },
        },
      },
    }
    const { runId } = await client.runs.start({ workflow })
    const events: WeftEvent[] = []
    const stop = session.onEvent((e) => {
      if (e.runId === runId) events.push(e)
    })
    await session.subscribe(runId, { after: 0, deltas: true })
    const done = await client.runs.wait(runId)
    await waitFor(
      () => events.at(-1)?.seq === done.lastSeq && events.at(-1)?.type === 'run.succeeded',
      'the end',
    )
    stop()
    const deltas = events.filter((e) => e.type === 'agent.delta')
    expect(deltas.map((e) => (e.data as { text: string }).text).join('')).toBe('abc')
    expect(events.filter((e) => e.type !== 'agent.delta').map((e) => e.seq)).toEqual(range(done.lastSeq))
    await session.unsubscribe(runId)
  })

  it('subscribes to every run', async () => {
    const all = await client.connect()
    await all.subscribe()
    const seen = new Set<string>()
    all.onEvent((e) => {
      if (e.type === 'run.succeeded') seen.add(e.runId)
    })
    const a = await client.runs.start({ workflow: workflows.quick('all-a') })
    const b = await client.runs.start({ workflow: workflows.quick('all-b') })
    await waitFor(() => seen.has(a.runId) && seen.has(b.runId), 'both runs to end')
    await all.close()
    await expect(all.ping()).rejects.toBeInstanceOf(WeftConnectionError)
  })
})

describe('opening a session', () => {
  it('is refused without a valid key', async () => {
    const anonymous = createClient({ baseUrl: h.url, WebSocket })
    const err = await anonymous.connect().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WeftApiError)
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' })
  })

  it('sends the key as ?key= where headers cannot be set (browsers)', async () => {
    const browserLike = createClient({ baseUrl: h.url, apiKey: KEY, WebSocket, wsAuth: 'query' })
    const session = await browserLike.connect()
    expect(await session.ping()).toBeGreaterThanOrEqual(0)
    await session.close()
  })

  it('fails clearly where there is no server, or no WebSocket', async () => {
    const nowhere = createClient({ baseUrl: 'http://127.0.0.1:9', WebSocket })
    const err = await nowhere.connect().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WeftConnectionError)
    expect((err as Error).message).toContain('cannot reach the weft server at http://127.0.0.1:9')
    if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined') {
      await expect(createClient({ baseUrl: h.url }).connect()).rejects.toThrow(/no WebSocket/)
    }
  })

  it('ends sessions with a bye when the server closes', async () => {
    const other = await startServer()
    const c = createClient({ baseUrl: other.url, WebSocket })
    const session = await c.connect()
    const iterator = session.events()
    await other.close()
    const closed = await session.closed
    expect(closed.code).toBe(1001)
    expect(session.byeReason).toBeTruthy()
    expect(await iterator.next()).toEqual({ value: undefined, done: true })
  })
})
