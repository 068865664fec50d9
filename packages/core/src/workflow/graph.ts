/** Graph helpers over `needs` edges (task → the tasks it needs). */

export type NeedsGraph = ReadonlyMap<string, readonly string[]>

/**
 * Every elementary cycle found by a depth-first search, each listed once, starting at its
 * smallest id and ending where it began: `['a', 'b', 'a']`. With `limit`, the search stops after
 * that many (a dense graph can hold more cycles than anyone could read, or wait for).
 */
export function findCycles(graph: NeedsGraph, limit = Number.POSITIVE_INFINITY): string[][] {
  if (needsComeFirst(graph)) return []
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const seen = new Set<string>()
  const cycles: string[][] = []

  // Depth-first with an explicit stack (a chain of 100,000 tasks must not overflow the call
  // stack): each frame is a task on the current path and the index of its next need.
  const visit = (root: string) => {
    const frames: { id: string; deps: readonly string[]; next: number }[] = []
    const enter = (id: string) => {
      state.set(id, 'visiting')
      stack.push(id)
      frames.push({ id, deps: graph.get(id) ?? [], next: 0 })
    }
    enter(root)
    while (frames.length) {
      const frame = frames[frames.length - 1]!
      if (frame.next === frame.deps.length) {
        frames.pop()
        stack.pop()
        state.set(frame.id, 'done')
        continue
      }
      const dep = frame.deps[frame.next++]!
      if (!graph.has(dep)) continue
      const s = state.get(dep)
      if (s === 'visiting') {
        const cycle = stack.slice(stack.indexOf(dep))
        const min = cycle.indexOf([...cycle].sort()[0]!)
        const rotated = [...cycle.slice(min), ...cycle.slice(0, min)]
        const key = rotated.join('\u0000')
        if (!seen.has(key)) {
          seen.add(key)
          cycles.push([...rotated, rotated[0]!])
          if (cycles.length >= limit) return
        }
      } else if (s === undefined) enter(dep)
    }
  }
  for (const id of graph.keys()) {
    if (cycles.length >= limit) break
    if (!state.has(id)) visit(id)
  }
  return cycles
}

/**
 * Whether every task needs only tasks listed before it (the map's order): then the graph has no
 * cycle, and the search (a frame and two map entries per task) can be skipped. Workflows are
 * mostly written, and generated, that way.
 */
function needsComeFirst(graph: NeedsGraph): boolean {
  const before = new Set<string>()
  // Keys, not entries: an entry is an array per task.
  for (const id of graph.keys()) {
    // An unknown need is no edge of the graph (the search skips it too).
    for (const n of graph.get(id)!) if (!before.has(n) && graph.has(n)) return false
    before.add(id)
  }
  return true
}

/** All tasks `id` depends on, directly or through others. */
export function ancestorsOf(graph: NeedsGraph, id: string): Set<string> {
  const out = new Set<string>()
  const todo = [...(graph.get(id) ?? [])]
  while (todo.length) {
    const next = todo.pop()!
    if (out.has(next)) continue
    out.add(next)
    todo.push(...(graph.get(next) ?? []))
  }
  return out
}

/**
 * Whether a task is upstream of `id`. A direct need answers at once; only a template that reads a
 * task further up walks the graph (once per task), so validating a large workflow stays linear
 * instead of collecting every task's ancestors.
 */
export function upstreamOf(graph: NeedsGraph, id: string): { has(name: string): boolean } {
  let ancestors: Set<string> | undefined
  return {
    has(name: string) {
      if (graph.get(id)?.includes(name)) return true
      ancestors ??= ancestorsOf(graph, id)
      return ancestors.has(name)
    },
  }
}

/** Tasks that depend on `id`, directly or through others. Linear: the edges are reversed once. */
export function descendantsOf(graph: NeedsGraph, id: string): Set<string> {
  const dependents = new Map<string, string[]>()
  for (const [task, needs] of graph) {
    for (const need of needs) {
      const list = dependents.get(need)
      if (list) list.push(task)
      else dependents.set(need, [task])
    }
  }
  const out = new Set<string>()
  const todo = [id]
  while (todo.length) {
    for (const next of dependents.get(todo.pop()!) ?? []) {
      if (out.has(next)) continue
      out.add(next)
      todo.push(next)
    }
  }
  return out
}

export { closest } from './suggest.js'
