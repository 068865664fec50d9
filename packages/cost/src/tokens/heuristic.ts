/**
 * A token estimate for models whose tokenizer is not published (Anthropic's Claude models: their
 * token-counting endpoint is the only exact source; Gemini: `countTokens` is an API call too).
 * Counting needs no network and no data file, so it works for any text and any model.
 *
 * The estimate looks at what tokenizers actually split on instead of dividing characters by a
 * constant: a plain "characters / 3.5" is 0.8x o200k on pretty-printed JSON (punctuation,
 * indentation) and 0.3x on Chinese or Japanese, where almost every character is its own token.
 *
 *   tokens ≈ words                      every run of letters starts at least one token
 *          + ASCII letters / 10         long words and identifiers split into pieces
 *          + other letters / 5          non-Latin scripts (Cyrillic, Greek, accents, emoji)
 *                                       split into more, shorter pieces
 *          + digits / 3                 numbers are split into groups of up to three digits
 *          + 0.6 × ASCII punctuation    symbols are often tokens of their own, sometimes merged
 *                                       with a neighbour (`",`, `});`)
 *          + line breaks                a newline and the indentation after it is about a token
 *          + 1.1 × wide characters      CJK, kana and Hangul: about one token per character
 *
 * Calibrated against o200k_base (js-tiktoken) on 17 samples: a parallel paragraph in English,
 * German, French, Russian, Chinese and Japanese, and files of this repository — TypeScript,
 * Markdown, compact and pretty-printed JSON, YAML workflows and a lockfile. The ratio
 * estimate / o200k ran from 0.89 (pretty-printed JSON) to 1.34 (short English prose), median 1.20;
 * `chars / 3.5` ran from 0.32 to 1.41 on the same samples. (test/tokens.test.ts keeps the
 * fixtures within 0.8–1.4.) It errs high on purpose: it feeds a budget pre-check, which should
 * stop a run before it overspends, and Claude's tokenizers are reported to produce more tokens
 * than OpenAI's for the same text. It remains an estimate: what gets billed is the usage the
 * backend reports.
 */
export function heuristicTokenCount(text: string): number {
  if (text.length === 0) return 0
  let words = 0
  let digits = 0
  let lineBreaks = 0
  let asciiLetters = 0
  let otherLetters = 0
  let punctuation = 0
  let wide = 0
  let inWord = false
  for (const ch of text) {
    const code = ch.codePointAt(0)!
    if (code < 128) {
      if (code >= 48 && code <= 57) {
        digits++
      } else if (isAsciiLetter(code)) {
        if (!inWord) words++
        inWord = true
        asciiLetters++
      } else {
        inWord = false
        if (code === 10) lineBreaks++
        else if (!isAsciiSpace(code)) punctuation++
      }
    } else if (isWide(code)) {
      inWord = false
      wide++
    } else if (isUnicodeSpace(code)) {
      inWord = false
    } else {
      if (!inWord) words++
      inWord = true
      otherLetters++
    }
  }
  const estimate =
    words + asciiLetters / 10 + otherLetters / 5 + digits / 3 + 0.6 * punctuation + lineBreaks + 1.1 * wide
  // Whitespace alone is still at least one token: non-empty text is never 0.
  return Math.max(1, Math.ceil(estimate))
}

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122)
}

function isAsciiSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13)
}

function isUnicodeSpace(code: number): boolean {
  return code === 0xa0 || code === 0x3000 || (code >= 0x2000 && code <= 0x200b) || code === 0x202f
}

/** CJK ideographs and punctuation, kana, Hangul, full-width forms, CJK extension planes. */
function isWide(code: number): boolean {
  return (
    (code >= 0x2e80 && code <= 0x9fff) ||
    (code >= 0xac00 && code <= 0xd7af) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xff00 && code <= 0xffef) ||
    (code >= 0x20000 && code <= 0x3ffff)
  )
}
