import { describeStore, runLogOnly } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { createMemoryStore, requireCapability, WeftError } from '../src/index.js'

// A store with the run log only (no leases, signals, artifacts, memory or idempotency) passes the
// required suite, and a runtime in one process runs workflows on it (the suite's runtime part).
describeStore('memory, run log only', async () => ({ store: runLogOnly(createMemoryStore()) }))

describe('requireCapability', () => {
  it('hands out a declared part, and names the missing capability and the store otherwise', () => {
    const full = createMemoryStore()
    expect(requireCapability(full, 'artifacts')).toBe(full.artifacts)
    const minimal = runLogOnly(createMemoryStore())
    for (const capability of ['leases', 'signals', 'artifacts', 'memory', 'idempotency'] as const) {
      let caught: unknown
      try {
        requireCapability(minimal, capability, 'this feature')
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(WeftError)
      expect(caught).toMatchObject({ code: 'store_unsupported', details: { capability, store: minimal.id } })
      expect((caught as Error).message).toBe(
        `this feature needs the '${capability}' capability, which is unsupported by this store (run-log-only:memory)`,
      )
    }
  })
})
