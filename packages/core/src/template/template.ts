/**
 * `${{ expr }}` templates inside strings. A string that is exactly one `${{ }}` renders to the
 * expression's raw value (so `with: { n: "${{ inputs.n }}" }` keeps a number a number); any other
 * string renders to text, with objects and arrays as JSON.
 */
import type { Json } from '@weft/spec'
import {
  type Expression,
  ExpressionError,
  evaluateExpression,
  parseExpression,
  type Scope,
} from './expression.js'

export type TemplatePart = string | { expr: Expression; source: string }

const OPEN = '${{'
const CLOSE = '}}'

export class TemplateError extends Error {
  override readonly name = 'TemplateError'
}

export function hasTemplate(text: string): boolean {
  return text.includes(OPEN)
}

export function parseTemplate(text: string): TemplatePart[] {
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
      parts.push({ expr: parseExpression(source), source })
    } catch (err) {
      const reason = err instanceof ExpressionError ? err.message : String(err)
      throw new TemplateError(`in '\${{ ${source} }}': ${reason}`)
    }
    i = close + CLOSE.length
  }
  return parts
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
      throw new TemplateError(`in '\${{ ${part.source} }}': ${reason}`)
    }
  }
  if (parts.length === 1 && typeof parts[0] !== 'string') {
    const value = evaluate(parts[0]!)
    return (value === undefined ? null : value) as Json
  }
  return parts.map((p) => (typeof p === 'string' ? p : toText(evaluate(p)))).join('')
}

/** Renders every string inside a JSON value (keys are left alone). */
export function renderDeep(value: Json, scope: Scope): Json {
  if (typeof value === 'string') return renderTemplate(value, scope)
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, scope))
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: Json } = {}
    for (const [k, v] of Object.entries(value)) out[k] = renderDeep(v, scope)
    return out
  }
  return value
}

/** Every template string inside a JSON value with its path, for validation. */
export function collectTemplates(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; text: string }[] {
  if (typeof value === 'string') return hasTemplate(value) ? [{ path, text: value }] : []
  if (Array.isArray(value)) return value.flatMap((v, i) => collectTemplates(v, [...path, i]))
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => collectTemplates(v, [...path, k]))
  }
  return []
}
