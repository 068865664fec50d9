/** Summaries of repeated measurements: a median with its spread, never a single sample. */
export interface Summary {
  n: number
  median: number
  min: number
  max: number
  p25: number
  p75: number
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b)
  return {
    n: s.length,
    median: quantile(s, 0.5),
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
    p25: quantile(s, 0.25),
    p75: quantile(s, 0.75),
  }
}

/** p50/p95/p99 of latencies. */
export function percentiles(samples: number[]): {
  n: number
  p50: number
  p95: number
  p99: number
  max: number
} {
  const s = [...samples].sort((a, b) => a - b)
  return {
    n: s.length,
    p50: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    p99: quantile(s, 0.99),
    max: s[s.length - 1] ?? Number.NaN,
  }
}
