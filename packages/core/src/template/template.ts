/**
 * `${{ expr }}` templates inside strings. A string that is exactly one `${{ }}` renders to the
 * expression's raw value (so `with: { n: "${{ inputs.n }}" }` keeps a number a number); any other
 * string renders to text, with objects and arrays as JSON.
 */
import type { Json } from '@weft/spec'
import {
  type Expression,
  ExpressionError,
  type ExpressionLimits,
  evaluateExpression,
  parseExpression,
  type Scope,
} from './expression.js'

export type TemplatePart = string | { expr: Expression; source: string }

const OPEN = '${{'
const CLOSE = '}}'

export class TemplateError extends Error {
  override readonly name = 'TemplateError'
  /** Set when an expression is refused for its size (see `ExpressionError.limit`). */
  readonly limit?: 'length' | 'depth'
  constructor(message: string, limit?: 'length' | 'depth') {
    super(message)
    if (limit) this.limit = limit
  }
}

export function hasTemplate(text: string): boolean {
  return text.includes(OPEN)
}

export function parseTemplate(text: string, limits?: ExpressionLimits): TemplatePart[] {
  const parts: TemplatePart[] = []
  let i = 0
  while (i < text.length) {
    const open = text.indexOf(OPEN, i)
    if (open === -1) {
      parts.push(text.slice(i))
      break
    }
    if (open > i) parts.push(text.slice(i, open))
    const close = text.indexOf(CLOSE, open + OPEN.length)
    if (close === -1) throw new TemplateError(`'${OPEN}' at offset ${open} is never closed with '${CLOSE}'`)
    const source = text.slice(open + OPEN.length, close).trim()
    try {
      parts.push({ expr: parseExpression(source, limits), source })
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err
      throw new TemplateError(`in '\${{ ${excerpt(source)} }}': ${err.message}`, err.limit)
    }
    i = close + CLOSE.length
  }
  return parts
}

/** An expression as messages quote it: a long one is cut, so a diagnostic stays readable. */
function excerpt(source: string): string {
  return source.length > 80 ? `${source.slice(0, 60)}… (${source.length} characters)` : source
}

function toText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

export function renderTemplate(text: string, scope: Scope): Json {
  if (!hasTemplate(text)) return text
  const parts = parseTemplate(text)
  const evaluate = (part: Exclude<TemplatePart, string>) => {
    try {
      return evaluateExpression(part.expr, scope)
    } catch (err) {
      const reason = err instanceof ExpressionError ? err.message : String(err)
      throw new TemplateError(`in '\${{ ${excerpt(part.source)} }}': ${reason}`)
    }
  }
  if (parts.length === 1 && typeof parts[0] !== 'string') {
    const value = evaluate(parts[0]!)
    return (value === undefined ? null : value) as Json
  }
  return parts
    .map((p) => {
      if (typeof p === 'string') return p
      const value = evaluate(p)
      try {
        return toText(value)
      } catch (err) {
        // JSON.stringify recurses: a value nested too deep (a task's output can be) throws here.
        throw new TemplateError(
          `in '\${{ ${excerpt(p.source)} }}': cannot write the value as text: ${(err as Error).message}`,
        )
      }
    })
    .join('')
}

/** Renders every string inside a JSON value (keys are left alone). */
export function renderDeep(value: Json, scope: Scope): Json {
  if (typeof value === 'string') return renderTemplate(value, scope)
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, scope))
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties, so a key named `__proto__` stays a key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, scope)]))
  }
  return value
}

const MAX_WALK_DEPTH = 1000

/**
 * Every template string inside a JSON value with its path, in document order, for validation.
 * Walks with its own stack, so even a value nested beyond the limits cannot overflow it, and stops
 * at a depth no valid workflow reaches (validation reports the depth first), so a cyclic object
 * from code ends too.
 */
export function collectTemplates(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; text: string }[] {
  const out: { path: (string | number)[]; text: string }[] = []
  const todo: { value: unknown; path: (string | number)[] }[] = [{ value, path }]
  while (todo.length) {
    const next = todo.pop()!
    const v = next.value
    if (typeof v === 'string') {
      if (hasTemplate(v)) out.push({ path: next.path, text: v })
    } else if (v !== null && typeof v === 'object' && next.path.length - path.length < MAX_WALK_DEPTH) {
      const entries: [string | number, unknown][] = Array.isArray(v)
        ? v.map((x, i) => [i, x])
        : Object.entries(v)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!
        todo.push({ value: x, path: [...next.path, k] })
      }
    }
  }
  return out
}
