const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
const DURATION = /^(?:\d+[smhdw])+$/

/**
 * `30d`, `12h`, `90m`, `1w2d`, `0s` → milliseconds, or undefined when the text is not one.
 * Units: s, m, h, d, w. Whole numbers only, so `1.5h` is refused rather than read as something else.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase()
  if (!DURATION.test(value)) return undefined
  let ms = 0
  for (const [, n, unit] of value.matchAll(/(\d+)([smhdw])/g))
    ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS]
  return Number.isSafeInteger(ms) ? ms : undefined
}

/**
 * A point in time as people write it in flags and query strings: an ISO date or date-time
 * (`2025-01-31`, `2025-01-31T12:00:00Z`) or a duration meaning "that long ago" (`30m`, `7d`).
 * Returns the UTC ISO form stored times have (so stores compare them as text), or undefined when
 * the text is neither. A bare number is refused: a year or a timestamp is never what is meant.
 */
export function parsePointInTime(text: string, now: number = Date.now()): string | undefined {
  const ms = parseDuration(text)
  if (ms !== undefined) {
    const t = now - ms
    return t >= -8.64e15 ? new Date(t).toISOString() : undefined
  }
  const value = text.trim()
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN
  return Number.isNaN(t) ? undefined : new Date(t).toISOString()
}
