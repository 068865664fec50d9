import type { WeftEvent } from '@weft/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, WeftApiError, WeftConnectionError } from '../src/index.js'
import { range, startProxy, type TcpProxy, useClient, useServer, waitFor, workflows } from './helpers.js'

const h = useServer()
const direct = useClient(h)

/** Every seq exactly once, in order: no gap, no duplicate. */
function expectGapless(events: WeftEvent[], lastSeq: number) {
  expect(events.map((e) => e.seq)).toEqual(range(lastSeq))
}

describe('the SSE stream across dropped connections', () => {
  let proxy: TcpProxy
  beforeAll(async () => {
    proxy = await startProxy(h.port)
  })
  afterAll(async () => {
    await proxy.close()
  })

  it('reconnects with Last-Event-ID after the connection is cut, again and again, without gap or duplicate', async () => {
    const sent: (string | undefined)[] = []
    const client = createClient({
      baseUrl: proxy.url,
      stream: { retryDelayMs: 20 },
      fetch: (url, init) => {
        sent.push((init?.headers as Record<string, string> | undefined)?.['last-event-id'])
        return fetch(url, init)
      },
    })
    const { runId } = await direct.runs.start({ workflow: workflows.chain(8, 60, 'cut') })
    const events: WeftEvent[] = []
    const reconnects: number[] = []
    const cuts = [4, 12, 20, 28]
    const consumer = (async () => {
      for await (const e of client.runs.stream(runId, {
        onReconnect: (i) => void reconnects.push(i.lastSeq),
      })) {
        events.push(e)
        // Cut the connection in the middle of the run, several times, right after an event.
        if (cuts.includes(events.length)) proxy.cut()
      }
    })()
    await consumer
    const { run } = await direct.runs.get(runId)
    expect(run.status).toBe('succeeded')
    expectGapless(events, run.lastSeq)
    expect(events.at(-1)!.type).toBe('run.succeeded')
    // The cuts were noticed: the stream reconnected (events already parsed before a cut are still
    // delivered, so two cuts may fall into one connection).
    expect(reconnects.length).toBeGreaterThanOrEqual(2)
    expect(proxy.connections).toBeGreaterThanOrEqual(reconnects.length + 1)
    // Each reconnect asked for the events after the last one it had, with Last-Event-ID.
    expect(sent).toEqual([undefined, ...reconnects.map(String)])
  })

  it('waits out a server that is gone for a while (backoff), then resumes where it left off', async () => {
    const client = createClient({ baseUrl: proxy.url, stream: { retryDelayMs: 50, maxRetryDelayMs: 200 } })
    const { runId } = await direct.runs.start({ workflow: workflows.chain(6, 80, 'outage') })
    const events: WeftEvent[] = []
    let attempts = 0
    const consumer = (async () => {
      for await (const e of client.runs.stream(runId, { onReconnect: () => void attempts++ })) events.push(e)
    })()
    await waitFor(() => events.some((e) => e.type === 'task.succeeded' && e.taskId === 't1'), 't1 to finish')
    await proxy.down()
    // The run goes on on the server while the client cannot reach it.
    await waitFor(
      async () => (await direct.runs.get(runId)).run.taskCounts.succeeded! >= 3,
      'progress meanwhile',
    )
    await proxy.reopen()
    await consumer
    const { run } = await direct.runs.get(runId)
    expectGapless(events, run.lastSeq)
    expect(attempts).toBeGreaterThanOrEqual(2)
  })

  it('fails with a connection error naming the server when it never comes back', async () => {
    const gone = await startProxy(h.port)
    const client = createClient({
      baseUrl: gone.url,
      stream: { retryDelayMs: 10, maxRetryDelayMs: 20, maxRetries: 3 },
    })
    const { runId } = await direct.runs.start({ workflow: workflows.hang('never-back') })
    await gone.down()
    const err = await (async () => {
      for await (const _ of client.runs.stream(runId)) {
        // nothing arrives
      }
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WeftConnectionError)
    expect((err as WeftConnectionError).message).toContain(
      `cannot reach the weft server at ${gone.url}: ECONNREFUSED`,
    )
    await direct.runs.cancel(runId)
  })
})

describe('the SSE stream', () => {
  it('ends quietly when its signal aborts', async () => {
    const { runId } = await direct.runs.start({ workflow: workflows.hang('aborted') })
    const controller = new AbortController()
    const seen: string[] = []
    for await (const e of direct.runs.stream(runId, { signal: controller.signal })) {
      seen.push(e.type)
      if (e.type === 'task.started') controller.abort()
    }
    expect(seen).toContain('task.started')
    await direct.runs.cancel(runId)
  })

  it('stops the connection when the loop breaks', async () => {
    const { runId } = await direct.runs.start({ workflow: workflows.hang('broken-off') })
    for await (const e of direct.runs.stream(runId)) if (e.type === 'run.started') break
    await waitFor(
      async () => !(await direct.metrics()).match(/^weft_sse_clients\w* [1-9]/m),
      'the server to see the client go',
    )
    await direct.runs.cancel(runId)
  })

  it('refuses an unknown run with a 404 (no retry)', async () => {
    const err = await (async () => {
      for await (const _ of direct.runs.stream('run_does_not_exist')) {
        // none
      }
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WeftApiError)
    expect(err).toMatchObject({ status: 404, code: 'run_not_found' })
  })

  it('reconnects after an idle connection (no byte, not even a heartbeat)', async () => {
    const { runId } = await direct.runs.start({ workflow: workflows.chain(3, 250, 'idle') })
    const events: WeftEvent[] = []
    let reconnects = 0
    for await (const e of direct.runs.stream(runId, {
      idleTimeoutMs: 150,
      retryDelayMs: 10,
      onReconnect: () => void reconnects++,
    }))
      events.push(e)
    const { run } = await direct.runs.get(runId)
    expectGapless(events, run.lastSeq)
    expect(reconnects).toBeGreaterThan(0)
  })
})
