/**
 * Cutting a text to a token cap: keep its head, its tail, or both ends. The removed part is
 * replaced by a note (`[… 1234 tokens cut …]`) so the model knows something is missing; the note
 * counts toward the cap like everything else.
 *
 * Tokenizers are not additive (the tokens of a text are not the sum of the tokens of its parts),
 * so the only proof that a text fits is to count it whole. The longest text that fits is found by
 * a search on the number of characters kept, counting each candidate with the caller's counter:
 * about log2(length) counts of texts about the size of the cap, plus one count of the removed
 * part for the note.
 */

export type CutMode = 'head' | 'tail' | 'middle'

export interface CutResult {
  text: string
  /** The ranges of the original text that were kept, in order. */
  kept: [start: number, end: number][]
  /** Tokens of the removed part (0 when nothing was removed). */
  cutTokens: number
}

export type CountTokens = (text: string) => number
export type CutNote = (cutTokens: number) => string

/** A labelled part of the text: its header runs from `start` to `bodyStart` (line break included). */
export interface CutSection {
  start: number
  bodyStart: number
  end: number
}

export interface CutOptions {
  note?: CutNote
  /**
   * The text's sections, in order. A cut never leaves half a header, and a kept tail that starts
   * inside a section's body gets that section's header back, so the model always knows whose
   * text it is reading.
   */
  sections?: readonly CutSection[]
  /** The tokens of the whole text, when the caller has counted them already. */
  tokens?: number
}

export const defaultCutNote: CutNote = (tokens) => `[… ${tokens} tokens cut …]`

/**
 * To land on a line or a word, a cut may give back a fifth of the kept text, or up to a line's
 * worth (80 characters) of a short one, but never more than half of it.
 */
function snapWindow(kept: number): number {
  return Math.max(Math.floor(kept * 0.2), Math.min(80, Math.floor(kept / 2)))
}

export function cutText(
  text: string,
  maxTokens: number,
  mode: CutMode,
  countTokens: CountTokens,
  options: CutOptions = {},
): CutResult {
  const total = options.tokens ?? countTokens(text)
  if (total <= maxTokens) return { text, kept: [[0, text.length]], cutTokens: 0 }
  const length = text.length
  const note = options.note ?? defaultCutNote
  const sections = options.sections ?? []

  // `k` characters are kept: the first k, the last k, or half of them at each end.
  const bounds = (k: number): [number, number] => {
    if (mode === 'head') return [codePointStart(text, k), length]
    if (mode === 'tail') return [0, codePointEnd(text, length - k)]
    return [codePointStart(text, Math.ceil(k / 2)), codePointEnd(text, length - Math.floor(k / 2))]
  }

  // The kept ranges for a head ending at `a` and a tail starting at `b`, headers fixed up.
  const plan = (a: number, b: number): Ranges => {
    const inHead = sections.find((s) => s.start < a && a <= s.bodyStart)
    if (inHead) a = inHead.start
    const ranges: Ranges = []
    if (a > 0) ranges.push([0, a])
    if (b < length) {
      const inTail = sections.find((s) => s.start < b && b < s.end)
      if (inTail && inTail.start >= a) {
        b = Math.max(b, inTail.bodyStart)
        ranges.push([inTail.start, inTail.bodyStart])
      }
      ranges.push([b, length])
    }
    return merge(ranges)
  }
  const removedTokens = (ranges: Ranges): number =>
    countTokens(
      gaps(ranges, length)
        .map(([x, y]) => text.slice(x, y))
        .join('\n'),
    )
  const compose = (ranges: Ranges, mark: string): string => {
    // The note goes where the first part was removed.
    let out = ''
    let at = 0
    let noted = !mark
    for (const [x, y] of ranges) {
      if (x > at && !noted) {
        out = joinLines(out, mark)
        noted = true
      }
      out = joinLines(out, text.slice(x, y))
      at = y
    }
    return at < length && !noted ? joinLines(out, mark) : out
  }

  /**
   * The best cut whose text fits, with `markFor` giving the note for a set of kept ranges.
   * Counting the removed part for every candidate would count most of the text each time, so
   * the search first runs with the widest note there can be (nothing removed holds more tokens
   * than the whole text) and counts only what is kept; the real note is checked at the end.
   */
  const search = (markFor: (ranges: Ranges) => string): Ranges | undefined => {
    const fits = (ranges: Ranges) => countTokens(compose(ranges, markFor(ranges))) <= maxTokens
    if (!fits(plan(...bounds(0)))) return undefined
    // Start near where the cap should fall if tokens were spread evenly, and gallop out from
    // there, so the early candidates are about the size of the cap, not half of a huge text.
    const guess = Math.min(length - 1, Math.max(1, Math.floor((length * maxTokens) / total)))
    let lo = 0 // fits
    let hi = length // does not: the whole text is over the cap
    if (fits(plan(...bounds(guess)))) {
      lo = guess
      for (let step = Math.max(1, guess >> 3); lo + step < length; step *= 2) {
        if (!fits(plan(...bounds(lo + step)))) {
          hi = lo + step
          break
        }
        lo += step
      }
    } else {
      hi = guess
      for (let step = Math.max(1, guess >> 3); hi - step > 0; step *= 2) {
        if (fits(plan(...bounds(hi - step)))) {
          lo = hi - step
          break
        }
        hi -= step
      }
    }
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2)
      if (fits(plan(...bounds(mid)))) lo = mid
      else hi = mid
    }

    let [a, b] = bounds(lo)
    // Spaces at a cut carry nothing.
    while (a > 0 && isSpace(text[a - 1])) a--
    while (b < length && isSpace(text[b])) b++
    const ranges = plan(a, b)
    const [sa, sb] = [mode === 'tail' ? a : snapBack(text, a), mode === 'head' ? b : snapForward(text, b)]
    const snapped = plan(sa, sb)
    // The snap must not cost more than the text it gives back (landing just after a header would
    // drop that header too), and a longer removed part makes a longer note: check it still fits.
    return size(snapped) >= size(ranges) - (a - sa) - (sb - b) && fits(snapped) ? snapped : ranges
  }

  const widest = note(total)
  const exact = (ranges: Ranges) => note(removedTokens(ranges))
  const finish = (ranges: Ranges): CutResult => {
    const cutTokens = removedTokens(ranges)
    return { text: compose(ranges, note(cutTokens)), kept: ranges, cutTokens }
  }
  const fast = search(() => widest)
  if (fast) {
    const result = finish(fast)
    if (countTokens(result.text) <= maxTokens) return result
  }
  // The rare counter for which a smaller number is not a shorter note: count every note.
  const slow = search(exact)
  if (slow) return finish(slow)
  // A cap smaller than any note still gets some text, without one.
  const bare = search(() => '')
  if (bare) return { text: compose(bare, ''), kept: bare, cutTokens: removedTokens(bare) }
  return { text: '', kept: [], cutTokens: total }
}

type Ranges = [number, number][]

/** Adjacent or overlapping ranges as one. */
function merge(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = []
  for (const [x, y] of ranges) {
    const last = out.at(-1)
    if (last && x <= last[1]) last[1] = Math.max(last[1], y)
    else if (y > x) out.push([x, y])
  }
  return out
}

function size(ranges: [number, number][]): number {
  return ranges.reduce((n, [x, y]) => n + y - x, 0)
}

/** What lies between the kept ranges. */
function gaps(ranges: [number, number][], length: number): [number, number][] {
  const out: [number, number][] = []
  let at = 0
  for (const [x, y] of ranges) {
    if (x > at) out.push([at, x])
    at = y
  }
  if (at < length) out.push([at, length])
  return out
}

/** Pieces on their own lines, without doubling the line breaks they already have. */
function joinLines(out: string, piece: string): string {
  if (!out || !piece) return out + piece
  return out.endsWith('\n') || piece.startsWith('\n') ? out + piece : `${out}\n${piece}`
}

/** Moves a head's end back to just after a line break, else to a space, when one is near. */
function snapBack(text: string, end: number): number {
  if (end === 0 || text[end - 1] === '\n' || text[end] === '\n') return end
  const floor = end - snapWindow(end)
  const line = text.lastIndexOf('\n', end - 1)
  if (line >= floor) return line + 1
  for (let i = end; i >= floor && i > 0; i--) {
    if (isSpace(text[i])) {
      while (i > 0 && isSpace(text[i - 1])) i--
      return i
    }
  }
  return end
}

/** Moves a tail's start forward to the beginning of a line, else past a space, when one is near. */
function snapForward(text: string, start: number): number {
  if (start === text.length || text[start - 1] === '\n') return start
  const ceiling = start + snapWindow(text.length - start)
  const line = text.indexOf('\n', start)
  if (line >= 0 && line < ceiling) return line + 1
  for (let i = Math.max(0, start - 1); i < ceiling; i++) {
    if (isSpace(text[i])) {
      while (i + 1 < text.length && isSpace(text[i + 1])) i++
      return i + 1
    }
  }
  return start
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t'
}

/** Never split a surrogate pair: a cut inside one moves before it. */
function codePointStart(text: string, index: number): number {
  return isLowSurrogate(text, index) && isHighSurrogate(text, index - 1) ? index - 1 : index
}

/** Never split a surrogate pair: a cut inside one moves after it. */
function codePointEnd(text: string, index: number): number {
  return isLowSurrogate(text, index) && isHighSurrogate(text, index - 1) ? index + 1 : index
}

function isHighSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  return c >= 0xd800 && c <= 0xdbff
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  return c >= 0xdc00 && c <= 0xdfff
}
