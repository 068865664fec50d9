import { createMockBackend } from '@weft/backend-mock'
import { createRuntime } from '@weft/core'
import { createServer, createServerMetrics, silentLogger } from '@weft/server'
import { startOtlpReceiver } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { createOtelTraceSink } from '../src/index.js'

describe('a run started over the API', () => {
  it('joins the trace of the request’s traceparent: its run span’s parent is the caller’s span', async () => {
    const receiver = await startOtlpReceiver()
    const runtime = createRuntime({
      backends: [createMockBackend()],
      traceSink: createOtelTraceSink({ endpoint: receiver.url, spanProcessor: 'simple' }),
    })
    const server = createServer(runtime, {
      logger: silentLogger,
      metrics: createServerMetrics({ defaultMetrics: false }),
    })
    const { url } = await server.listen({ port: 0 })
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
      const callerSpan = '00f067aa0ba902b7'
      const res = await fetch(`${url}/api/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01` },
        body: JSON.stringify({
          workflow: {
            weft: 1,
            name: 'from-api',
            defaults: { backend: 'mock' },
            tasks: { a: { prompt: 'a' } },
          },
        }),
      })
      expect(res.status).toBe(202)
      const { runId } = (await res.json()) as { runId: string }
      await runtime.wait(runId)
      // A request without one starts a trace of its own.
      const plain = await fetch(`${url}/api/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: 'not-a-traceparent' },
        body: JSON.stringify({
          workflow: { weft: 1, name: 'plain', defaults: { backend: 'mock' }, tasks: { a: {} } },
        }),
      })
      await runtime.wait(((await plain.json()) as { runId: string }).runId)
      await server.close()
      await runtime.close()

      const run = receiver.spans.find((s) => s.name === 'weft.run from-api')
      expect(run?.traceId).toBe(traceId)
      expect(run?.parentSpanId).toBe(callerSpan)
      expect(receiver.trace(traceId).map((s) => s.name)).toEqual(
        expect.arrayContaining(['weft.task a', 'weft.attempt a#1']),
      )
      const other = receiver.spans.find((s) => s.name === 'weft.run plain')
      expect(other?.traceId).not.toBe(traceId)
      expect(other?.parentSpanId).toBeUndefined()
      // The spec keeps it: a process that recovers the run knows its trace.
      expect((await runtime.store.runs.getSpec(runId))?.trace?.traceparent).toBe(
        `00-${traceId}-${callerSpan}-01`,
      )
    } finally {
      await receiver.close()
    }
  })
})
