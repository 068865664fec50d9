import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { deep } from '../src/fuzz/emit.js'
import {
  arbitraryMalformedWorkflow,
  fuzzSettings,
  toJsonText,
  toObject,
  toYamlText,
} from '../src/fuzz/index.js'

describe('arbitraryMalformedWorkflow', () => {
  it('is reproducible from its seed and yields every form', () => {
    const a = fc.sample(arbitraryMalformedWorkflow(), { seed: 42, numRuns: 200 })
    const b = fc.sample(arbitraryMalformedWorkflow(), { seed: 42, numRuns: 200 })
    expect(a.map((c) => (c.form === 'object' ? c.json : c.text))).toEqual(
      b.map((c) => (c.form === 'object' ? c.json : c.text)),
    )
    expect(new Set(a.map((c) => c.form))).toEqual(new Set(['object', 'json', 'yaml']))
    for (const c of a) if (c.form === 'object') expect(typeof c.json).toBe('string')
  })

  it('renders values nested 20,000 levels without recursing per level', () => {
    const shape = Object.fromEntries([
      ['__proto__', 1],
      ['v', deep(20_000, 'mixed')],
    ])
    const text = toJsonText(shape)
    const parsed = JSON.parse(text) as Record<string, unknown>
    expect(Object.keys(parsed)).toEqual(['__proto__', 'v'])
    const value = toObject(shape) as Record<string, unknown>
    expect(Object.keys(value)).toEqual(['__proto__', 'v'])
    let depth = 0
    for (let v: unknown = value.v; v !== 'leaf'; depth++)
      v = Array.isArray(v) ? v[0] : (v as { k: unknown }).k
    expect(depth).toBe(20_000)
    expect(toYamlText({ a: { b: [1, { c: 'x' }] } })).toBe('"a":\n  "b":\n    - 1\n    -\n      "c": "x"\n')
  })

  it('takes the seed and the number of runs from the environment', () => {
    const before = { ...process.env }
    try {
      process.env.WEFT_FUZZ_SEED = '7'
      process.env.WEFT_FUZZ_RUNS = '12'
      expect(fuzzSettings({ runs: 1000 })).toEqual({ seed: 7, numRuns: 12 })
      delete process.env.WEFT_FUZZ_SEED
      delete process.env.WEFT_FUZZ_RUNS
      expect(fuzzSettings({ runs: 1000 })).toEqual({ seed: 0x5eed_0018, numRuns: 1000 })
    } finally {
      process.env = before
    }
  })
})
