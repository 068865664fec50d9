/**
 * Parses a workflow with its schema, faster for large workflows than one `safeParse` of the whole.
 *
 * Zod reads a task in about 4 µs and leaves about 3 KB of garbage, most of it for the two dozen
 * optional fields that a task leaves out: a generated workflow of 100,000 tasks spent more time
 * in its schema than in running its tasks. So a task whose fields are all simple (strings,
 * numbers, `needs`, `with` options made of plain JSON) is accepted here with the same checks the
 * schema makes, and any other task
 * goes through `TaskSpecSchema` on its own. The checks here only ever accept: when anything is
 * wrong anywhere, the whole workflow goes through `WorkflowSpecSchema`, so every problem is
 * reported exactly as the schema reports it. parse-workflow.test.ts compares both on random tasks.
 */
import { type TaskSpec, TaskSpecSchema, type WorkflowSpec, WorkflowSpecSchema } from '@weft/spec'
import type { z } from 'zod'

export type WorkflowParse = z.ZodSafeParseResult<WorkflowSpec>

const string = (v: unknown) => typeof v === 'string'
const nonEmpty = (v: unknown) => typeof v === 'string' && v.length >= 1
const boolean = (v: unknown) => typeof v === 'boolean'
// `z.number().int()` accepts safe integers only.
const priority = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 100
const positiveInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0
const nonNegativeInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0

/** The fields checked here, with their checks; `needs` is handled on its own. */
const SIMPLE_FIELDS: Readonly<Record<string, (v: unknown) => boolean>> = {
  description: string,
  backend: nonEmpty,
  agent: nonEmpty,
  model: nonEmpty,
  prompt: string,
  priority,
  timeoutMs: positiveInt,
  when: string,
  expectedOutputTokens: nonNegativeInt,
  allowInputCommands: boolean,
  uses: nonEmpty,
}

/** How deep `with` is copied here; deeper options (validation bounds them anyway) go to the schema. */
const MAX_OPTIONS_DEPTH = 64

/**
 * A copy of a JSON value as `JsonSchema` gives it (new objects and arrays, same primitives), or
 * undefined for anything it might read otherwise: a non-finite number, a hole or `undefined`, an
 * object that is not plain, a symbol key, a `__proto__` key. Those go to the schema.
 */
function jsonCopy(v: unknown, depth: number): unknown {
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (depth >= MAX_OPTIONS_DEPTH || typeof v !== 'object') return undefined
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return undefined
    const out = new Array<unknown>(v.length)
    for (let i = 0; i < v.length; i++) {
      const x = jsonCopy(v[i], depth + 1)
      if (x === undefined) return undefined
      out[i] = x
    }
    return out
  }
  return jsonObjectCopy(v, depth)
}

function jsonObjectCopy(v: unknown, depth: number): Record<string, unknown> | undefined {
  if (!isPlain(v) || Object.getOwnPropertySymbols(v).length > 0) return undefined
  const out: Record<string, unknown> = {}
  for (const key in v) {
    if (key === '__proto__' || !Object.hasOwn(v, key)) return undefined
    const x = jsonCopy(v[key], depth + 1)
    if (x === undefined) return undefined
    out[key] = x
  }
  return out
}

/** The schema's fields in its order: its output lists them in this order, and so does this. */
const TASK_FIELDS = Object.keys(TaskSpecSchema.shape)
/** Each field's place in `TASK_FIELDS`. */
const FIELD_AT: ReadonlyMap<string, number> = new Map(TASK_FIELDS.map((k, i) => [k, i]))

/** `needs` as the schema gives it (a list, copied), or undefined when it is not simple. */
function simpleNeeds(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v]
  if (!Array.isArray(v)) return undefined
  const out = new Array<string>(v.length)
  for (let i = 0; i < v.length; i++) {
    const n: unknown = v[i]
    if (typeof n !== 'string') return undefined
    out[i] = n
  }
  return out
}

const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * The task as the schema would give it, or undefined when it is not simple (or not valid). The
 * schema's own ways are kept: a field counts as given when `key in task`, and every key that
 * `for…in` lists must be one of its fields.
 */
export function parseSimpleTask(task: unknown): TaskSpec | undefined {
  if (!isPlain(task)) return undefined
  // Whether the task lists its fields in the schema's order (a generated task mostly has one or
  // two): then its own keys are the fields to read, in order, and the two dozen others need no
  // look each.
  let inOrder = true
  let last = -1
  for (const key in task) {
    if (key !== 'needs' && key !== 'with' && !Object.hasOwn(SIMPLE_FIELDS, key)) return undefined
    const at = FIELD_AT.get(key)
    if (at === undefined) return undefined
    if (at < last) inOrder = false
    last = at
  }
  const out: Record<string, unknown> = {}
  if (inOrder) {
    for (const key in task) if (!readField(task, key, out)) return undefined
  } else {
    for (const key of TASK_FIELDS) if (key in task && !readField(task, key, out)) return undefined
  }
  return out as TaskSpec
}

/** One field of a simple task, checked and copied to `out` as the schema gives it; false when it is not simple. */
function readField(task: Record<string, unknown>, key: string, out: Record<string, unknown>): boolean {
  const value = task[key]
  if (key === 'needs') {
    const needs = simpleNeeds(value)
    if (needs === undefined) return false
    out.needs = needs
  } else if (key === 'with') {
    // `with: undefined` is an absent field to the schema, but `in` counts it: the schema decides.
    const options = value === undefined ? undefined : jsonObjectCopy(value, 0)
    if (options === undefined) return false
    out.with = options
  } else {
    const check = Object.hasOwn(SIMPLE_FIELDS, key) ? SIMPLE_FIELDS[key] : undefined
    if (check === undefined || !check(value)) return false
    out[key] = value
  }
  return true
}

/**
 * `WorkflowSpecSchema.safeParse(raw)`, with the tasks read one by one (see above). `taskIds`:
 * `Object.keys(raw.tasks)` when the caller has listed them already.
 */
export function parseWorkflow(raw: Record<string, unknown>, taskIds?: string[]): WorkflowParse {
  const tasks = raw.tasks
  if (!isPlain(tasks) || Object.getOwnPropertySymbols(tasks).length > 0)
    return WorkflowSpecSchema.safeParse(raw)
  const parsedTasks: Record<string, TaskSpec> = {}
  for (const id of taskIds ?? Object.keys(tasks)) {
    // The schema's record skips such a key; the workflow is refused for it elsewhere (shape.ts).
    if (id === '__proto__') return WorkflowSpecSchema.safeParse(raw)
    const task = tasks[id]
    let parsed = parseSimpleTask(task)
    if (parsed === undefined) {
      const r = TaskSpecSchema.safeParse(task)
      if (!r.success) return WorkflowSpecSchema.safeParse(raw)
      parsed = r.data
    }
    parsedTasks[id] = parsed
  }
  const rest = WorkflowSpecSchema.safeParse({ ...raw, tasks: {} })
  if (!rest.success) return WorkflowSpecSchema.safeParse(raw)
  rest.data.tasks = parsedTasks
  return rest
}
