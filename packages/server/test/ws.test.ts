import { WS_CLOSE_CODES } from '@weft/api'
import { describe, expect, it } from 'vitest'
import {
  call,
  isFinished,
  range,
  startHarness,
  useHarness,
  waitFor,
  waitForRun,
  workflows,
} from './helpers.js'
import { WsClient } from './ws-client.js'

const slowWorkflow = (name: string, n = 5) => ({
  weft: 1,
  name,
  defaults: { backend: 'mock' },
  tasks: Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `t${i}`,
      { prompt: `step ${i}`, with: { delayMs: 100 }, ...(i > 0 ? { needs: [`t${i - 1}`] } : {}) },
    ]),
  ),
})

const h = useHarness()

describe('WebSocket', () => {
  it('subscribes to one run with replay after a seq, then live events, without gap or duplicate', async () => {
    const r = await call(h.url, '/api/v1/runs', { json: { workflow: slowWorkflow('ws-one') } })
    const runId = r.body.runId as string
    await waitForRun(h, runId, (run) => run.lastSeq >= 6, 'a few events')
    const client = await WsClient.open(h.url)
    const ack = await client.request({ type: 'subscribe', id: 's1', runId, after: 2 })
    expect(ack).toEqual({ type: 'ack', id: 's1' })
    await client.wait((m) => m.type === 'event' && m.event.type === 'run.succeeded', 'the end of the run')
    const seqs = client.events(runId).map((e) => e.seq)
    const run = await waitForRun(h, runId, isFinished)
    expect(seqs).toEqual(range(3, run.lastSeq))
    // The ack came before the first event.
    expect(client.messages.indexOf(ack)).toBeLessThan(client.messages.findIndex((m) => m.type === 'event'))
    client.ws.close()
  })

  it('subscribes to every run', async () => {
    const client = await WsClient.open(h.url)
    expect(await client.request({ type: 'subscribe', id: 7 })).toEqual({ type: 'ack', id: 7 })
    const ids: string[] = []
    for (const name of ['ws-all-1', 'ws-all-2']) {
      ids.push((await call(h.url, '/api/v1/runs', { json: { workflow: workflows.quick(name) } })).body.runId)
    }
    for (const runId of ids) {
      await client.wait(
        (m) => m.type === 'event' && m.event.runId === runId && m.event.type === 'run.succeeded',
        runId,
      )
      const seqs = client.events(runId).map((e) => e.seq)
      expect(seqs).toEqual(range(1, seqs.length))
    }
    expect(await client.request({ type: 'unsubscribe', id: 'u' })).toEqual({ type: 'ack', id: 'u' })
    client.ws.close()
  })

  it('controls runs: pause, resume, cancel, with errors for bad states and unknown runs', async () => {
    const r = await call(h.url, '/api/v1/runs', { json: { workflow: slowWorkflow('ws-control', 20) } })
    const runId = r.body.runId as string
    const client = await WsClient.open(h.url)
    const paused = await client.request({ type: 'pause', id: 'p', runId })
    expect(paused).toMatchObject({ type: 'ack', id: 'p', run: { id: runId, status: 'paused' } })
    const resumed = await client.request({ type: 'resume', id: 'r', runId })
    expect(resumed).toMatchObject({ type: 'ack', id: 'r', run: { status: 'running' } })
    const notPaused = await client.request({ type: 'resume', id: 'r2', runId })
    expect(notPaused).toMatchObject({ type: 'error', id: 'r2', error: { code: 'run_not_paused' } })
    const canceled = await client.request({ type: 'cancel', id: 'c', runId, reason: 'from ws' })
    expect(canceled).toMatchObject({ type: 'ack', id: 'c' })
    expect((await waitForRun(h, runId, isFinished)).status).toBe('canceled')
    const again = await client.request({ type: 'cancel', id: 'c2', runId })
    expect(again).toMatchObject({ type: 'error', id: 'c2', error: { code: 'run_finished' } })
    const unknown = await client.request({ type: 'subscribe', id: 'x', runId: 'run_nope' })
    expect(unknown).toMatchObject({ type: 'error', id: 'x', error: { code: 'run_not_found' } })
    expect(await client.request({ type: 'ping', id: 'pp' })).toEqual({ type: 'pong', id: 'pp' })
    client.ws.close()
  })

  it('answers invalid messages with errors and closes after too many (1008)', async () => {
    const client = await WsClient.open(h.url)
    client.send('{not json')
    await client.wait((m) => m.type === 'error' && /not valid JSON/.test(m.error.message), 'a JSON error')
    expect(await client.request({ type: 'explode', id: 'e1' })).toMatchObject({
      type: 'error',
      id: 'e1',
      error: { code: 'validation_failed' },
    })
    expect(await client.request({ type: 'cancel', id: 'e2' })).toMatchObject({
      type: 'error',
      error: { code: 'validation_failed' },
    })
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    await client.wait((m) => m.type === 'error' && /binary/.test(m.error.message), 'a binary frame error')
    for (let i = 0; i < 20; i++) client.send(`garbage ${i}`)
    const closed = await client.closed
    expect(closed.code).toBe(WS_CLOSE_CODES.policyViolation)
  })
})

describe('WebSocket limits and shutdown', () => {
  it.each([
    ['messages', { wsMaxQueuedMessages: 20, wsMaxBufferedBytes: 1024 * 1024 * 1024 }],
    ['bytes', { wsMaxQueuedMessages: 100_000, wsMaxBufferedBytes: 256 * 1024 }],
  ])(
    'drops a client that reads too slowly (bound on %s) with 4008 instead of growing memory',
    async (_, limits) => {
      const slow = await startHarness({
        memory: true,
        server: { ...limits, maxBodyBytes: 64 * 1024 * 1024, maxWorkflowBytes: 64 * 1024 * 1024 },
      })
      try {
        const client = await WsClient.open(slow.url)
        await client.request({ type: 'subscribe', id: 'all' })
        client.ws.pause() // stops reading: the kernel buffers fill up, then the server's socket buffer
        const big = 'x'.repeat(32 * 1024)
        const workflow = {
          weft: 1,
          name: 'firehose',
          defaults: { backend: 'mock' },
          tasks: {
            talk: { prompt: 'talk', with: { events: Array.from({ length: 800 }, () => ({ message: big })) } },
          },
        }
        const r = await call(slow.url, '/api/v1/runs', { json: { workflow } })
        expect(r.status).toBe(202)
        const drop = await waitFor(
          () => slow.logs.find((l) => l.msg?.includes('reads too slowly')),
          'the server to drop the slow client',
        )
        const { queuedMessages, bufferedBytes } = drop.obj as {
          queuedMessages: number
          bufferedBytes: number
        }
        if (limits.wsMaxQueuedMessages === 20) expect(queuedMessages).toBe(21)
        else expect(bufferedBytes).toBeGreaterThan(256 * 1024)
        expect((await slow.server.metrics.wsClients.get()).values[0]?.value).toBe(0)
        client.ws.resume()
        const closed = await client.closed
        expect(closed.code).toBe(WS_CLOSE_CODES.tooSlow)
        // The run itself is not affected.
        expect((await waitForRun(slow, r.body.runId, isFinished)).status).toBe('succeeded')
      } finally {
        await slow.close()
      }
    },
  )

  it('says bye (1001) to every client when the server closes', async () => {
    const other = await startHarness({ memory: true })
    try {
      const client = await WsClient.open(other.url)
      await client.request({ type: 'subscribe', id: 1 })
      await other.server.close()
      const bye = await client.wait((m) => m.type === 'bye', 'bye')
      expect(bye.reason).toMatch(/shutting down/)
      expect((await client.closed).code).toBe(WS_CLOSE_CODES.goingAway)
    } finally {
      await other.close()
    }
  })
})
