import { describe, expect, it } from 'vitest'
import { useClient, useServer, workflows } from './helpers.js'

const h = useServer()
const client = useClient(h)

describe('metrics and trace context', () => {
  it('metricsSummary() reads GET /api/v1/metrics; start() sends a traceparent that the run keeps', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const { runId } = await client.runs.start({ workflow: workflows.quick('traced') }, { traceparent })
    expect((await client.runs.wait(runId)).status).toBe('succeeded')
    const m = await client.metricsSummary()
    expect(m.runs.byStatus.succeeded).toBeGreaterThanOrEqual(1)
    expect(m.tasks.byStatus.succeeded).toBeGreaterThanOrEqual(1)
    expect(m.events.total).toBeGreaterThan(0)
    const { spec } = (await client.runs.get(runId, { include: 'spec' })) as {
      spec?: { trace?: { traceparent: string } }
    }
    expect(spec?.trace?.traceparent).toBe(traceparent)
  })
})
