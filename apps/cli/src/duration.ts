import { InvalidArgumentError } from 'commander'

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

/** A commander parser for options that take a duration (`--older-than 30d`). */
export function durationArg(value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined) {
    throw new InvalidArgumentError(
      'expected a duration such as 30d, 12h, 90m, 45s or 2w (units: s, m, h, d, w).',
    )
  }
  return ms
}

/**
 * A commander parser for points in time (`--since`): an ISO date or date-time, or a duration that
 * means "that long ago". Returns a UTC ISO string, the form stored event times have, so that the
 * store can compare them as text.
 */
export function timeArg(value: string, now: () => number = Date.now): string {
  const ms = parseDuration(value)
  if (ms !== undefined) return new Date(now() - ms).toISOString()
  // A bare number would parse as a year or a timestamp; neither is what anyone means here.
  const t = /^\d{4}-\d{2}-\d{2}/.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN
  if (Number.isNaN(t)) {
    throw new InvalidArgumentError(
      'expected an ISO time (2025-01-31, 2025-01-31T12:00:00Z) or a duration ago (30m, 2h, 7d).',
    )
  }
  return new Date(t).toISOString()
}
