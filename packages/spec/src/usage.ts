import { z } from 'zod'

/**
 * Token usage of one backend call or a sum of calls. The counts do not overlap, so they add up
 * and each is priced once: `inputTokens` is the uncached input only (cache reads and writes are
 * counted apart), and `outputTokens` excludes `reasoningTokens`. Backends whose APIs report
 * totals (OpenAI `prompt_tokens` includes cached tokens, `completion_tokens` includes reasoning)
 * subtract before reporting.
 */
export const UsageSchema = z.object({
  inputTokens: z.number().int().nonnegative().default(0),
  outputTokens: z.number().int().nonnegative().default(0),
  cacheReadTokens: z.number().int().nonnegative().default(0),
  cacheWriteTokens: z.number().int().nonnegative().default(0),
  reasoningTokens: z.number().int().nonnegative().default(0),
  /** Cost in USD when known (reported by the backend or computed from a model catalog). */
  costUsd: z.number().nonnegative().optional(),
})
export type Usage = z.infer<typeof UsageSchema>

/** The fields of `Usage`, counts first and `costUsd` last, for code that walks them. */
export const USAGE_FIELDS = Object.keys(UsageSchema.shape) as readonly (keyof Usage)[]

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
}

export function addUsage(a: Usage, b: Partial<Usage>): Usage {
  const cost =
    a.costUsd === undefined && b.costUsd === undefined ? undefined : (a.costUsd ?? 0) + (b.costUsd ?? 0)
  const sum: Usage = {
    inputTokens: a.inputTokens + (b.inputTokens ?? 0),
    outputTokens: a.outputTokens + (b.outputTokens ?? 0),
    cacheReadTokens: a.cacheReadTokens + (b.cacheReadTokens ?? 0),
    cacheWriteTokens: a.cacheWriteTokens + (b.cacheWriteTokens ?? 0),
    reasoningTokens: a.reasoningTokens + (b.reasoningTokens ?? 0),
  }
  if (cost !== undefined) sum.costUsd = cost
  return sum
}

export function totalTokens(u: Usage): number {
  return u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens + u.reasoningTokens
}
