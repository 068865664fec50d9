import SwaggerParser from '@apidevtools/swagger-parser'
import { API_ROUTES, BackendListSchema, HealthSchema, ReadinessSchema } from '@weft/api'
import { createMockBackend } from '@weft/backend-mock'
import { type Backend, createRuntime } from '@weft/core'
import { stubBackend } from '@weft/testing'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createServer, createServerMetrics, silentLogger } from '../src/index.js'
import {
  call,
  isFinished,
  openSse,
  startHarness,
  useHarness,
  waitFor,
  waitForRun,
  workflows,
} from './helpers.js'

/** A backend whose healthcheck hangs, and one whose healthcheck throws. */
const odd = (id: string, healthcheck: () => Promise<never>): Backend =>
  stubBackend({ id, capabilities: { cancel: true }, execute: async () => ({ output: 'ok' }), healthcheck })

const h = useHarness({
  server: { backendHealthTimeoutMs: 300 },
  runtime: {
    backends: [
      createMockBackend(),
      odd('broken', () => Promise.reject(new Error('no binary'))),
      odd('slow', () => new Promise<never>(() => {})),
    ],
  },
})

describe('meta routes', () => {
  it('/metrics has runs, task durations, tokens and cost, queue, store latency, clients and HTTP requests', async () => {
    const { body } = await call(h.url, '/api/v1/runs', { json: { workflow: workflows.quick('metrics') } })
    await waitForRun(h, body.runId, isFinished)
    const res = await fetch(`${h.url}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    for (const line of [
      'weft_runs{status="succeeded"} 1',
      'weft_task_duration_seconds_count{backend="mock",outcome="succeeded"} 3',
      'weft_tokens_total{model="mock-1",backend="mock",kind="input"} 10',
      'weft_cost_usd_total{model="mock-1",backend="mock"} 0.001',
      'weft_queue_tasks{state="queued"} 0',
      'weft_active_runs 0',
      'weft_sse_clients 0',
      'weft_ws_clients 0',
      'weft_http_requests_total{method="POST",route="/api/v1/runs",status="202"} 1',
    ]) {
      expect(text).toContain(line)
    }
    expect(text).toMatch(/weft_store_append_seconds_count\{store="sqlite"\} [1-9]/)
    expect(text).toMatch(/weft_http_request_duration_seconds_bucket/)
  })

  it('/openapi.json is a valid OpenAPI 3.1 document listing every route', async () => {
    const { status, body } = await call(h.url, '/openapi.json')
    expect(status).toBe(200)
    await expect(SwaggerParser.validate(structuredClone(body))).resolves.toBeTruthy()
    const listed = Object.entries(body.paths as Record<string, object>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    )
    expect(listed.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort())
    expect(body.info.version).toBe('9.9.9-test')
  })

  it('/healthz and /readyz', async () => {
    expect(HealthSchema.parse((await call(h.url, '/healthz')).body).version).toBe('9.9.9-test')
    const ready = await call(h.url, '/readyz')
    expect(ready.status).toBe(200)
    expect(ReadinessSchema.parse(ready.body)).toEqual({
      status: 'ready',
      checks: { server: { ok: true }, store: { ok: true } },
    })
  })

  it('/backends reports health, a failing or hanging check as unhealthy', async () => {
    const r = await call(h.url, '/api/v1/backends')
    expect(r.status).toBe(200)
    const { items } = BackendListSchema.parse(r.body)
    const byId = Object.fromEntries(items.map((b) => [b.id, b]))
    expect(byId.mock?.capabilities.streaming).toBe(true)
    expect(byId.broken?.health).toEqual({ ok: false, details: 'healthcheck failed: no binary' })
    expect(byId.slow?.health.ok).toBe(false)
    expect(byId.slow?.health.details).toBe('healthcheck failed: no answer within 300 ms')
  })
})

describe('embedding and shutdown', () => {
  it('mounts in a custom Hono app through app / fetch', async () => {
    const runtime = createRuntime({ backends: [createMockBackend()] })
    const weft = createServer(runtime, {
      logger: silentLogger,
      metrics: createServerMetrics({ defaultMetrics: false }),
    })
    const outer = new Hono()
    outer.get('/custom', (c) => c.text('mine'))
    outer.route('/', weft.app)
    const own = await outer.request('/custom')
    expect(await own.text()).toBe('mine')
    const health = await outer.request('/healthz')
    expect(await health.json()).toMatchObject({ status: 'ok' })
    const start = await weft.fetch(
      new Request('http://local/api/v1/runs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ workflow: workflows.quick('embedded') }),
      }),
    )
    expect(start.status).toBe(202)
    const { runId } = (await start.json()) as { runId: string }
    expect((await runtime.wait(runId)).status).toBe('succeeded')
    const ws = await weft.fetch(new Request('http://local/api/v1/ws'))
    expect(ws.status).toBe(400)
    await weft.close()
    await runtime.close()
  })

  it('close() ends SSE streams, refuses new requests, reports not ready, and leaves the runtime running', async () => {
    const other = await startHarness({ memory: true })
    try {
      const { body } = await call(other.url, '/api/v1/runs', {
        json: { workflow: workflows.hang('outlives-server') },
      })
      const sse = await openSse(`${other.url}/api/v1/runs/${body.runId}/events/stream`)
      await sse.until((m) => m.event === 'task.started', 'the task to start')
      const closing = other.server.close({ graceMs: 5000 })
      const messages = await sse.ended
      expect(messages.some((m) => m.event === 'end')).toBe(false) // the run did not end: reconnect later
      expect(sse.comments.some((c) => c.includes('shutting down'))).toBe(true)
      await closing
      const after = await other.server.fetch(new Request('http://local/readyz'))
      expect(after.status).toBe(503)
      expect(ReadinessSchema.parse(await after.json()).checks.server).toEqual({
        ok: false,
        message: 'shutting down',
      })
      const refused = await other.server.fetch(new Request('http://local/api/v1/runs'))
      expect(refused.status).toBe(503)
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unavailable')
      await expect(fetch(`${other.url}/healthz`)).rejects.toThrow()
      // The runtime is the caller's: the run still runs.
      expect((await other.runtime.get(body.runId))?.status).toBe('running')
      await other.runtime.cancel(body.runId)
      await waitFor(async () => (await other.runtime.get(body.runId))?.status === 'canceled', 'cancel')
    } finally {
      await other.close()
    }
  })
})
