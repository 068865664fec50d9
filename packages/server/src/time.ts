import { EVENT_TYPES, type EventType } from '@weft/core'
import { HttpError } from './errors.js'

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
const DURATION = /^(?:\d+[smhdw])+$/

/** `30m`, `2h`, `7d`, `1w2d` → milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase()
  if (!DURATION.test(value)) return undefined
  let ms = 0
  for (const [, n, unit] of value.matchAll(/(\d+)([smhdw])/g))
    ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS]
  return Number.isSafeInteger(ms) ? ms : undefined
}

/**
 * A point in time from a query parameter: ISO 8601 (`2025-01-31`, `2025-01-31T12:00:00Z`) or a
 * duration back from now (`30m`). Returns the UTC ISO form stored times have, so stores compare
 * them as text. Anything else is a `validation_failed` naming the parameter.
 */
export function parseTimeParam(name: string, value: string, now = Date.now()): string {
  const ms = parseDuration(value)
  if (ms !== undefined) {
    const t = now - ms
    if (t >= -8.64e15) return new Date(t).toISOString()
  }
  const text = value.trim()
  const t = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN
  if (Number.isNaN(t)) {
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
  return new Date(t).toISOString()
}

/** Event types and families (`task.*`) → the event types they name. */
export function expandEventTypes(patterns: readonly string[] | undefined): EventType[] | undefined {
  if (!patterns || patterns.length === 0) return undefined
  const out = new Set<EventType>()
  for (const p of patterns) {
    if (p.endsWith('.*')) {
      const prefix = p.slice(0, -1)
      for (const t of EVENT_TYPES) if (t.startsWith(prefix)) out.add(t)
    } else out.add(p as EventType)
  }
  return [...out]
}
