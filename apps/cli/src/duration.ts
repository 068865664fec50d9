import { parseDuration, parsePointInTime } from '@weft/core'
import { InvalidArgumentError } from 'commander'

export { parseDuration }

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

/** A commander parser for points in time (`--since`): an ISO time, or a duration that long ago. */
export function timeArg(value: string, now: () => number = Date.now): string {
  const t = parsePointInTime(value, now())
  if (t === undefined) {
    throw new InvalidArgumentError(
      'expected an ISO time (2025-01-31, 2025-01-31T12:00:00Z) or a duration ago (30m, 2h, 7d).',
    )
  }
  return t
}
