import { emptyUsage, type Usage } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { createCostModel } from '../src/index.js'

/** A usage record as a backend reports it: counts not mentioned are 0. */
const usage = (u: Partial<Usage>): Usage => ({ ...emptyUsage(), ...u })

// Each expected figure is written out from the catalog's prices (USD per million tokens), so a
// price change in the catalog has to be made here too, on purpose.
describe('cost of recorded usage', () => {
  const cost = createCostModel()

  it('Claude Sonnet 4.5 with cache reads and 5-minute cache writes', () => {
    const u = usage({ inputTokens: 1200, outputTokens: 350, cacheReadTokens: 5000, cacheWriteTokens: 800 })
    // input $3, output $15, cache read $0.30, cache write $3.75
    expect(cost.cost(u, 'claude-sonnet-4-5')).toBeCloseTo(
      (1200 * 3 + 350 * 15 + 5000 * 0.3 + 800 * 3.75) / 1e6,
      12,
    )
    expect(cost.cost(u, 'claude-sonnet-4-5')).toBeCloseTo(0.01335, 12)
  })

  it('Claude Sonnet 4.5 by the dated id Claude Code reports', () => {
    const u = usage({ inputTokens: 1200, outputTokens: 350, cacheReadTokens: 5000, cacheWriteTokens: 800 })
    expect(cost.cost(u, 'claude-sonnet-4-5-20250929')).toBeCloseTo(0.01335, 12)
  })

  it('GPT-5 with reasoning tokens billed at the output price', () => {
    const u = usage({ inputTokens: 2000, outputTokens: 400, cacheReadTokens: 10_000, reasoningTokens: 1500 })
    // input $1.25, output $10, cached input $0.125, reasoning = output $10
    expect(cost.cost(u, 'gpt-5')).toBeCloseTo((2000 * 1.25 + 400 * 10 + 10_000 * 0.125 + 1500 * 10) / 1e6, 12)
    expect(cost.cost(u, 'gpt-5')).toBeCloseTo(0.02275, 12)
  })

  it('Gemini 2.5 Flash with thinking tokens', () => {
    const u = usage({ inputTokens: 8000, outputTokens: 600, reasoningTokens: 1200 })
    // input $0.30, output (thinking included) $2.50
    expect(cost.cost(u, 'gemini-2.5-flash')).toBeCloseTo((8000 * 0.3 + 600 * 2.5 + 1200 * 2.5) / 1e6, 12)
    expect(cost.cost(u, 'gemini-2.5-flash')).toBeCloseTo(0.0069, 12)
  })

  it('Claude Haiku 4.5 with cache reads and writes', () => {
    const u = usage({ inputTokens: 3000, outputTokens: 700, cacheReadTokens: 2000, cacheWriteTokens: 1000 })
    // input $1, output $5, cache read $0.10, cache write $1.25
    expect(cost.cost(u, 'claude-haiku-4-5')).toBeCloseTo(
      (3000 * 1 + 700 * 5 + 2000 * 0.1 + 1000 * 1.25) / 1e6,
      12,
    )
    expect(cost.cost(u, 'claude-haiku-4-5')).toBeCloseTo(0.00795, 12)
  })

  it('o3 by its snapshot id, with reasoning and cached input', () => {
    const u = usage({ inputTokens: 5000, outputTokens: 200, cacheReadTokens: 1000, reasoningTokens: 3000 })
    // input $2, output $8, cached input $0.50
    expect(cost.cost(u, 'o3-2025-04-16')).toBeCloseTo((5000 * 2 + 200 * 8 + 1000 * 0.5 + 3000 * 8) / 1e6, 12)
  })

  it('Claude Opus 4.1 at the old Opus price', () => {
    expect(cost.cost(usage({ inputTokens: 1000, outputTokens: 100 }), 'claude-opus-4-1')).toBeCloseTo(
      (1000 * 15 + 100 * 75) / 1e6,
      12,
    )
  })

  it('sums a run of several calls the same as pricing each call', () => {
    const calls = [
      usage({ inputTokens: 100, outputTokens: 10 }),
      usage({ inputTokens: 50, cacheReadTokens: 900, outputTokens: 20 }),
    ]
    const each = calls.reduce((sum, u) => sum + cost.cost(u, 'claude-sonnet-4-6')!, 0)
    const total = cost.cost(
      usage({ inputTokens: 150, cacheReadTokens: 900, outputTokens: 30 }),
      'claude-sonnet-4-6',
    )
    expect(total).toBeCloseTo(each, 12)
    expect(total).toBeCloseTo((150 * 3 + 900 * 0.3 + 30 * 15) / 1e6, 12)
  })

  it('prices the tokens and ignores a cost the backend reported', () => {
    const u = usage({ inputTokens: 1000, outputTokens: 0, costUsd: 99 })
    expect(cost.cost(u, 'gpt-4o-mini')).toBeCloseTo((1000 * 0.15) / 1e6, 12)
  })

  it('treats counts missing from a partial record as 0', () => {
    expect(cost.cost({ inputTokens: 1_000_000 } as Usage, 'gpt-4.1')).toBeCloseTo(2, 12)
  })

  it('is 0 for a known model that used nothing', () => {
    expect(cost.cost(usage({}), 'gpt-5-nano')).toBe(0)
  })
})

describe('unknown model', () => {
  const cost = createCostModel()

  it('has no price: undefined, not 0', () => {
    const u = usage({ inputTokens: 1000, outputTokens: 500 })
    expect(cost.model('acme-9000')).toBeUndefined()
    expect(cost.cost(u, 'acme-9000')).toBeUndefined()
    expect(cost.cost(u, 'acme-9000')).not.toBe(0)
  })

  it('no model at all is unknown too', () => {
    expect(cost.cost(usage({ inputTokens: 1000 }))).toBeUndefined()
    expect(cost.cost(usage({ inputTokens: 1000 }), '')).toBeUndefined()
  })

  it('a model of a known family with an unknown suffix is not priced as the family', () => {
    expect(cost.cost(usage({ inputTokens: 1000 }), 'gpt-5-pro')).toBeUndefined()
    expect(cost.cost(usage({ inputTokens: 1000 }), 'claude-sonnet-4-5-turbo')).toBeUndefined()
  })
})
