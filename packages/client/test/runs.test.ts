import type { WeftEvent } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { createClient } from '../src/index.js'
import { range, useClient, useServer, waitFor, workflows } from './helpers.js'

const h = useServer()
const client = useClient(h)

describe('runs', () => {
  it('starts a run (202) and streams its events over SSE to the end, gapless', async () => {
    const started = await client.runs.start({ workflow: workflows.chain(3, 20, 'streamed') })
    expect(started.replayed).toBe(false)
    expect(started.runId).toMatch(/^run_/)
    expect(started.run.id).toBe(started.runId)
    expect(started.run.name).toBe('streamed')

    const events: WeftEvent[] = []
    for await (const e of client.runs.stream(started.runId)) events.push(e)
    expect(events.map((e) => e.seq)).toEqual(range(events.length))
    expect(events[0]!.type).toBe('run.created')
    expect(events.at(-1)!.type).toBe('run.succeeded')
    for (const e of events) expect(e.runId).toBe(started.runId)

    const { run, tasks } = await client.runs.get(started.runId)
    expect(run.status).toBe('succeeded')
    expect(run.lastSeq).toBe(events.length)
    expect(tasks.map((t) => [t.taskId, t.status])).toEqual([
      ['t1', 'succeeded'],
      ['t2', 'succeeded'],
      ['t3', 'succeeded'],
    ])
    // The page API has the same log.
    const all: WeftEvent[] = []
    for await (const e of client.runs.allEvents(started.runId, { limit: 7 })) all.push(e)
    expect(all).toEqual(events)
  })

  it('streams from `after`, and replays a finished run then ends', async () => {
    const { runId } = await client.runs.start({ workflow: workflows.quick('replayed') })
    const done = await client.runs.wait(runId)
    expect(done.status).toBe('succeeded')
    const tail: number[] = []
    for await (const e of client.runs.stream(runId, { after: 3 })) tail.push(e.seq)
    expect(tail).toEqual(range(done.lastSeq).slice(3))
  })

  it('sends text workflows (YAML) and an idempotency key: a retry with the same key answers the same run', async () => {
    const yaml = 'weft: 1\nname: keyed\ndefaults: { backend: mock }\ntasks:\n  only: { prompt: hi }\n'
    const first = await client.runs.start({ workflow: yaml }, { idempotencyKey: 'key-0123456789' })
    const again = await client.runs.start({ workflow: yaml }, { idempotencyKey: 'key-0123456789' })
    expect(again.runId).toBe(first.runId)
    expect(again.replayed).toBe(true)
    // Without a key of its own each call gets a fresh one: two runs.
    const a = await client.runs.start({ workflow: yaml })
    const b = await client.runs.start({ workflow: yaml })
    expect(a.runId).not.toBe(b.runId)
    expect([a.replayed, b.replayed]).toEqual([false, false])
  })

  it('lists runs newest first, page by page with the cursor; iterate() walks every page', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++)
      ids.push((await client.runs.start({ workflow: workflows.quick('paged') })).runId)
    await Promise.all(ids.map((id) => client.runs.wait(id)))

    const first = await client.runs.list({ name: 'paged', limit: 2 })
    expect(first.items.map((r) => r.id)).toEqual([ids[4], ids[3]])
    expect(first.nextCursor).toBeTruthy()
    const second = await client.runs.list({ name: 'paged', limit: 2, cursor: first.nextCursor! })
    expect(second.items.map((r) => r.id)).toEqual([ids[2], ids[1]])
    const third = await client.runs.list({ name: 'paged', limit: 2, cursor: second.nextCursor! })
    expect(third.items.map((r) => r.id)).toEqual([ids[0]])
    expect(third.nextCursor).toBeUndefined()

    const walked: string[] = []
    for await (const r of client.runs.iterate({ name: 'paged', limit: 2 })) walked.push(r.id)
    expect(walked).toEqual([...ids].reverse())

    const succeeded = await client.runs.list({ status: ['succeeded', 'failed'], name: 'paged' })
    expect(succeeded.items).toHaveLength(5)
    expect((await client.runs.list({ status: ['running'], name: 'paged' })).items).toEqual([])
  })

  it('cancels a run: the answer is its summary, and the stream ends with run.canceled', async () => {
    const { runId } = await client.runs.start({ workflow: workflows.hang('to-cancel') })
    const seen: WeftEvent[] = []
    const stream = (async () => {
      for await (const e of client.runs.stream(runId)) seen.push(e)
    })()
    await waitFor(() => seen.some((e) => e.type === 'task.started'), 'the task to start')
    const run = await client.runs.cancel(runId, { reason: 'not needed' })
    expect(run.id).toBe(runId)
    await stream
    expect(seen.at(-1)!.type).toBe('run.canceled')
    expect(seen.find((e) => e.type === 'run.canceling')?.data).toMatchObject({ reason: 'not needed' })
    expect((await client.runs.get(runId)).run.status).toBe('canceled')
  })

  it('pauses and resumes a run', async () => {
    const { runId } = await client.runs.start({ workflow: workflows.chain(4, 150, 'pausable') })
    await waitFor(async () => (await client.runs.get(runId)).run.taskCounts.running === 1, 'a running task')
    await client.runs.pause(runId)
    const paused = await client.runs.wait(runId)
    expect(paused.status).toBe('paused')
    expect(paused.pause?.reason).toBe('manual')
    const resumed = await client.runs.resume(runId)
    expect(resumed.status).not.toBe('paused')
    const done = await client.runs.wait(runId)
    expect(done.status).toBe('succeeded')
    const types: string[] = []
    for await (const e of client.runs.allEvents(runId, { type: ['run.*'] })) types.push(e.type)
    expect(types).toEqual(['run.created', 'run.started', 'run.paused', 'run.resumed', 'run.succeeded'])
  })

  it('answers an approval with its token and input', async () => {
    const { runId } = await client.runs.start({ workflow: workflows.approval() })
    const paused = await client.runs.wait(runId)
    expect(paused.status).toBe('paused')
    expect(paused.pause?.reason).toBe('approval')
    const gate = paused.pause!.waiting[0]!
    expect(gate).toMatchObject({ taskId: 'approve', message: 'Publish these notes?' })
    await client.runs.resume(runId, { token: gate.token, input: { channel: 'blog' } })
    const done = await client.runs.wait(runId)
    expect(done.status).toBe('succeeded')
    const { tasks } = await client.runs.get(runId)
    expect(tasks.find((t) => t.taskId === 'approve')?.output).toEqual({ channel: 'blog' })
  })

  it('adds tasks to a live run', async () => {
    const { runId } = await client.runs.start({ workflow: workflows.chain(2, 300, 'growing') })
    const run = await client.runs.addTasks(runId, {
      extra: { needs: ['t1'], prompt: 'more', backend: 'mock' },
    })
    expect(run.taskCounts.total).toBe(3)
    const done = await client.runs.wait(runId)
    expect(done.status).toBe('succeeded')
    expect((await client.runs.get(runId)).tasks.map((t) => t.taskId)).toContain('extra')
  })

  it('reads one page of events with filters, and the log across runs; exports it as a stream', async () => {
    const { runId } = await client.runs.start({ workflow: workflows.chain(2, 10, 'filtered') })
    const done = await client.runs.wait(runId)
    const page = await client.runs.events(runId, { after: 2, limit: 3 })
    expect(page.items.map((e) => e.seq)).toEqual([3, 4, 5])
    expect(page.nextAfter).toBe(5)
    expect(page.lastSeq).toBe(done.lastSeq)
    const started = await client.runs.events(runId, { type: ['task.started'] })
    expect(started.items.map((e) => e.taskId)).toEqual(['t1', 't2'])
    const logs = await client.runs.events(runId, { task: 't2', type: ['log'] })
    expect(logs.items.map((e) => (e.data as { message: string }).message)).toEqual(['log 2'])

    const across = await client.events.query({ run: runId, type: ['run.*'] })
    expect(across.map((e) => e.type)).toEqual(['run.created', 'run.started', 'run.succeeded'])

    const body = await client.events.export({ run: runId, format: 'jsonl' })
    let text = ''
    const decoder = new TextDecoder()
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>)
      text += decoder.decode(chunk, { stream: true })
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; runId: string; taskId: unknown })
    expect(lines.map((l) => l.seq)).toEqual(range(done.lastSeq))
    expect(lines[0]).toMatchObject({ runId, taskId: null })
  })
})

describe('the rest of the API', () => {
  it('backends, queue, health, readiness, OpenAPI and metrics', async () => {
    const backends = await client.backends.list()
    expect(backends.map((b) => b.id)).toContain('mock')
    expect(backends.find((b) => b.id === 'mock')!.capabilities.cancel).toBe(true)

    const queue = await client.queue.get()
    expect(queue.paused).toBe(false)
    expect(queue.tasks.capacity).toBeGreaterThan(0)
    expect((await client.queue.pause()).paused).toBe(true)
    expect((await client.queue.get()).paused).toBe(true)
    expect((await client.queue.resume()).paused).toBe(false)

    expect(await client.health()).toEqual({ status: 'ok', version: '1.2.3-test' })
    expect((await client.ready()).status).toBe('ready')
    const doc = await client.openapi()
    expect(doc.openapi).toBe('3.1.0')
    expect(await client.metrics()).toMatch(/^# (HELP|TYPE) /m)
  })

  it('takes any fetch: here the server’s own handler, in process, without a socket', async () => {
    const inProcess = createClient({
      baseUrl: 'http://weft.internal',
      fetch: (url, init) => h.server.fetch(new Request(url, init)),
    })
    expect((await inProcess.health()).version).toBe('1.2.3-test')
    const { runId } = await inProcess.runs.start({ workflow: workflows.quick('in-process') })
    expect((await inProcess.runs.wait(runId)).status).toBe('succeeded')
  })

  it('keeps a base URL path prefix and strips a trailing slash', () => {
    expect(createClient({ baseUrl: 'http://127.0.0.1:1/' }).baseUrl).toBe('http://127.0.0.1:1')
    expect(createClient({ baseUrl: 'https://example.test/weft/' }).baseUrl).toBe('https://example.test/weft')
    expect(() => createClient({ baseUrl: 'not a url' })).toThrow(/is not a URL/)
    expect(() => createClient({ baseUrl: 'ftp://x' })).toThrow(/not an http/)
  })
})
