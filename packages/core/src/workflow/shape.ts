import type { DocPath } from './load.js'

export type ShapeProblem = { kind: 'too_deep'; path: DocPath } | { kind: 'reserved_key'; path: DocPath }

/**
 * Checks a raw workflow value before anything recursive reads it (the schema, the template
 * collector, the runtime): its nesting must stay within `maxDepth` (the top level is 1), and no
 * object may have a key `__proto__` — schemas and object spreads drop such a key silently, so a
 * task or an option would vanish between validation and the run. Walks with its own stack; an
 * object that contains itself (possible in code) is reported as too deep, never looped over.
 */
export function checkShape(raw: unknown, maxDepth: number): ShapeProblem[] {
  const problems: ShapeProblem[] = []
  const todo: { value: unknown; path: DocPath }[] = [{ value: raw, path: [] }]
  while (todo.length) {
    const { value, path } = todo.pop()!
    if (value === null || typeof value !== 'object') continue
    if (path.length + 1 > maxDepth) {
      problems.push({ kind: 'too_deep', path })
      // One report is enough: the rest of the document is not read further.
      return problems
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) todo.push({ value: value[i], path: [...path, i] })
      continue
    }
    const keys = Object.keys(value)
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!
      if (key === '__proto__') problems.push({ kind: 'reserved_key', path: [...path, key] })
      else todo.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] })
    }
  }
  return problems
}
