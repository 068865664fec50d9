import { MetricsSummarySchema } from '@weft/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, type Harness, isFinished, startHarness, waitForRun, workflows } from './helpers.js'

let h: Harness
let closed = false

beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  if (!closed) await h?.close()
})

describe('GET /api/v1/metrics', () => {
  it('answers JSON: uptime, runs and tasks by status, durations, queue, events per second, usage by model', async () => {
    const started = await call(h.url, '/api/v1/runs', { json: { workflow: workflows.quick('m1') } })
    await waitForRun(h, started.body.runId, isFinished)
    const failing = {
      weft: 1,
      name: 'm2',
      defaults: { backend: 'mock' },
      tasks: { x: { prompt: 'x', with: { error: 'boom' } }, y: { needs: ['x'], prompt: 'y' } },
    }
    const second = await call(h.url, '/api/v1/runs', { json: { workflow: failing } })
    await waitForRun(h, second.body.runId, isFinished)

    const r = await call(h.url, '/api/v1/metrics')
    expect(r.status).toBe(200)
    const m = MetricsSummarySchema.parse(r.body)
    expect(m.uptimeSeconds).toBeGreaterThan(0)
    expect(m.runs.byStatus).toMatchObject({ succeeded: 1, failed: 1 })
    expect(m.runs.active).toBe(0)
    expect(m.tasks.byStatus).toEqual({ succeeded: 3, failed: 1, canceled: 0, skipped: 1 })
    expect(m.taskDuration.count).toBe(4)
    expect(m.taskDuration.averageMs).toBeGreaterThan(0)
    expect(m.taskDuration.p95Ms).toBeGreaterThanOrEqual(20)
    expect(m.taskDuration.p95Ms!).toBeGreaterThanOrEqual(m.taskDuration.averageMs! * 0.5)
    expect(m.queue).toMatchObject({ depth: 0, paused: false })
    expect(m.queue.capacity).toBeGreaterThan(0)
    expect(m.events.total).toBeGreaterThan(15)
    expect(m.events.perSecond).toBeGreaterThan(0)
    expect(m.usage.byModel['mock-1']).toMatchObject({ inputTokens: 10, outputTokens: 5, costUsd: 0.001 })
    expect(m.usage.total.inputTokens).toBeGreaterThanOrEqual(10)

    // The same figures in Prometheus.
    const text = await (await fetch(`${h.url}/metrics`)).text()
    expect(text).toContain('weft_tasks_total{status="succeeded"} 3')
    expect(text).toContain('weft_tasks_total{status="skipped"} 1')
    expect(text).toMatch(/weft_events_total\{type="task\.started"\} 4/)
  })

  it('the server logs runtime.started and runtime.stopped', async () => {
    expect(h.logs.find((l) => l.msg === 'runtime.started')?.obj).toMatchObject({ event: 'runtime.started' })
    await h.close()
    closed = true
    const stopped = h.logs.find((l) => l.msg === 'runtime.stopped')
    expect(stopped?.obj).toMatchObject({ event: 'runtime.stopped', interruptedRuns: 0 })
  })
})
