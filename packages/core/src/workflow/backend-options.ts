/**
 * Backend options (a task's `with:`) as an attempt gets them: rendered when they hold templates,
 * then checked with the backend's schema.
 *
 * Options without templates are the same for every attempt of a task, and often for many tasks
 * (a generated workflow of 10,000 tasks with one `with:`). Checking them with zod for every
 * attempt, after checking them once when the workflow was validated, was a visible share of each
 * attempt. So a check is remembered by the options' JSON text, per schema: zod runs once per
 * distinct value, and the workflow's validation warms it for the run.
 */
import type { Json } from '@weft/spec'
import type { z } from 'zod'
import { hasTemplate } from '../template/template.js'

type Checked = ReturnType<z.ZodType['safeParse']>

/** Distinct values remembered per schema; past it, the memory starts again (a bound, not an LRU). */
const MAX_REMEMBERED = 1024

const checks = new WeakMap<z.ZodType, Map<string, Checked>>()

/**
 * `schema.safeParse(options)`, remembered by the JSON text of `options`. A successful result's
 * data is copied (its top level) for each caller, so a backend that changes the options it was
 * given does not change them for the next attempt.
 */
export function checkOptions(schema: z.ZodType, options: unknown): Checked {
  let text: string
  try {
    text = JSON.stringify(options)
  } catch {
    // Not JSON (a cycle, a BigInt): nothing to remember it by.
    return schema.safeParse(options)
  }
  let known = checks.get(schema)
  if (known === undefined) {
    known = new Map()
    checks.set(schema, known)
  }
  let checked = known.get(text)
  if (checked === undefined) {
    checked = schema.safeParse(options)
    if (known.size >= MAX_REMEMBERED) known.clear()
    known.set(text, checked)
  }
  if (!checked.success) return checked
  const data = checked.data
  return isPlainObject(data) ? { success: true, data: { ...data } } : checked
}

const staticValues = new WeakMap<object, boolean>()

/**
 * Whether a JSON value holds no template, so rendering it gives the value itself. Remembered per
 * object: a task's options are one object for the whole run.
 */
export function isStatic(value: Json): boolean {
  if (typeof value === 'string') return !hasTemplate(value)
  if (value === null || typeof value !== 'object') return true
  const known = staticValues.get(value)
  if (known !== undefined) return known
  // A stack of its own: a value nested deeply cannot overflow the call stack.
  const todo: Json[] = [value]
  let result = true
  while (todo.length > 0 && result) {
    const v = todo.pop()!
    if (typeof v === 'string') result = !hasTemplate(v)
    else if (Array.isArray(v)) todo.push(...v)
    else if (v !== null && typeof v === 'object') for (const k in v) todo.push(v[k] as Json)
  }
  staticValues.set(value, result)
  return result
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
