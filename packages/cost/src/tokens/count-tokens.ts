import type { ModelInfo } from '@weft/core'
import { bpeTokenCount, isBpeEncoding } from './bpe.js'
import { heuristicTokenCount } from './heuristic.js'

/**
 * Tokens of `text` for `model`: the model's own BPE encoding when it names one weft can run
 * (`o200k_base`, `cl100k_base`), the heuristic otherwise, including for an unknown model or none.
 * Empty text is 0 tokens; any other text is at least 1.
 */
export function countTokensFor(text: string, model: ModelInfo | undefined): number {
  if (text.length === 0) return 0
  const tokenizer = model?.tokenizer
  if (isBpeEncoding(tokenizer)) return Math.max(1, bpeTokenCount(text, tokenizer))
  return heuristicTokenCount(text)
}
