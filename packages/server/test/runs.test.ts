import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  EventPageSchema,
  RunDetailSchema,
  RunPageSchema,
  RunResponseSchema,
  SSE_END_EVENT,
  StartRunResponseSchema,
} from '@weft/api'
import { WeftEventSchema } from '@weft/core'
import { parse as parseCsv } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import {
  call,
  expectError,
  isFinished,
  openSse,
  range,
  seqsOf,
  useHarness,
  waitFor,
  waitForRun,
  workflows,
} from './helpers.js'

const h = useHarness({
  server: { sseHeartbeatMs: 100 },
  async setup(dir) {
    const workflowsDir = join(dir, 'workflows')
    await mkdir(workflowsDir)
    await writeFile(
      join(workflowsDir, 'hello.yaml'),
      'weft: 1\nname: hello\ndefaults: { backend: mock }\ntasks:\n  greet: { prompt: "hello ${{ inputs.who }}" }\ninputs:\n  who: { type: string, default: world }\n',
    )
    await writeFile(
      join(workflowsDir, 'broken.yaml'),
      'weft: 1\nname: broken\ntasks:\n  a: { prompt: "x"\n  b: [\n',
    )
    return { workflowsDir }
  },
})

function silent() {
  return { info() {}, warn() {}, error() {} }
}

async function start(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const r = await call(h.url, '/api/v1/runs', { json: body, headers })
  expect(r.status, r.text).toBe(202)
  return StartRunResponseSchema.parse(r.body)
}

describe('starting and following runs (SQLite store)', () => {
  it('starts a run (202, Location) and follows its SSE stream to the end', async () => {
    const r = await call(h.url, '/api/v1/runs', { json: { workflow: workflows.quick(), tags: ['sse'] } })
    expect(r.status).toBe(202)
    const started = StartRunResponseSchema.parse(r.body)
    expect(r.headers.get('location')).toBe(`/api/v1/runs/${started.runId}`)
    expect(started.replayed).toBe(false)
    expect(started.run.initiator).toBe('api')

    const sse = await openSse(`${h.url}/api/v1/runs/${started.runId}/events/stream`)
    expect(sse.status).toBe(200)
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const messages = await sse.ended
    const end = messages.at(-1)!
    expect(end.event).toBe(SSE_END_EVENT)
    expect(JSON.parse(end.data)).toMatchObject({ runId: started.runId, status: 'succeeded' })
    const events = messages.slice(0, -1).map((m) => {
      const e = WeftEventSchema.parse(JSON.parse(m.data))
      expect(m.event).toBe(e.type)
      expect(m.id).toBe(String(e.seq))
      return e
    })
    expect(events.map((e) => e.seq)).toEqual(range(1, events.length))
    expect(events.at(-1)!.type).toBe('run.succeeded')

    const detail = RunDetailSchema.parse((await call(h.url, `/api/v1/runs/${started.runId}`)).body)
    expect(detail.run.status).toBe('succeeded')
    expect(detail.run.lastSeq).toBe(events.length)
    expect(detail.tasks.map((t) => t.taskId).sort()).toEqual(['a', 'b', 'c'])

    // A finished run: replayed and ended, from ?after= too.
    const again = await openSse(`${h.url}/api/v1/runs/${started.runId}/events/stream?after=3`)
    const replay = await again.ended
    expect(seqsOf(replay)).toEqual(range(4, events.length))
    expect(replay.at(-1)!.event).toBe(SSE_END_EVENT)
  })

  it('resumes a dropped stream with Last-Event-ID: no gap, no duplicate', async () => {
    // Slow tasks so that the stream is dropped while the run is still going.
    const workflow = {
      weft: 1,
      name: 'resume-stream',
      defaults: { backend: 'mock' },
      tasks: Object.fromEntries(
        Array.from({ length: 6 }, (_, i) => [
          `t${i}`,
          { prompt: `step ${i}`, with: { delayMs: 60 }, ...(i > 0 ? { needs: [`t${i - 1}`] } : {}) },
        ]),
      ),
    }
    const { runId } = await start({ workflow })
    const first = await openSse(`${h.url}/api/v1/runs/${runId}/events/stream`)
    const cut = await first.until((m) => m.event === 'task.succeeded', 'a first task to finish')
    first.abort()
    const seen = seqsOf(first.messages)
    const lastId = Number(cut.id)
    expect(seen.at(-1)).toBeGreaterThanOrEqual(lastId)

    const second = await openSse(`${h.url}/api/v1/runs/${runId}/events/stream`, {
      'Last-Event-ID': String(lastId),
    })
    const rest = await second.ended
    const resumed = seqsOf(rest)
    expect(resumed[0]).toBe(lastId + 1)
    const all = [...seen.filter((s) => s <= lastId), ...resumed]
    expect(all).toEqual(range(1, all.length))
    const run = (await call(h.url, `/api/v1/runs/${runId}`)).body.run
    expect(run.status).toBe('succeeded')
    expect(all.length).toBe(run.lastSeq)
    await waitFor(
      () => h.server.metrics.sseClients.get().then((m) => m.values[0]?.value === 0),
      'SSE clients to go',
    )
  })

  it('sends heartbeats on an idle stream, and 404 / 400 before streaming', async () => {
    const { runId } = await start({ workflow: workflows.hang('heartbeat') })
    const sse = await openSse(`${h.url}/api/v1/runs/${runId}/events/stream`)
    await waitFor(() => sse.comments.includes('heartbeat'), 'a heartbeat comment')
    sse.abort()
    await call(h.url, `/api/v1/runs/${runId}/cancel`, { method: 'POST' })
    expectError(await call(h.url, '/api/v1/runs/run_nope/events/stream'), 404, 'run_not_found')
    // HEAD opens no stream.
    const head = await fetch(`${h.url}/api/v1/runs/${runId}/events/stream`, { method: 'HEAD' })
    expect(head.status).toBe(405)
    const exportHead = await fetch(`${h.url}/api/v1/events/export`, { method: 'HEAD' })
    expect(exportHead.status).toBe(405)
    await waitFor(
      () => h.server.metrics.sseClients.get().then((m) => m.values[0]?.value === 0),
      'no SSE client',
    )
    expectError(
      await call(h.url, `/api/v1/runs/${runId}/events/stream`, { headers: { 'Last-Event-ID': 'abc' } }),
      400,
      'validation_failed',
    )
  })

  it('answers an invalid workflow with 400 workflow_invalid and diagnostics with lines', async () => {
    const text = 'weft: 1\nname: bad\ntasks:\n  a: { prompt: "x", needs: [missing] }\n'
    const r = await call(h.url, '/api/v1/runs', { json: { workflow: text } })
    expectError(r, 400, 'workflow_invalid')
    const diagnostics = r.body.error.details.diagnostics as { line?: number; message: string }[]
    expect(diagnostics.some((d) => d.line === 4 && /missing/.test(d.message))).toBe(true)

    const syntax = await call(h.url, '/api/v1/runs', { json: { workflow: 'weft: 1\ntasks: [\n' } })
    expectError(syntax, 400, 'workflow_invalid')
    expect(syntax.body.error.details.diagnostics[0].line).toBeGreaterThan(0)

    expectError(
      await call(h.url, '/api/v1/runs', { json: { workflow: { weft: 1, tasks: 'x' } } }),
      400,
      'workflow_invalid',
    )
    expectError(await call(h.url, '/api/v1/runs', { json: {} }), 400, 'validation_failed')
    expectError(
      await call(h.url, '/api/v1/runs', { body: '{nope', headers: { 'content-type': 'application/json' } }),
      400,
      'malformed_body',
    )
    expectError(
      await call(h.url, '/api/v1/runs', { body: '{}', headers: { 'content-type': 'text/plain' } }),
      400,
      'malformed_body',
    )
  })

  it('starts a workflow of the workflows folder by name, with inputs and overrides', async () => {
    const { runId, run } = await start({
      workflowName: 'hello',
      inputs: { who: 'api' },
      tags: ['named'],
      maxParallelism: 2,
    })
    expect(run.source).toBe('hello.yaml')
    const done = await waitForRun(h, runId, isFinished)
    expect(done.status).toBe('succeeded')
    expect(done.outputs).toEqual({ greet: 'mock: hello api' })
    const broken = await call(h.url, '/api/v1/runs', { json: { workflowName: 'broken' } })
    expectError(broken, 400, 'workflow_invalid')
    expect(broken.body.error.details.diagnostics[0]).toMatchObject({ file: 'broken.yaml' })
    expect(JSON.stringify(broken.body)).not.toContain(h.dir)
    // An input the workflow does not declare is refused, with the declared name it is closest to.
    const misspelt = await call(h.url, '/api/v1/runs', {
      json: { workflowName: 'hello', inputs: { woh: 'x' } },
    })
    expectError(misspelt, 400, 'workflow_invalid')
    expect(misspelt.body.error.details.diagnostics).toMatchObject([
      {
        code: 'unknown_input',
        message: "input 'woh' is not declared by the workflow",
        hint: "did you mean 'who'?",
      },
    ])
    expectError(
      await call(h.url, '/api/v1/runs', { json: { workflowName: 'absent' } }),
      404,
      'workflow_not_found',
    )
    expectError(
      await call(h.url, '/api/v1/runs', { json: { workflowName: '../etc/passwd' } }),
      400,
      'validation_failed',
    )
  })

  it('lists runs with filters, a cursor and since', async () => {
    const a = await start({ workflow: workflows.quick('list-me'), tags: ['list'] })
    const b = await start({ workflow: workflows.quick('list-me'), tags: ['list'] })
    await waitForRun(h, a.runId, isFinished)
    await waitForRun(h, b.runId, isFinished)
    const page1 = RunPageSchema.parse((await call(h.url, '/api/v1/runs?tag=list&limit=1')).body)
    expect(page1.items.map((r) => r.id)).toEqual([b.runId])
    expect(page1.nextCursor).toBeDefined()
    const page2 = RunPageSchema.parse(
      (await call(h.url, `/api/v1/runs?tag=list&limit=1&cursor=${page1.nextCursor}`)).body,
    )
    expect(page2.items.map((r) => r.id)).toEqual([a.runId])
    const byName = RunPageSchema.parse(
      (await call(h.url, '/api/v1/runs?name=list-me&status=succeeded,failed')).body,
    )
    expect(byName.items.map((r) => r.id)).toEqual([b.runId, a.runId])
    const recent = RunPageSchema.parse((await call(h.url, '/api/v1/runs?tag=list&since=1h')).body)
    expect(recent.items).toHaveLength(2)
    const future = RunPageSchema.parse(
      (
        await call(
          h.url,
          `/api/v1/runs?tag=list&limit=1&since=${new Date(Date.now() + 3_600_000).toISOString()}`,
        )
      ).body,
    )
    expect(future).toEqual({ items: [] })
    expectError(await call(h.url, '/api/v1/runs?since=yesterday'), 400, 'validation_failed')
    expectError(await call(h.url, '/api/v1/runs?status=bogus'), 400, 'validation_failed')
    expectError(await call(h.url, '/api/v1/runs/run_unknown'), 404, 'run_not_found')
  })

  it('pages a run’s events with filters (families, task, severity)', async () => {
    const { runId } = await start({ workflow: workflows.quick('events') })
    const run = await waitForRun(h, runId, isFinished)
    const all = EventPageSchema.parse((await call(h.url, `/api/v1/runs/${runId}/events`)).body)
    expect(all.items.map((e) => e.seq)).toEqual(range(1, run.lastSeq))
    expect(all.lastSeq).toBe(run.lastSeq)
    expect(all.nextAfter).toBeUndefined()

    const p1 = EventPageSchema.parse((await call(h.url, `/api/v1/runs/${runId}/events?limit=3`)).body)
    expect(p1.items.map((e) => e.seq)).toEqual([1, 2, 3])
    expect(p1.nextAfter).toBe(3)
    const p2 = EventPageSchema.parse(
      (await call(h.url, `/api/v1/runs/${runId}/events?after=3&limit=1000`)).body,
    )
    expect(p2.items[0]!.seq).toBe(4)
    expect(p2.nextAfter).toBeUndefined()

    const tasks = EventPageSchema.parse((await call(h.url, `/api/v1/runs/${runId}/events?type=task.*`)).body)
    expect(tasks.items.length).toBeGreaterThan(0)
    expect(tasks.items.every((e) => e.type.startsWith('task.'))).toBe(true)
    const ofC = EventPageSchema.parse(
      (await call(h.url, `/api/v1/runs/${runId}/events?task=c&type=agent.message,log`)).body,
    )
    expect(ofC.items.map((e) => e.type).sort()).toEqual(['agent.message', 'log'])
    const warn = EventPageSchema.parse(
      (await call(h.url, `/api/v1/runs/${runId}/events?severity=error`)).body,
    )
    expect(warn.items).toEqual([])
    expectError(await call(h.url, `/api/v1/runs/${runId}/events?type=task.bogus`), 400, 'validation_failed')
    expectError(await call(h.url, `/api/v1/runs/${runId}/events?after=-1`), 400, 'validation_failed')
  })
})

describe('controlling runs', () => {
  it('cancels a run; a finished run answers 409 run_finished', async () => {
    const { runId } = await start({ workflow: workflows.hang('cancel-me') })
    await waitForRun(h, runId, (r) => r.taskCounts.running === 1, 'the task to run')
    const r = await call(h.url, `/api/v1/runs/${runId}/cancel`, { json: { reason: 'test' } })
    expect(r.status, r.text).toBe(200)
    RunResponseSchema.parse(r.body)
    const done = await waitForRun(h, runId, isFinished)
    expect(done.status).toBe('canceled')
    expectError(await call(h.url, `/api/v1/runs/${runId}/cancel`, { method: 'POST' }), 409, 'run_finished')
    expectError(await call(h.url, `/api/v1/runs/${runId}/pause`, { method: 'POST' }), 409, 'run_finished')
    expectError(await call(h.url, '/api/v1/runs/run_nope/cancel', { method: 'POST' }), 404, 'run_not_found')
  })

  it('pauses and resumes a run; resuming a running run is 409 run_not_paused', async () => {
    const workflow = {
      weft: 1,
      name: 'pause-me',
      defaults: { backend: 'mock' },
      tasks: { first: { prompt: 'first' }, second: { needs: ['first'], prompt: 'second' } },
    }
    // With dispatch stopped nothing can start (or finish) before the pause lands.
    expect((await call(h.url, '/api/v1/queue/pause', { method: 'POST' })).status).toBe(200)
    try {
      const { runId } = await start({ workflow })
      expectError(await call(h.url, `/api/v1/runs/${runId}/resume`, { json: {} }), 409, 'run_not_paused')
      const paused = await call(h.url, `/api/v1/runs/${runId}/pause`, { method: 'POST' })
      expect(paused.status, paused.text).toBe(200)
      expect(paused.body.run.status).toBe('paused')
      expect(paused.body.run.pause.reason).toBe('manual')
      expect((await call(h.url, '/api/v1/queue/resume', { method: 'POST' })).status).toBe(200)
      const held = (await call(h.url, `/api/v1/runs/${runId}`)).body.run
      expect(held).toMatchObject({ status: 'paused', taskCounts: { running: 0, succeeded: 0 } })
      const resumed = await call(h.url, `/api/v1/runs/${runId}/resume`, { method: 'POST' })
      expect(resumed.status, resumed.text).toBe(200)
      const done = await waitForRun(h, runId, isFinished)
      expect(done.status).toBe('succeeded')
    } finally {
      await call(h.url, '/api/v1/queue/resume', { method: 'POST' })
    }
  })

  it('answers an approval with token and input through resume', async () => {
    const { runId } = await start({ workflow: workflows.approval() })
    const waiting = await waitForRun(
      h,
      runId,
      (r) => r.status === 'paused' && (r.pause?.waiting.length ?? 0) > 0,
      'the gate',
    )
    expect(waiting.pause?.reason).toBe('approval')
    const token = waiting.pause!.waiting[0]!.token
    expectError(await call(h.url, `/api/v1/runs/${runId}/resume`, { json: {} }), 400, 'resume_token_required')
    expectError(
      await call(h.url, `/api/v1/runs/${runId}/resume`, { json: { token: 'wrong' } }),
      400,
      'resume_token_invalid',
    )
    const r = await call(h.url, `/api/v1/runs/${runId}/resume`, {
      json: { token, input: { channel: 'blog' } },
    })
    expect(r.status, r.text).toBe(200)
    const done = await waitForRun(h, runId, isFinished)
    expect(done.status).toBe('succeeded')
    expect(done.outputs?.publish).toBe('mock: publish to blog')
    expectError(
      await call(h.url, `/api/v1/runs/${runId}/resume`, { json: { token } }),
      409,
      'resume_token_used',
    )
  })

  it('adds tasks to a live run', async () => {
    const workflow = {
      weft: 1,
      name: 'grow',
      defaults: { backend: 'mock' },
      tasks: { gate: { approval: { message: 'hold the run open' } } },
    }
    const { runId } = await start({ workflow })
    const waiting = await waitForRun(h, runId, (r) => r.status === 'paused', 'the gate')
    const added = await call(h.url, `/api/v1/runs/${runId}/tasks`, {
      json: {
        tasks: { extra: { needs: ['gate'], prompt: 'after ${{ tasks.gate.output }}', backend: 'mock' } },
      },
    })
    expect(added.status, added.text).toBe(200)
    expect(added.body.run.taskCounts.total).toBe(2)
    const bad = await call(h.url, `/api/v1/runs/${runId}/tasks`, {
      json: { tasks: { oops: { needs: ['nope'] } } },
    })
    expectError(bad, 400, 'tasks_invalid')
    expect(bad.body.error.details.diagnostics.length).toBeGreaterThan(0)
    expectError(
      await call(h.url, `/api/v1/runs/${runId}/tasks`, { json: { tasks: {} } }),
      400,
      'validation_failed',
    )
    await call(h.url, `/api/v1/runs/${runId}/resume`, {
      json: { token: waiting.pause!.waiting[0]!.token, input: 'ok' },
    })
    const done = await waitForRun(h, runId, isFinished)
    expect(done.outputs).toMatchObject({ extra: 'mock: after ok' })
  })
})

describe('idempotency', () => {
  it('a retried POST with the same key starts one run; another body is 409', async () => {
    const body = { workflow: workflows.quick('idem'), tags: ['idem-seq'] }
    const key = { 'Idempotency-Key': 'retry-me-1' }
    const first = await start(body, key)
    const second = await start(body, key)
    expect(second.runId).toBe(first.runId)
    expect(second.replayed).toBe(true)
    expect(first.replayed).toBe(false)
    // Key order does not matter: the same body.
    const reordered = await start({ tags: ['idem-seq'], workflow: workflows.quick('idem') }, key)
    expect(reordered.runId).toBe(first.runId)
    const other = await call(h.url, '/api/v1/runs', { json: { ...body, tags: ['other'] }, headers: key })
    expectError(other, 409, 'idempotency_mismatch')
    const runs = (await call(h.url, '/api/v1/runs?tag=idem-seq')).body.items
    expect(runs).toHaveLength(1)
    expectError(
      await call(h.url, '/api/v1/runs', { json: { ...body, tags: ['idempotency:abc'] } }),
      400,
      'validation_failed',
    )
  })

  it('concurrent POSTs with one key start one run', async () => {
    const body = { workflow: workflows.quick('idem-concurrent'), tags: ['idem-concurrent'] }
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => start(body, { 'Idempotency-Key': 'concurrent-key-7' })),
    )
    expect(new Set(answers.map((a) => a.runId)).size).toBe(1)
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1)
    const runs = (await call(h.url, '/api/v1/runs?tag=idem-concurrent')).body.items
    expect(runs).toHaveLength(1)
  })

  it('is kept in the store: a new server on the same runtime replays the run', async () => {
    const body = { workflow: workflows.quick('idem-durable') }
    const first = await start(body, { 'Idempotency-Key': 'durable-key' })
    const { createServer } = await import('../src/index.js')
    const other = createServer(h.runtime, { logger: silent() })
    const { url } = await other.listen({ port: 0 })
    try {
      const r = await call(url, '/api/v1/runs', { json: body, headers: { 'Idempotency-Key': 'durable-key' } })
      expect(r.status).toBe(202)
      expect(r.body).toMatchObject({ runId: first.runId, replayed: true })
    } finally {
      await other.close()
    }
  })
  it('two runtimes (two servers) on one SQLite file start one run for concurrent requests with one key', async () => {
    const { createServer } = await import('../src/index.js')
    const { createRuntime } = await import('@weft/core')
    const { createMockBackend } = await import('@weft/backend-mock')
    const { createSqliteStore } = await import('@weft/storage-sqlite')
    const runtime2 = createRuntime({
      backends: [createMockBackend()],
      store: createSqliteStore({ path: join(h.dir, 'weft.db') }),
      reporter: { warn() {} },
    })
    const server2 = createServer(runtime2, { logger: silent(), workflowsDir: join(h.dir, 'workflows') })
    const { url: url2 } = await server2.listen({ port: 0 })
    try {
      // By name: reading the file yields between looking for the run and starting it.
      const body = { workflowName: 'hello', tags: ['idem-two'] }
      const headers = { 'Idempotency-Key': 'two-runtimes-key' }
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          call(i % 2 ? url2 : h.url, '/api/v1/runs', { json: body, headers }),
        ),
      )
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(202))
      expect(new Set(answers.map((a) => a.body.runId)).size).toBe(1)
      expect(answers.filter((a) => !a.body.replayed)).toHaveLength(1)
      expect((await call(h.url, '/api/v1/runs?tag=idem-two')).body.items).toHaveLength(1)
      await waitForRun(h, answers[0]!.body.runId, isFinished)
    } finally {
      await server2.close()
      await runtime2.close()
    }
  })
})

describe('events across runs', () => {
  it('queries events with filters and durations', async () => {
    const { runId } = await start({ workflow: workflows.quick('query') })
    await waitForRun(h, runId, isFinished)
    const r = await call(h.url, `/api/v1/events?run=${runId}&type=run.*&since=1h`)
    expect(r.status, r.text).toBe(200)
    const types = (r.body.items as { type: string }[]).map((e) => e.type)
    expect(types).toEqual(['run.created', 'run.started', 'run.succeeded'])
    const usage = await call(h.url, '/api/v1/events?type=usage.recorded&limit=5')
    expect(usage.body.items.length).toBeGreaterThan(0)
    const none = await call(h.url, `/api/v1/events?run=${runId}&until=1h`)
    expect(none.body.items).toEqual([])
    expectError(await call(h.url, '/api/v1/events?since=1h&until=2h'), 400, 'validation_failed')
    expectError(await call(h.url, '/api/v1/events?run=run_nope'), 404, 'run_not_found')
    expectError(await call(h.url, '/api/v1/events?limit=0'), 400, 'validation_failed')
  })

  it('exports events as JSONL, CSV and JSON, streamed', async () => {
    const { runId } = await start({ workflow: workflows.quick('export') })
    const run = await waitForRun(h, runId, isFinished)
    const jsonl = await fetch(`${h.url}/api/v1/events/export?run=${runId}`)
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await jsonl.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((e) => e.seq)).toEqual(range(1, run.lastSeq))

    const csv = await fetch(`${h.url}/api/v1/events/export?run=${runId}&format=csv&type=task.succeeded`)
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/)
    const rows = parseCsv(await csv.text(), { columns: true }) as { type: string }[]
    expect(rows).toHaveLength(3)
    expect(rows.every((row) => row.type === 'task.succeeded')).toBe(true)

    const json = await fetch(`${h.url}/api/v1/events/export?format=json&run=${runId}`)
    expect(json.headers.get('content-type')).toBe('application/json')
    expect(((await json.json()) as unknown[]).length).toBe(run.lastSeq)

    const all = await fetch(`${h.url}/api/v1/events/export?format=jsonl`)
    expect((await all.text()).trim().split('\n').length).toBeGreaterThan(run.lastSeq)
    expectError(await call(h.url, '/api/v1/events/export?format=xml'), 400, 'validation_failed')
    expectError(await call(h.url, '/api/v1/events/export?run=run_nope'), 404, 'run_not_found')
  })
})
