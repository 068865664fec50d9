import { describe, expect, it } from 'vitest'
import { call, expectError, useHarness } from './helpers.js'

// A server on a store no worker shares (the harness's SQLite): the agent routes exist and say
// why they cannot answer. The routes on Postgres, with real `weft worker` processes, are tested
// in apps/cli/test/agents.test.ts.
const h = useHarness()

describe('agents on a store without workers', () => {
  it('answers 501 store_unsupported naming what agents need, for reads and controls alike', async () => {
    const list = await call(h.url, '/api/v1/agents')
    expectError(list, 501, 'store_unsupported')
    expect(list.body.error.message).toMatch(/agents need a store shared by workers, e\.g\. postgres:\/\//)
    expectError(await call(h.url, '/api/v1/agents/a1'), 501, 'store_unsupported')
    expectError(
      await call(h.url, '/api/v1/agents/a1/pause', { method: 'POST', json: {} }),
      501,
      'store_unsupported',
    )
  })

  it('validates the request before the store is asked', async () => {
    expectError(await call(h.url, '/api/v1/agents?status=sleeping'), 400, 'validation_failed')
    expectError(
      await call(h.url, '/api/v1/agents/a1/stop', { method: 'POST', json: { force: true } }),
      400,
      'validation_failed',
    )
  })

  it('has the agent gauges on /metrics, empty without agents', async () => {
    const text = (await call(h.url, '/metrics')).text
    expect(text).toContain('# TYPE weft_agents gauge')
    expect(text).toContain('# TYPE weft_agent_busy_slots gauge')
    expect(text).not.toMatch(/^weft_agents\{/m)
  })
})
