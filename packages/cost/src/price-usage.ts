import type { ModelInfo, Usage } from '@weft/core'

/**
 * USD for `usage` at `model`'s prices. weft's Usage splits tokens into disjoint kinds, each billed
 * once at its own price (as the providers bill them):
 *
 * - `inputTokens`: uncached input only. Cache reads and writes are NOT included in it.
 * - `cacheReadTokens`, `cacheWriteTokens`: input served from / written to the prompt cache.
 * - `outputTokens`: visible output only; `reasoningTokens` (thinking) are NOT included in it.
 *
 * Backends translate their provider's counts to this (OpenAI's `prompt_tokens` includes
 * `cached_tokens` and its `completion_tokens` includes `reasoning_tokens`; Gemini's
 * `promptTokenCount` includes `cachedContentTokenCount`; Anthropic's counts are already disjoint).
 * `usage.costUsd` is ignored: this prices the tokens; keeping a backend-reported cost is the
 * runtime's decision. Missing counts are 0.
 */
export function priceUsage(usage: Partial<Usage>, model: ModelInfo): number {
  const perMillion =
    (usage.inputTokens ?? 0) * model.inputPerMTok +
    (usage.outputTokens ?? 0) * model.outputPerMTok +
    (usage.cacheReadTokens ?? 0) * (model.cacheReadPerMTok ?? model.inputPerMTok) +
    (usage.cacheWriteTokens ?? 0) * (model.cacheWritePerMTok ?? model.inputPerMTok) +
    (usage.reasoningTokens ?? 0) * (model.reasoningPerMTok ?? model.outputPerMTok)
  return perMillion / 1_000_000
}
