/**
 * The run's usage totals between two folds of its summary (see RunState): `usage`, `usageByModel`,
 * `usageByBackend` and `estimated`, added to in place. A run records a usage event and, with a
 * cost model, an estimate for every attempt; building a new summary and new split maps for each
 * of them was the largest cost of a run owner's completions. Now they are copied once, at the
 * first addition after a fold, and handed to the next summary as they are (then shared, so the
 * next addition copies again).
 */
import type { RunSummary, Usage } from '@weft/spec'
import { emptyUsage } from '@weft/spec'

type Estimated = NonNullable<RunSummary['estimated']>

export class UsageSums {
  private usage: Usage
  private byModel: Record<string, Usage>
  private byBackend: Record<string, Usage> | undefined
  private estimated: Estimated | undefined
  private usageChanged = false
  private estimatedChanged = false

  /** Copies of the summary's totals (objects the summary shares with its readers are not changed). */
  constructor(s: RunSummary) {
    this.usage = { ...s.usage }
    this.byModel = copySplit(s.usageByModel) ?? {}
    this.byBackend = copySplit(s.usageByBackend)
    this.estimated = s.estimated ? { ...s.estimated } : undefined
  }

  add(usage: Partial<Usage>, model: string, backend: string | undefined): void {
    addInto(this.usage, usage)
    addInto(entry(this.byModel, model), usage)
    if (backend) {
      this.byBackend ??= {}
      addInto(entry(this.byBackend, backend), usage)
    }
    this.usageChanged = true
  }

  addEstimate(tokens: number, costUsd: number | undefined): void {
    const previous = this.estimated
    const cost = costUsd === undefined ? previous?.costUsd : (previous?.costUsd ?? 0) + costUsd
    this.estimated = {
      tokens: (previous?.tokens ?? 0) + tokens,
      ...(cost !== undefined ? { costUsd: cost } : {}),
    }
    this.estimatedChanged = true
  }

  /** Writes the changed totals into `next`, a new summary (they are its from then on). */
  foldInto(next: RunSummary): void {
    // `estimated` first: a live run commits an attempt's start (its estimate) before its usage,
    // so a summary that gains both keys at once, in replay, orders them as the live one did.
    if (this.estimatedChanged) next.estimated = this.estimated
    if (this.usageChanged) {
      next.usage = this.usage
      next.usageByModel = this.byModel
      if (this.byBackend) next.usageByBackend = this.byBackend
    }
  }
}

function copySplit(split: Record<string, Usage> | undefined): Record<string, Usage> | undefined {
  if (!split) return undefined
  const out: Record<string, Usage> = {}
  for (const k in split) out[k] = { ...split[k]! }
  return out
}

/** The split's entry for `key`, made empty when it has none. */
function entry(split: Record<string, Usage>, key: string): Usage {
  let u = split[key]
  if (u === undefined) {
    u = emptyUsage()
    split[key] = u
  }
  return u
}

/**
 * `addUsage` of @weft/spec, in place; field by field by name (a loop over the field names is a
 * keyed access per field, several times slower).
 */
function addInto(sum: Usage, u: Partial<Usage>): void {
  if (u.inputTokens !== undefined) sum.inputTokens += u.inputTokens
  if (u.outputTokens !== undefined) sum.outputTokens += u.outputTokens
  if (u.cacheReadTokens !== undefined) sum.cacheReadTokens += u.cacheReadTokens
  if (u.cacheWriteTokens !== undefined) sum.cacheWriteTokens += u.cacheWriteTokens
  if (u.reasoningTokens !== undefined) sum.reasoningTokens += u.reasoningTokens
  if (u.costUsd !== undefined) sum.costUsd = (sum.costUsd ?? 0) + u.costUsd
}
