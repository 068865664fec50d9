import { type EventType, eventTypesMatching, parsePointInTime } from '@weft/core'
import { HttpError } from './errors.js'

/**
 * A point in time from a query parameter: ISO 8601 (`2025-01-31`, `2025-01-31T12:00:00Z`) or a
 * duration back from now (`30m`), as UTC ISO. Anything else is a `validation_failed` naming it.
 */
export function parseTimeParam(name: string, value: string, now = Date.now()): string {
  const t = parsePointInTime(value, now)
  if (t === undefined) {
    throw new HttpError(
      'validation_failed',
      `invalid query: ${name}: expected an ISO time (2025-01-31T12:00:00Z) or a duration ago (30m, 2h, 7d)`,
      {
        details: {
          issues: [{ path: ['query', name], code: 'invalid_format', message: 'not a time or a duration' }],
        },
      },
    )
  }
  return t
}

/** Event types and families (`task.*`) → the event types they name. */
export function expandEventTypes(patterns: readonly string[] | undefined): EventType[] | undefined {
  if (!patterns || patterns.length === 0) return undefined
  return [...new Set(patterns.flatMap(eventTypesMatching))]
}
