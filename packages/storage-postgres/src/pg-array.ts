/**
 * An array parameter as a PostgreSQL array literal (`{"a","b\"c",NULL,3}`), built in one pass.
 *
 * pg builds the literal itself when given a JS array: each element through two regex replaces and
 * a few concatenations, the whole a rope of thousands of small strings that the socket write then
 * flattens again. For the commit of a busy run (a few arrays of thousands of elements, the events'
 * JSON among them) that was most of the owner's allocations and a visible share of its CPU.
 *
 * `JSON.stringify` of an array of strings, numbers and nulls is already an array literal with
 * brackets for braces: each string in double quotes with `"` and `\` escaped by a backslash, as
 * array_in reads them, and `null` (an unquoted NULL). It differs only where JSON writes an escape
 * array_in reads otherwise: control characters (`\n`, `\u0001`) and lone surrogates (`\ud800`).
 * Strings holding either (rare: ids, times and JSON texts have none) take the element-wise path.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters JSON escapes its own way
export const JSON_ESCAPED = /[\u0000-\u001f\ud800-\udfff]/

export type ArrayElement = string | number | boolean | null | undefined

export function arrayLiteral(values: readonly ArrayElement[]): string {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (typeof v === 'string' && JSON_ESCAPED.test(v)) return elementWise(values)
  }
  const json = JSON.stringify(values)
  return `{${json.slice(1, -1)}}`
}

/**
 * The same for texts `JSON.stringify` wrote (the queue's requests and results): they hold neither
 * control characters nor lone surrogates (it escapes both), so the check is skipped. The queue's
 * statements keep text arrays: the planner expects 100 rows of `json_array_elements` (`unnest`
 * of a bound array: its length), and for a completion it then joined the queue another way, at
 * twice the CPU; a commit's statements join nothing.
 */
export function jsonTextsLiteral(texts: readonly (string | null | undefined)[]): string {
  const json = JSON.stringify(texts)
  return `{${json.slice(1, -1)}}`
}

/**
 * Texts `JSON.stringify` wrote (a commit's event data, task states and memory values) as one
 * JSON array, a `json` parameter that SQL expands with `json_array_elements`: their
 * concatenation, nothing escaped again. As an array literal each text was escaped a second
 * time (every `"` and `\`), and unescaped again by the server; `json_array_elements` hands back
 * each element's text exactly as written (the `json` type keeps the text).
 */
export function jsonArray(texts: readonly string[]): string {
  return `[${texts.join(',')}]`
}

/** What pg does, for the arrays JSON would escape differently. */
function elementWise(values: readonly ArrayElement[]): string {
  const parts = new Array<string>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    parts[i] = v == null ? 'NULL' : `"${String(v).replace(/[\\"]/g, '\\$&')}"`
  }
  return `{${parts.join(',')}}`
}
