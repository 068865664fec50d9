import type { ResolvedRetryPolicy, RetryPolicy } from '@weft/spec'

export const BASE_RETRY_POLICY: ResolvedRetryPolicy = {
  maxAttempts: 1,
  backoffMs: 1000,
  factor: 2,
  maxBackoffMs: 60_000,
  jitter: 0.2,
}

/**
 * Field by field, the most specific setting wins. From least to most specific: the runtime's
 * defaults, the backend's default, the workflow's `defaults.retry`, the task's `retry`, and the
 * run's override (`RunSpec.retry`), which a person sets for one run and so beats the file.
 */
export function resolveRetryPolicy(...layers: (RetryPolicy | undefined)[]): ResolvedRetryPolicy {
  const out = { ...BASE_RETRY_POLICY }
  for (const layer of layers) {
    if (!layer) continue
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (out as Record<string, number>)[k] = v
  }
  return out
}

/** Exponential backoff with jitter: the delay before attempt `attempt + 1`. */
export function retryDelayMs(
  policy: ResolvedRetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exp = policy.backoffMs * policy.factor ** Math.max(0, attempt - 1)
  const capped = Math.min(policy.maxBackoffMs, exp)
  const spread = capped * policy.jitter
  return Math.max(0, Math.round(capped - spread + 2 * spread * random()))
}
