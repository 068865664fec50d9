import type { Json } from '@weft/spec'

/**
 * The task's output from a command's stdout: JSON when the trimmed text is a JSON object, array,
 * number, boolean or null, otherwise the trimmed text. A JSON string (`"hi"` with its quotes) stays
 * text, and numbers that JSON would change (too large to be exact, not finite) stay text too, so
 * what a command prints is never silently altered.
 */
export function parseStdout(stdout: string, parseJson: boolean): Json {
  const text = stdout.trim()
  if (!parseJson || text === '') return text
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return text
  }
  if (typeof value === 'string') return text
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return text
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return text
  }
  return value as Json
}

/** Characters of a command an error message quotes at most. */
const MAX_LABEL = 160

/**
 * A command as an error message quotes it: whole when short, otherwise its program and the tail
 * of the rest (a 200-line `sh -c` script is named by its last lines, where it usually failed).
 * The whole command stays in the error's details.
 */
export function commandLabel(command: readonly string[]): string {
  const whole = command.join(' ')
  if (whole.length <= MAX_LABEL && !whole.includes('\n')) return `'${whole}'`
  const [program, ...rest] = command
  const lines = rest.join(' ').trimEnd().split(/\r?\n/)
  let text = lines
    .slice(-3)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ')
  if (text.length > MAX_LABEL) text = text.slice(-MAX_LABEL)
  return `'${program} … ${text}'`
}
