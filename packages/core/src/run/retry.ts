import type { ErrorInfo, ResolvedRetryPolicy, RetryPolicy } from '@weft/spec'

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
  let attemptsSet = false
  for (const layer of layers) {
    if (!layer) continue
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
    if (layer.maxAttempts !== undefined) attemptsSet = true
  }
  // `retry: { on: [exit_code] }` opts in to retries: with no attempts set anywhere it means 3.
  if (out.on?.length && !attemptsSet) out.maxAttempts = ON_DEFAULT_ATTEMPTS
  return out
}

/** Attempts in total when a policy sets `on` and nothing sets `maxAttempts`. */
export const ON_DEFAULT_ATTEMPTS = 3

/** Whether a failure is one that `retry.on` names: by its error code or by its exit code. */
export function retriesOn(policy: ResolvedRetryPolicy, error: ErrorInfo): boolean {
  if (!policy.on) return false
  return policy.on.some((c) => c === error.code || (typeof c === 'number' && c === error.exitCode))
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
