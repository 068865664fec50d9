import { QueueStatusSchema } from '@weft/api'
import { describe, expect, it } from 'vitest'
import { call, expectError, isFinished, useHarness, waitFor, waitForRun, workflows } from './helpers.js'

const h = useHarness({ server: { maxQueuedRuns: 2, queueRetryAfterSeconds: 7 } })

const queue = async () => QueueStatusSchema.parse((await call(h.url, '/api/v1/queue')).body)

describe('the queue', () => {
  it('bounds unfinished runs: 429 queue_full with Retry-After, then accepts again', async () => {
    const keyed = { json: { workflow: workflows.hang('bound-1') }, headers: { 'Idempotency-Key': 'bound-a' } }
    const a = await call(h.url, '/api/v1/runs', keyed)
    const b = await call(h.url, '/api/v1/runs', { json: { workflow: workflows.hang('bound-2') } })
    expect([a.status, b.status]).toEqual([202, 202])
    const q = await queue()
    expect(q).toMatchObject({ size: 2, maxSize: 2, paused: false })

    const full = await call(h.url, '/api/v1/runs', { json: { workflow: workflows.quick() } })
    expectError(full, 429, 'queue_full')
    expect(full.headers.get('retry-after')).toBe('7')

    // A retry of an accepted request is answered even while the queue is full.
    const retry = await call(h.url, '/api/v1/runs', keyed)
    expect(retry.status).toBe(202)
    expect(retry.body).toMatchObject({ runId: a.body.runId, replayed: true })

    await call(h.url, `/api/v1/runs/${a.body.runId}/cancel`, { method: 'POST' })
    await waitForRun(h, a.body.runId, isFinished)
    const c = await call(h.url, '/api/v1/runs', { json: { workflow: workflows.quick('after-bound') } })
    expect(c.status, c.text).toBe(202)
    await call(h.url, `/api/v1/runs/${b.body.runId}/cancel`, { method: 'POST' })
    await waitForRun(h, b.body.runId, isFinished)
    await waitForRun(h, c.body.runId, isFinished)
    expect((await queue()).size).toBe(0)
  })

  it('pausing the queue stops dispatch (tasks stay queued); resuming finishes the run', async () => {
    const paused = await call(h.url, '/api/v1/queue/pause', { method: 'POST' })
    expect(paused.status).toBe(200)
    expect(QueueStatusSchema.parse(paused.body).paused).toBe(true)
    const r = await call(h.url, '/api/v1/runs', { json: { workflow: workflows.quick('queued') } })
    expect(r.status).toBe(202)
    const runId = r.body.runId as string
    const held = await waitFor(async () => {
      const q = await queue()
      return q.tasks.queued >= 1 ? q : undefined
    }, 'a task to queue')
    expect(held.tasks.running).toBe(0)
    expect(held.size).toBe(1)
    const run = (await call(h.url, `/api/v1/runs/${runId}`)).body
    expect(run.run.status).toBe('running')
    expect(run.run.taskCounts.succeeded).toBe(0)
    expect(run.run.taskCounts.running).toBe(0)

    const resumed = await call(h.url, '/api/v1/queue/resume', { method: 'POST' })
    expect(resumed.body.paused).toBe(false)
    const done = await waitForRun(h, runId, isFinished)
    expect(done.status).toBe('succeeded')
    const after = await queue()
    expect(after.runs.completed).toBeGreaterThanOrEqual(2)
    expect(after.tasks.capacity).toBeGreaterThan(0)
  })
})
