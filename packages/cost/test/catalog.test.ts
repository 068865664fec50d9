import { COST_MODEL_SPECIFICATION_VERSION, ModelInfoSchema } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { CATALOG, createCostModel } from '../src/index.js'

describe('CATALOG', () => {
  it('says where its figures come from and when', () => {
    expect(Object.keys(CATALOG.source).sort()).toEqual(['anthropic', 'google', 'openai'])
    for (const urls of Object.values(CATALOG.source)) {
      expect(urls.length).toBeGreaterThan(0)
      for (const url of urls) expect(url).toMatch(/^https:\/\/\S+$/)
    }
    expect(CATALOG.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  })

  it('every entry satisfies the contract schema unchanged', () => {
    for (const m of CATALOG.models) expect(ModelInfoSchema.parse(m)).toEqual(m)
  })

  it('has the models weft users run', () => {
    const ids = CATALOG.models.map((m) => m.id)
    for (const id of [
      'claude-opus-4-8',
      'claude-opus-4-7',
      'claude-opus-4-6',
      'claude-opus-4-5',
      'claude-opus-4-1',
      'claude-opus-4',
      'claude-sonnet-4-6',
      'claude-sonnet-4-5',
      'claude-sonnet-4',
      'claude-3-7-sonnet',
      'claude-3-5-sonnet',
      'claude-haiku-4-5',
      'claude-3-5-haiku',
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4.1-nano',
      'gpt-4o',
      'gpt-4o-mini',
      'o3',
      'o4-mini',
      'gemini-2.5-pro',
      'gemini-2.5-flash',
      'gemini-2.5-flash-lite',
      'gemini-2.0-flash',
    ]) {
      expect(ids).toContain(id)
    }
  })

  it('no name is used twice, as an id or an alias', () => {
    const names = CATALOG.models.flatMap((m) => [m.id, ...m.aliases])
    expect(new Set(names).size).toBe(names.length)
  })

  it('gives every price explicitly, output dearer than input, output within the window', () => {
    for (const m of CATALOG.models) {
      expect(m.cacheReadPerMTok, m.id).toBeDefined()
      expect(m.cacheWritePerMTok, m.id).toBeDefined()
      expect(m.outputPerMTok, m.id).toBeGreaterThan(m.inputPerMTok)
      expect(m.maxOutputTokens, m.id).toBeLessThanOrEqual(m.contextWindow)
    }
  })

  it('counts OpenAI models with o200k_base and the others with the heuristic', () => {
    for (const m of CATALOG.models) {
      expect(m.tokenizer, m.id).toBe(m.provider === 'openai' ? 'o200k_base' : 'heuristic')
    }
  })

  it('is what createCostModel() serves', () => {
    const cost = createCostModel()
    expect(cost.specificationVersion).toBe(COST_MODEL_SPECIFICATION_VERSION)
    expect(cost.models().map((m) => m.id)).toEqual(CATALOG.models.map((m) => m.id))
  })
})
