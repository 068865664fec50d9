/**
 * Paths into structured outputs: `stops[0].name`, `['key with spaces']`, as in a `context.from`
 * entry (`plan.stops[0].name`).
 *
 * Parsing reuses core's `parseExpression`, the grammar of `${{ tasks.plan.output.stops[0] }}`
 * templates, so a path means the same thing in a template and in `context.from`. No maintained
 * library fits better: JSONPath (jsonpath-plus) is a different syntax (`$.stops[0]`) that answers
 * lists of matches, and lodash `get` / dot-prop answer `undefined` for a wrong path, while a person
 * needs to hear which part of the path is wrong and what is there instead. So only the walk that
 * produces those errors is written here.
 */
import { type Json, parseExpression } from '@weft/core'
import { ContextError } from './context-error.js'

/** A member name or a list index. */
export type PathSegment = string | number

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/
const LITERAL_WORDS = new Set(['true', 'false', 'null'])
const MAX_KEYS_LISTED = 10

/** Parses a path relative to a value (`stops[0].name`, `[2]`, `['a b']`); `''` is the value itself. */
export function parsePath(path: string): PathSegment[] {
  const trimmed = path.trim()
  if (trimmed === '') return []
  // A root name in front makes `[0].name` a path, and keeps a leading `true`/`null` a member
  // name instead of a literal; the columns of parse errors are shifted back past it.
  const prefix = trimmed.startsWith('[') ? '_' : '_.'
  const shift = prefix.length - (path.length - path.trimStart().length)
  let expr: ReturnType<typeof parseExpression>
  try {
    expr = parseExpression(prefix + trimmed)
  } catch (err) {
    const reason = (err as Error).message.replace(/column (\d+)/g, (_, col: string) => {
      return `column ${Math.max(1, Number(col) - shift)}`
    })
    throw new ContextError('path_invalid', `invalid path '${path}': ${reason}`, { hint: PATH_HINT })
  }
  if (expr.kind !== 'path') {
    throw new ContextError('path_invalid', `invalid path '${path}': it is an expression, not a path`, {
      hint: PATH_HINT,
    })
  }
  const segments = expr.segments.slice(1)
  for (const segment of segments) {
    if (typeof segment === 'number' && (!Number.isInteger(segment) || segment < 0)) {
      throw new ContextError('path_invalid', `invalid path '${path}': [${segment}] is not a list index`, {
        hint: 'indices count from 0: [0] is the first item',
      })
    }
  }
  return segments
}

const PATH_HINT = "write members with dots and indices in brackets: stops[0].name, ['key with spaces']"

/** Writes segments back as a path: names with dots, indices and other keys in brackets. */
export function formatPath(segments: readonly PathSegment[]): string {
  return segments
    .map((segment, i) => {
      if (typeof segment === 'number') return `[${segment}]`
      if (IDENTIFIER.test(segment) && !(i === 0 && LITERAL_WORDS.has(segment))) {
        return i === 0 ? segment : `.${segment}`
      }
      return `['${segment.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`
    })
    .join('')
}

export interface SelectPathOptions {
  /** What the value is called in errors, e.g. the task id `plan` for `plan.stops[0]`. */
  root?: string
}

/**
 * The part of `value` at `path`. Throws a `ContextError` that names the path, the point where it
 * went wrong and what exists there (the members of an object, the length of a list).
 */
export function selectPath(
  value: Json,
  path: string | readonly PathSegment[],
  options: SelectPathOptions = {},
): Json {
  const segments = typeof path === 'string' ? parsePath(path) : path
  const name = (upTo: number): string => {
    const part = segments.slice(0, upTo)
    if (options.root !== undefined) return formatPath([options.root, ...part])
    return part.length > 0 ? formatPath(part) : 'the value'
  }
  const fail = (upTo: number, reason: string): never => {
    throw new ContextError(
      'path_not_found',
      `cannot select ${name(segments.length)}: ${name(upTo)} ${reason}`,
    )
  }

  let current: Json = value
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    if (Array.isArray(current)) {
      if (typeof segment !== 'number') {
        fail(i, `is a list of ${current.length} item(s), select one by index ([0]), not by '${segment}'`)
      } else if (segment >= current.length) {
        fail(
          i,
          current.length === 0
            ? `is an empty list, there is no [${segment}]`
            : `has ${current.length} item(s) ([0] to [${current.length - 1}]), there is no [${segment}]`,
        )
      } else {
        current = current[segment]!
      }
    } else if (current !== null && typeof current === 'object') {
      const key = String(segment)
      if (!Object.hasOwn(current, key)) {
        const keys = Object.keys(current)
        const listed = keys.slice(0, MAX_KEYS_LISTED).join(', ')
        const more = keys.length > MAX_KEYS_LISTED ? `, … ${keys.length - MAX_KEYS_LISTED} more` : ''
        fail(i, keys.length > 0 ? `has no member '${key}' (it has: ${listed}${more})` : 'is an empty object')
      }
      current = current[key]!
    } else {
      fail(
        i,
        `is ${describeScalar(current)}, it has no member ${typeof segment === 'number' ? `[${segment}]` : `'${segment}'`}`,
      )
    }
  }
  return current
}

function describeScalar(value: string | number | boolean | null): string {
  if (value === null) return 'null'
  const shown = JSON.stringify(value)
  const preview = shown.length > 40 ? `${shown.slice(0, 37)}…` : shown
  return `${typeof value === 'string' ? 'a string' : `a ${typeof value}`} (${preview})`
}
