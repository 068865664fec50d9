import { describe, expect, it } from 'vitest'
import { createCostModel, DEFAULT_OUTPUT_TOKENS } from '../src/index.js'

const prompt = 'Summarise the upstream results in three bullet points.'

describe('estimate', () => {
  const cost = createCostModel()

  it('counts the input with the model tokenizer and assumes the default output', () => {
    const e = cost.estimate({ text: prompt, model: 'gpt-5' })
    const input = cost.countTokens(prompt, 'gpt-5')
    expect(e).toEqual({
      inputTokens: input,
      outputTokens: DEFAULT_OUTPUT_TOKENS,
      model: 'gpt-5',
      costUsd: (input * 1.25 + 500 * 10) / 1e6,
    })
  })

  it('uses the expected output when given', () => {
    const e = cost.estimate({ text: prompt, model: 'claude-sonnet-4-5', expectedOutputTokens: 2000 })
    expect(e.outputTokens).toBe(2000)
    expect(e.costUsd).toBeCloseTo((e.inputTokens * 3 + 2000 * 15) / 1e6, 12)
  })

  it('caps the output at the model max output tokens', () => {
    // Claude 3.5 Haiku: 8,192 output tokens at most
    const e = cost.estimate({ text: prompt, model: 'claude-3-5-haiku', expectedOutputTokens: 20_000 })
    expect(e.outputTokens).toBe(8192)
    expect(e.costUsd).toBeCloseTo((e.inputTokens * 0.8 + 8192 * 4) / 1e6, 12)
    const small = createCostModel({ defaultOutputTokens: 50_000 })
    expect(small.estimate({ text: prompt, model: 'gemini-2.0-flash' }).outputTokens).toBe(8192)
  })

  it('names the canonical model for an alias or snapshot', () => {
    expect(cost.estimate({ text: prompt, model: 'claude-sonnet-4-5-20250929' }).model).toBe(
      'claude-sonnet-4-5',
    )
  })

  it('has no cost for an unknown model, but still counts tokens', () => {
    const e = cost.estimate({ text: prompt, model: 'acme-9000', expectedOutputTokens: 100 })
    expect(e.costUsd).toBeUndefined()
    expect(e.model).toBe('acme-9000')
    expect(e.inputTokens).toBeGreaterThan(0)
    expect(e.outputTokens).toBe(100)
    const none = cost.estimate({ text: prompt })
    expect(none.costUsd).toBeUndefined()
    expect(none.model).toBeUndefined()
  })

  it('follows defaultOutputTokens', () => {
    const c = createCostModel({ defaultOutputTokens: 1200 })
    expect(c.estimate({ text: '', model: 'gpt-4o' })).toEqual({
      inputTokens: 0,
      outputTokens: 1200,
      model: 'gpt-4o',
      costUsd: (1200 * 10) / 1e6,
    })
  })
})
