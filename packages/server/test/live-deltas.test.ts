/**
 * Text deltas over the WebSocket (issue 15 item 6), as SSE's `?deltas=true`: opt in per
 * subscription (`deltas: true`) or per socket (`/api/v1/ws?deltas=true`). Deltas are not stored,
 * carry the seq of the last stored event, and resuming with `after` is unaffected.
 */
import { describe, expect, it } from 'vitest'
import { call, isFinished, type Loose, openSse, range, useHarness, waitForRun } from './helpers.js'
import { WsClient } from './ws-client.js'

/** One task that streams `parts` as deltas, `gapMs` apart, then succeeds; a second task after it. */
function talking(name: string, parts: string[], gapMs: number) {
  return {
    weft: 1,
    name,
    defaults: { backend: 'mock' },
    tasks: {
      talk: {
        prompt: 'talk',
        with: { events: parts.map((delta) => ({ delta, delayMs: gapMs })), output: parts.join('') },
      },
      after: { needs: ['talk'], prompt: 'after', with: { delayMs: 50 } },
    },
  }
}

const h = useHarness()

describe('live text deltas over the WebSocket (and SSE), with resume', () => {
  it('sends deltas to a subscription that asks (`deltas: true`), with the last stored seq; none to one that does not', async () => {
    const parts = ['hel', 'lo ', 'wor', 'ld']
    const { runId } = (
      await call(h.url, '/api/v1/runs', { json: { workflow: talking('ws-talk', parts, 150) } })
    ).body
    const [withDeltas, without] = await Promise.all([WsClient.open(h.url), WsClient.open(h.url)])
    expect(await withDeltas.request({ type: 'subscribe', id: 'a', runId, after: 0, deltas: true })).toEqual({
      type: 'ack',
      id: 'a',
    })
    await without.request({ type: 'subscribe', id: 'b', runId, after: 0 })
    const end = (m: Loose) => m.type === 'event' && m.event.type === 'run.succeeded'
    await Promise.all([withDeltas.wait(end, 'the end'), without.wait(end, 'the end')])
    const run = await waitForRun(h, runId, isFinished)

    const got = withDeltas.events()
    const deltas = got.filter((e) => e.type === 'agent.delta')
    expect(deltas.map((e) => (e.data as { text: string }).text).join('')).toBe(parts.join(''))
    expect(deltas.every((e) => e.taskId === 'talk')).toBe(true)
    // A delta carries the seq of the last stored event before it: never a new one.
    let lastStored = 0
    for (const e of got) {
      if (e.type === 'agent.delta') expect(e.seq).toBe(lastStored)
      else lastStored = e.seq
    }
    // The stored events are all there, gapless, on both sockets; the plain one has no delta.
    const stored = got.filter((e) => e.type !== 'agent.delta').map((e) => e.seq)
    expect(stored).toEqual(range(1, run.lastSeq))
    expect(without.events().map((e) => e.seq)).toEqual(range(1, run.lastSeq))
    expect(without.events().some((e) => e.type === 'agent.delta')).toBe(false)
    // Nothing of the deltas was stored.
    const page = await call(h.url, `/api/v1/runs/${runId}/events?type=agent.delta`)
    expect(page.body.items).toEqual([])
    await Promise.all([withDeltas.close(), without.close()])
  })

  it('resumes after a seq taken from a delta on a new socket (`?deltas=true`): no stored event missed or repeated', async () => {
    const parts = Array.from({ length: 8 }, (_, i) => `p${i} `)
    const { runId } = (
      await call(h.url, '/api/v1/runs', { json: { workflow: talking('ws-resume', parts, 120) } })
    ).body
    const first = await WsClient.open(h.url, '?deltas=true')
    await first.request({ type: 'subscribe', id: 's', runId, after: 0 })
    // Leave in the middle of the stream, right after a delta.
    const cut = await first.wait(
      (m) => m.type === 'event' && m.event.type === 'agent.delta' && m.event.data.text === 'p2 ',
      'the third delta',
    )
    await first.close()
    const seenBefore = first.events().filter((e) => e.type !== 'agent.delta')
    const resumeAfter = cut.event.seq as number
    expect(seenBefore.at(-1)!.seq).toBe(resumeAfter)

    // The socket's `?deltas=true` is the default of its subscriptions.
    const second = await WsClient.open(h.url, '?deltas=true')
    await second.request({ type: 'subscribe', id: 's2', runId, after: resumeAfter })
    await second.wait((m) => m.type === 'event' && m.event.type === 'run.succeeded', 'the end')
    const run = await waitForRun(h, runId, isFinished)
    const after = second.events()
    expect(after.some((e) => e.type === 'agent.delta')).toBe(true)
    const storedSeqs = [...seenBefore, ...after.filter((e) => e.type !== 'agent.delta')].map((e) => e.seq)
    expect(storedSeqs).toEqual(range(1, run.lastSeq))
    await second.close()
  })

  it('a subscription may turn the socket default off (`deltas: false`)', async () => {
    const { runId } = (
      await call(h.url, '/api/v1/runs', { json: { workflow: talking('ws-off', ['a', 'b', 'c'], 80) } })
    ).body
    const socket = await WsClient.open(h.url, '?deltas=true')
    await socket.request({ type: 'subscribe', id: 'x', runId, after: 0, deltas: false })
    await socket.wait((m) => m.type === 'event' && m.event.type === 'run.succeeded', 'the end')
    expect(socket.events().some((e) => e.type === 'agent.delta')).toBe(false)
    await socket.close()
  })

  it('a subscription to every run gets deltas only when it asks', async () => {
    const [withDeltas, without] = await Promise.all([WsClient.open(h.url), WsClient.open(h.url)])
    await withDeltas.request({ type: 'subscribe', id: 'all', deltas: true })
    await without.request({ type: 'subscribe', id: 'all' })
    const { runId } = (
      await call(h.url, '/api/v1/runs', { json: { workflow: talking('ws-all', ['x', 'y'], 80) } })
    ).body
    const end = (m: Loose) =>
      m.type === 'event' && m.event.runId === runId && m.event.type === 'run.succeeded'
    await Promise.all([withDeltas.wait(end, 'the end'), without.wait(end, 'the end')])
    const deltas = (s: WsClient) => s.events().filter((e) => e.runId === runId && e.type === 'agent.delta')
    expect(deltas(withDeltas).map((e) => (e.data as { text: string }).text)).toEqual(['x', 'y'])
    expect(deltas(without)).toEqual([])
    await Promise.all([withDeltas.close(), without.close()])
  })

  it('over SSE too: a stream resumed with Last-Event-ID taken from a delta misses and repeats no stored event', async () => {
    const parts = Array.from({ length: 6 }, (_, i) => `s${i} `)
    const { runId } = (
      await call(h.url, '/api/v1/runs', { json: { workflow: talking('sse-resume', parts, 120) } })
    ).body
    const url = `${h.url}/api/v1/runs/${runId}/events/stream?deltas=true`
    const first = await openSse(url)
    const cut = await first.until(
      (m) => m.event === 'agent.delta' && m.data.includes('"s2 "'),
      'the third delta',
    )
    first.abort()
    const before = first.messages.slice(0, first.messages.indexOf(cut) + 1)
    const stored = (ms: typeof before) =>
      ms.filter((m) => m.event !== 'agent.delta' && m.event !== 'end').map((m) => Number(m.id))
    // A delta's id is the seq of the last stored event before it.
    expect(Number(cut.id)).toBe(stored(before).at(-1))

    const second = await openSse(url, { 'Last-Event-ID': cut.id! })
    const after = await second.ended
    const run = await waitForRun(h, runId, isFinished)
    expect(after.some((m) => m.event === 'agent.delta')).toBe(true)
    expect(after.at(-1)!.event).toBe('end')
    expect([...stored(before), ...stored(after)]).toEqual(range(1, run.lastSeq))
  })

  it('refuses a malformed ?deltas= on the upgrade', async () => {
    const r = await call(h.url, '/api/v1/ws?deltas=maybe')
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('validation_failed')
  })
})
