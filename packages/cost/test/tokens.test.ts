import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createCostModel } from '../src/index.js'
import { bpeTokenCount } from '../src/tokens/bpe.js'
import { heuristicTokenCount } from '../src/tokens/heuristic.js'

const cost = createCostModel()

describe('OpenAI models: the o200k_base tokenizer', () => {
  it('counts a known string as tiktoken does', () => {
    // tiktoken: o200k_base encodes "hello world" as [24912, 2375], cl100k_base as [15339, 1917];
    // "tiktoken is great!" is 6 tokens in cl100k_base (OpenAI cookbook).
    expect(cost.countTokens('hello world', 'gpt-5')).toBe(2)
    expect(cost.countTokens('hello world', 'gpt-4o-2024-08-06')).toBe(2)
    expect(cost.countTokens('Hello, world!', 'o4-mini')).toBe(4)
    expect(bpeTokenCount('tiktoken is great!', 'cl100k_base')).toBe(6)
    expect(bpeTokenCount('tiktoken is great!', 'o200k_base')).toBe(6)
  })

  it('counts text that contains a special token as plain text instead of throwing', () => {
    expect(cost.countTokens('<|endoftext|>', 'gpt-5')).toBe(7)
  })

  it('a custom model can name cl100k_base', () => {
    const custom = createCostModel({
      models: [
        {
          id: 'old-gpt',
          provider: 'openai',
          inputPerMTok: 1,
          outputPerMTok: 2,
          contextWindow: 8192,
          maxOutputTokens: 4096,
          tokenizer: 'cl100k_base',
        },
      ],
    })
    expect(custom.countTokens('hello world', 'old-gpt')).toBe(2)
  })
})

describe('other models: the heuristic', () => {
  it('is 0 only for empty text', () => {
    expect(cost.countTokens('')).toBe(0)
    expect(cost.countTokens('', 'claude-sonnet-4-5')).toBe(0)
    expect(cost.countTokens('', 'gpt-5')).toBe(0)
    for (const text of [' ', '\n', '.', 'a', '\u00a0', '語', '🙂', '\t\t']) {
      expect(heuristicTokenCount(text), JSON.stringify(text)).toBeGreaterThanOrEqual(1)
      expect(cost.countTokens(text, 'claude-haiku-4-5'), JSON.stringify(text)).toBeGreaterThanOrEqual(1)
      expect(cost.countTokens(text, 'gpt-5'), JSON.stringify(text)).toBeGreaterThanOrEqual(1)
    }
  })

  it('is used for Claude, Gemini, unknown models and no model', () => {
    const text = 'The quick brown fox jumps over the lazy dog.'
    const h = heuristicTokenCount(text)
    expect(cost.countTokens(text, 'claude-sonnet-4-5')).toBe(h)
    expect(cost.countTokens(text, 'gemini-2.5-pro')).toBe(h)
    expect(cost.countTokens(text, 'acme-9000')).toBe(h)
    expect(cost.countTokens(text)).toBe(h)
  })

  it('grows with the text', () => {
    const one = heuristicTokenCount('weft runs workflows. ')
    expect(one).toBeGreaterThanOrEqual(4)
    expect(heuristicTokenCount('weft runs workflows. '.repeat(100))).toBeGreaterThan(400)
  })

  // The calibration behind the constants (see heuristic.ts): within 0.8–1.4× of o200k_base on
  // prose in six languages, JSON and TypeScript. A change to the constants must keep this.
  it('stays close to o200k_base on prose in six languages, JSON and code', () => {
    const samples = [
      'en.txt',
      'de.txt',
      'fr.txt',
      'ru.txt',
      'zh.txt',
      'ja.txt',
      'data.json',
      'data-compact.txt',
    ].map((name) => readFileSync(new URL(`./fixtures/samples/${name}`, import.meta.url), 'utf8'))
    for (const src of ['../src/cost-model.ts', '../src/parse-models.ts']) {
      samples.push(readFileSync(new URL(src, import.meta.url), 'utf8'))
    }
    for (const text of samples) {
      const ratio = heuristicTokenCount(text) / bpeTokenCount(text, 'o200k_base')
      expect(ratio, text.slice(0, 40)).toBeGreaterThanOrEqual(0.8)
      expect(ratio, text.slice(0, 40)).toBeLessThanOrEqual(1.4)
    }
  })
})
