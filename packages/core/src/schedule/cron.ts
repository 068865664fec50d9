import { WeftError } from '@weft/spec'
import { Cron } from 'croner'

/** A cron expression read once: the ticks it makes after a given time, in its time zone. */
export interface CronTimes {
  readonly expression: string
  readonly timezone?: string
  /** The first tick strictly after `after` (ms since the epoch), or undefined when there is none. */
  next(after: number): number | undefined
}

const FIVE = ['minute', 'hour', 'day of month', 'month', 'day of week'] as const
const SIX = ['second', ...FIVE] as const
/** croner's names for the fields, in its messages ("Invalid value for dayOfWeek: 8"). */
const CRONER_FIELDS: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  day: 'day of month',
  month: 'month',
  dayOfWeek: 'day of week',
}
export const CRON_EXAMPLES =
  'e.g. "0 9 * * 1-5" (09:00 on weekdays), "*/15 * * * *" (every 15 minutes), "*/5 * * * * *" (every 5 seconds: 6 fields, seconds first)'

/**
 * Reads a cron expression with croner: 5 fields (minute hour day-of-month month day-of-week) or 6
 * with seconds first, in `timezone` (IANA, default UTC). A mistake is an `input_invalid` error that
 * names the field and shows examples, instead of croner's message alone.
 */
export function parseCron(expression: string, timezone?: string): CronTimes {
  const text = expression.trim()
  if (timezone !== undefined) assertTimezone(timezone)
  const parts = text.split(/\s+/).filter(Boolean)
  if (parts.length !== 5 && parts.length !== 6) {
    throw new WeftError(
      'input_invalid',
      `cron "${expression}" has ${parts.length} field${parts.length === 1 ? '' : 's'}; a cron has 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`,
      { hint: CRON_EXAMPLES, details: { cron: expression } },
    )
  }
  let cron: Cron
  try {
    cron = new Cron(text, { paused: true, mode: '5-or-6-parts', timezone: timezone ?? 'UTC' })
  } catch (err) {
    throw cronError(expression, parts, (err as Error).message)
  }
  return {
    expression: text,
    ...(timezone !== undefined ? { timezone } : {}),
    next(after) {
      const at = cron.nextRun(new Date(after))
      return at ? at.getTime() : undefined
    },
  }
}

/** The error for croner's message, naming the field and showing it as written. */
function cronError(expression: string, parts: string[], message: string): WeftError {
  const names = parts.length === 6 ? SIX : FIVE
  const m = /Invalid value for (\w+)/i.exec(message) ?? /for (\w+)/i.exec(message)
  const field = m ? CRONER_FIELDS[m[1]!] : undefined
  const index = field ? (names as readonly string[]).indexOf(field) : -1
  const where =
    index >= 0
      ? `field ${index + 1} (${field}) "${parts[index]}" is not valid`
      : message.replace(/^\w+: /, '')
  return new WeftError('input_invalid', `cron "${expression}": ${where}`, {
    hint: `fields are ${names.join(', ')}; ${CRON_EXAMPLES}`,
    details: { cron: expression, ...(field ? { field } : {}), reason: message },
  })
}

/** An IANA zone name the platform knows (`Europe/Paris`, `UTC`); otherwise `input_invalid`. */
export function assertTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
  } catch {
    throw new WeftError('input_invalid', `unknown time zone '${timezone}'`, {
      hint: 'give an IANA zone name, e.g. UTC, Europe/Paris, America/New_York',
      details: { timezone },
    })
  }
}
