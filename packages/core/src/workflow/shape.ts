import type { AddDiagnostic } from './check-templates.js'
import { formatPath } from './format.js'
import type { WorkflowLimits } from './limits.js'
import type { DocPath } from './load.js'

export type ShapeProblem = { kind: 'too_deep'; path: DocPath } | { kind: 'reserved_key'; path: DocPath }

/** A value still to visit; the path is rebuilt from `parent` links only for a problem. */
interface Frame {
  value: unknown
  depth: number
  key: string | number | undefined
  parent: Frame | undefined
}

function pathOf(frame: Frame | undefined): DocPath {
  const path: DocPath = []
  for (let f = frame; f?.parent; f = f.parent) path.push(f.key!)
  return path.reverse()
}

/**
 * Checks a raw workflow value before anything recursive reads it (the schema, the template
 * collector, the runtime): its nesting must stay within `maxDepth` (the top level is 1), and no
 * object may have a key `__proto__` — schemas and object spreads drop such a key silently, so a
 * task or an option would vanish between validation and the run. Walks with its own stack; an
 * object that contains itself (possible in code) is reported as too deep, never looped over.
 */
export function checkShape(
  raw: unknown,
  maxDepth: number,
  /** An object whose keys the caller has listed already (a workflow's tasks), and those keys. */
  listed?: { value: object; keys: string[] },
): ShapeProblem[] {
  const problems: ShapeProblem[] = []
  const todo: Frame[] = [{ value: raw, depth: 0, key: undefined, parent: undefined }]
  while (todo.length) {
    const frame = todo.pop()!
    const { value } = frame
    if (value === null || typeof value !== 'object') continue
    const depth = frame.depth + 1
    if (depth > maxDepth) {
      // One report is enough: the rest of the document is not read further.
      problems.push({ kind: 'too_deep', path: pathOf(frame) })
      return problems
    }
    // Only objects and arrays get a frame: a workflow is mostly strings, which have nothing to check.
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const child: unknown = value[i]
        if (child !== null && typeof child === 'object')
          todo.push({ value: child, depth, key: i, parent: frame })
      }
      continue
    }
    const keys = value === listed?.value ? listed.keys : Object.keys(value)
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!
      if (key === '__proto__') {
        problems.push({ kind: 'reserved_key', path: [...pathOf(frame), key] })
        continue
      }
      const child = (value as Record<string, unknown>)[key]
      if (child === null || typeof child !== 'object') continue
      // A value with nothing to report and nothing deeper to visit (a task of plain fields, a
      // list of plain values like `needs`) gets no frame: most of a large workflow is such values.
      if (depth < maxDepth && (Array.isArray(child) ? allPlain(child) : isLeaf(child, depth + 1 < maxDepth)))
        continue
      todo.push({ value: child, depth, key, parent: frame })
    }
  }
  return problems
}

/**
 * An object with no `__proto__` key whose values are plain, or (when `listsFit`, lists one level
 * deeper are within the depth) lists of plain values.
 */
function isLeaf(o: object, listsFit: boolean): boolean {
  // `for…in` with an own-key check lists what `Object.keys` would, without an array per object.
  for (const key in o) {
    if (!Object.hasOwn(o, key)) continue
    if (key === '__proto__') return false
    const v = (o as Record<string, unknown>)[key]
    if (v === null || typeof v !== 'object') continue
    if (!listsFit || !Array.isArray(v) || !allPlain(v)) return false
  }
  return true
}

function allPlain(list: unknown[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const x = list[i]
    if (x !== null && typeof x === 'object') return false
  }
  return true
}

/**
 * Refuses a workflow that is too large or too deep to be read safely, and reports `__proto__`
 * keys (which schemas would drop). Returns false when nothing more should be checked.
 */
export function checkSize(
  raw: Record<string, unknown>,
  tasks: { value: object; keys: string[] } | undefined,
  limits: WorkflowLimits,
  add: AddDiagnostic,
): boolean {
  const taskCount = tasks?.keys.length ?? 0
  if (taskCount > limits.maxTasks) {
    add({
      level: 'error',
      code: 'too_many_tasks',
      message: `the workflow has ${taskCount} tasks, more than the limit of ${limits.maxTasks}`,
      path: ['tasks'],
      hint: 'split the work into several runs, or raise `maxTasks` where the limit is configured',
    })
    return false
  }
  let ok = true
  for (const problem of checkShape(raw, limits.maxDepth, tasks)) {
    if (problem.kind === 'too_deep') {
      ok = false
      add({
        level: 'error',
        code: 'too_deep',
        message: `${problem.path.length ? formatPath(problem.path) : 'the workflow'} nests deeper than ${limits.maxDepth} levels of objects and arrays`,
        path: problem.path,
        hint: 'flatten the value (a workflow needs a few levels; deeper data belongs in a file the task reads)',
      })
      continue
    }
    const [section] = problem.path
    // Ids and names get their own message where they are checked.
    if (problem.path.length === 2 && (section === 'tasks' || section === 'inputs' || section === 'outputs'))
      continue
    add({
      level: 'error',
      code: 'reserved_key',
      message: `${formatPath(problem.path.slice(0, -1)) || 'the workflow'} has a key '__proto__', which is not allowed`,
      path: problem.path,
      hint: 'rename the key: `__proto__` is dropped by JavaScript objects, so its value would be lost',
    })
  }
  return ok
}
