import { describe, expect, it } from 'vitest'
import { createCostModel } from '../src/index.js'
import { snapshotBase } from '../src/model-index.js'

describe('finding a model', () => {
  const cost = createCostModel()

  it('by exact id', () => {
    expect(cost.model('claude-sonnet-4-5')?.id).toBe('claude-sonnet-4-5')
    expect(cost.model('gpt-4.1-mini')?.id).toBe('gpt-4.1-mini')
  })

  it('by alias (dated snapshots and short names listed in the catalog)', () => {
    expect(cost.model('claude-sonnet-4-5-20250929')?.id).toBe('claude-sonnet-4-5')
    expect(cost.model('claude-opus-4-0')?.id).toBe('claude-opus-4')
    expect(cost.model('claude-3-5-sonnet-20240620')?.id).toBe('claude-3-5-sonnet')
    expect(cost.model('gpt-5-2025-08-07')?.id).toBe('gpt-5')
    expect(cost.model('gemini-2.0-flash-001')?.id).toBe('gemini-2.0-flash')
  })

  it('by the dated-snapshot rule for snapshots the catalog does not list', () => {
    expect(cost.model('claude-haiku-4-5-20260101')?.id).toBe('claude-haiku-4-5')
    expect(cost.model('claude-sonnet-4-5@20250929')?.id).toBe('claude-sonnet-4-5')
    expect(cost.model('gpt-5-mini-2026-03-01')?.id).toBe('gpt-5-mini')
    expect(cost.model('gemini-2.5-flash-002')?.id).toBe('gemini-2.5-flash')
    expect(cost.model('claude-opus-4-5-latest')?.id).toBe('claude-opus-4-5')
  })

  it('an exact id wins over the snapshot rule: the first GPT-4o snapshot keeps its own price', () => {
    expect(cost.model('gpt-4o-2024-05-13')?.inputPerMTok).toBe(5)
    expect(cost.model('gpt-4o-2024-08-06')?.inputPerMTok).toBe(2.5)
    expect(cost.model('gpt-4o-2099-01-01')?.inputPerMTok).toBe(2.5)
  })

  it('ignores case and surrounding space', () => {
    expect(cost.model(' Claude-Sonnet-4-5 ')?.id).toBe('claude-sonnet-4-5')
  })

  it('does not guess by prefix: a different model of the same family is unknown', () => {
    expect(cost.model('gpt-5-pro')).toBeUndefined()
    expect(cost.model('gpt-4o-audio-preview')).toBeUndefined()
    expect(cost.model('claude-sonnet')).toBeUndefined()
    expect(cost.model('')).toBeUndefined()
  })
})

describe('snapshotBase', () => {
  it('removes one recognised version suffix', () => {
    expect(snapshotBase('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5')
    expect(snapshotBase('claude-sonnet-4-5@20250929')).toBe('claude-sonnet-4-5')
    expect(snapshotBase('gpt-4.1-2025-04-14')).toBe('gpt-4.1')
    expect(snapshotBase('gemini-2.0-flash-001')).toBe('gemini-2.0-flash')
    expect(snapshotBase('claude-3-5-haiku-latest')).toBe('claude-3-5-haiku')
  })

  it('leaves other names alone', () => {
    expect(snapshotBase('gpt-5')).toBeUndefined()
    expect(snapshotBase('claude-opus-4-1')).toBeUndefined()
    expect(snapshotBase('o4-mini')).toBeUndefined()
    expect(snapshotBase('-20250101')).toBeUndefined()
  })
})
