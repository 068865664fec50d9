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
