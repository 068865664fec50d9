/**
 * A cost for people to read. Per-task costs are often fractions of a cent, so amounts under a
 * dollar keep four decimals (`$0.0042`) while larger ones use cents (`$12.35`, `$1,234.50`).
 * An unknown cost is written as such (`unknown`, or `fallback`), never as `$0.00`.
 */
export function formatUsd(usd: number | undefined, fallback = 'unknown'): string {
  if (usd === undefined || !Number.isFinite(usd)) return fallback
  const sign = usd < 0 ? '-' : ''
  const abs = Math.abs(usd)
  if (abs === 0) return '$0.00'
  if (abs < 0.0001) return `${sign}<$0.0001`
  const digits = abs < 1 ? 4 : 2
  const text = abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  return `${sign}$${text}`
}
