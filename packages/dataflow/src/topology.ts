import { findCycles } from '@weft/core'
import type { Topology } from './plan.js'

/**
 * Kahn's algorithm over node ids and `from → to` edges: the order (declaration order among nodes
 * that are ready together), each node's level, the inputs and outputs — or, when some nodes never
 * become ready, the cycles among them, each named.
 */
export function analyzeTopology(
  ids: readonly string[],
  edges: readonly { from: string; to: string }[],
): { topology: Topology; cycles: string[][] } {
  const indegree = new Map(ids.map((id) => [id, 0]))
  const next = new Map<string, string[]>(ids.map((id) => [id, []]))
  for (const e of edges) {
    if (!indegree.has(e.from) || !indegree.has(e.to)) continue
    next.get(e.from)!.push(e.to)
    indegree.set(e.to, indegree.get(e.to)! + 1)
  }
  const inputs = ids.filter((id) => indegree.get(id) === 0)
  const outputs = ids.filter((id) => next.get(id)!.length === 0)
  const levels: Record<string, number> = {}
  const order: string[] = []
  const ready = [...inputs]
  for (const id of inputs) levels[id] = 0
  const remaining = new Map(indegree)
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i]!
    order.push(id)
    for (const to of next.get(id)!) {
      levels[to] = Math.max(levels[to] ?? 0, levels[id]! + 1)
      const d = remaining.get(to)! - 1
      remaining.set(to, d)
      if (d === 0) ready.push(to)
    }
  }
  let cycles: string[][] = []
  if (order.length < ids.length) {
    const done = new Set(order)
    // findCycles walks "needs" edges; the reverse direction names the same cycles.
    const stuck = new Map(
      ids.filter((id) => !done.has(id)).map((id) => [id, next.get(id)!.filter((t) => !done.has(t))]),
    )
    cycles = findCycles(stuck, 20)
  }
  return { topology: { order, levels, inputs, outputs }, cycles }
}
