import { describe, expect, it } from 'vitest'
import { cutText } from '../src/index.js'
import { countWords } from './fixtures.js'

const lines = (n: number, prefix = 'line') =>
  Array.from({ length: n }, (_, i) => `${prefix} ${i + 1} of ${n}`).join('\n')
const chars = (text: string) => text.length

describe('cutText', () => {
  it('returns a text that fits as it is', () => {
    expect(cutText('a b c', 3, 'head', countWords)).toEqual({ text: 'a b c', kept: [[0, 5]], cutTokens: 0 })
  })

  it('keeps whole lines of the head and says how much it cut', () => {
    const text = lines(10) // 4 words a line
    const result = cutText(text, 20, 'head', countWords)
    expect(result.text).toBe(`${lines(10).split('\n').slice(0, 3).join('\n')}\n[… 28 tokens cut …]`)
    expect(result.cutTokens).toBe(28)
    expect(countWords(result.text)).toBeLessThanOrEqual(20)
  })

  it('keeps whole lines of the tail', () => {
    const result = cutText(lines(10), 20, 'tail', countWords)
    expect(result.text).toBe(`[… 28 tokens cut …]\n${lines(10).split('\n').slice(7).join('\n')}`)
    expect(result.kept).toEqual([[lines(10).indexOf('line 8'), lines(10).length]])
  })

  it('keeps both ends in middle mode', () => {
    const result = cutText(lines(10), 21, 'middle', countWords)
    const all = lines(10).split('\n')
    expect(result.text).toBe(`${all.slice(0, 2).join('\n')}\n[… 24 tokens cut …]\n${all.slice(8).join('\n')}`)
  })

  it('cuts a long line at a word, not inside one', () => {
    const text = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu'
    const result = cutText(text, 40, 'head', chars)
    expect(result.text.length).toBeLessThanOrEqual(40)
    expect(result.text).toMatch(/^alpha beta( \w+)*\n\[… \d+ tokens cut …\]$/)
  })

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(30)
    for (const mode of ['head', 'tail', 'middle'] as const) {
      const result = cutText(text, 25, mode, chars)
      expect(result.text.length).toBeLessThanOrEqual(25)
      expect(result.text).not.toMatch(
        /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
      )
    }
  })

  it('gives a kept tail its section header back, and never keeps half a header', () => {
    const text = `## a\n${lines(6, 'alpha')}\n\n## b\n${lines(6, 'beta')}`
    const bStart = text.indexOf('## b')
    const sections = [
      { start: 0, bodyStart: 5, end: bStart - 2 },
      { start: bStart, bodyStart: bStart + 5, end: text.length },
    ]
    const tail = cutText(text, 16, 'tail', countWords, { sections })
    expect(tail.text).toBe(`[… 42 tokens cut …]\n## b\n${lines(6, 'beta').split('\n').slice(4).join('\n')}`)
    expect(tail.kept[0]).toEqual([bStart, bStart + 5])
    expect(countWords(tail.text)).toBeLessThanOrEqual(16)

    // A head that would end inside `## b` drops the whole header instead.
    for (const cap of [32, 33]) {
      const head = cutText(text, cap, 'head', countWords, { sections })
      expect(head.text).not.toMatch(/\n#/)
      expect(head.text.startsWith('## a\nalpha 1 of 6')).toBe(true)
      expect(head.text).toMatch(/alpha 6 of 6\n\n\[… 26 tokens cut …\]$/)
    }
  })

  it('leaves out the note when even the note is over the cap, and gives up only at nothing', () => {
    expect(cutText('one two three four five six seven', 2, 'head', countWords).text).toBe('one two')
    expect(cutText('one two three four five six seven', 2, 'tail', countWords).text).toBe('six seven')
    expect(cutText('abcdef', 0, 'head', chars)).toEqual({ text: '', kept: [], cutTokens: 6 })
  })

  it('uses a custom note', () => {
    const result = cutText(lines(10), 20, 'head', countWords, { note: (n) => `(${n} cut)` })
    expect(result.text).toBe(`${lines(10).split('\n').slice(0, 4).join('\n')}\n(24 cut)`)
  })
})

describe('cutText on a text that already holds a note', () => {
  it('still marks its own cut', () => {
    const text = `[… 3 tokens cut …]\n${lines(10)}`
    const result = cutText(text, 20, 'head', countWords)
    expect(result.text.match(/\[… \d+ tokens cut …\]/g)).toHaveLength(2)
    expect(countWords(result.text)).toBeLessThanOrEqual(20)
  })
})

describe('cutText with a note that does not shrink with its number', () => {
  it('still fits, counting every note', () => {
    // Fewer tokens cut make a longer note here, so the first, fast search overshoots.
    const note = (n: number) => (n < 30 ? `${'cut '.repeat(8)}${n}` : `[${n}]`)
    const text = lines(12) // 48 words
    const result = cutText(text, 30, 'head', countWords, { note })
    expect(countWords(result.text)).toBeLessThanOrEqual(30)
    expect(result.text).toMatch(/cut \d+$|\[\d+\]$/)
    expect(result.cutTokens).toBe(48 - countWords(text.slice(0, result.kept[0]![1])))
  })
})
