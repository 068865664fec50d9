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
export function checkShape(raw: unknown, maxDepth: number): ShapeProblem[] {
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
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) todo.push({ value: value[i], depth, key: i, parent: frame })
      continue
    }
    const keys = Object.keys(value)
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!
      if (key === '__proto__') problems.push({ kind: 'reserved_key', path: [...pathOf(frame), key] })
      else todo.push({ value: (value as Record<string, unknown>)[key], depth, key, parent: frame })
    }
  }
  return problems
}
